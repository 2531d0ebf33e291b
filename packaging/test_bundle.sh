#!/usr/bin/env bash
# The bundle test (issue 5's evidence). Takes about 10 minutes on 2 cores, so it is not part of the default
# test suite; run it by hand or in a release job:
#
#     packaging/test_bundle.sh [--rebuild] [--skip-deb]
#
# 1. builds the packages with packaging/build_linux.sh unless they are newer than every source file;
# 2. runs the frozen app's --self-test offscreen with a clean environment (env -i; no network namespace
#    when `unshare -n` works, which proves it never needs the network);
# 3. starts the frozen app under Xvfb (env -i again), measures the wall time from start to a painted
#    window, keeps two screenshots (the app's own grab and the X server's root window via xwd), checks
#    that nothing from a build environment was loaded, and closes it with SIGTERM;
# 4. installs the .deb with dpkg -i, runs `embedstudio --self-test` from the PATH, removes it with dpkg -r.
# Writes packaging/dist/bundle-test-report.txt and exits non-zero if any step failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${EMBEDSTUDIO_BUILD_DIR:-$ROOT/packaging/build}
DIST=${EMBEDSTUDIO_DIST_DIR:-$ROOT/packaging/dist}
EVIDENCE=$BUILD/evidence
REPORT=$DIST/bundle-test-report.txt
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin  # Debian's default PATH for a login
# Any Python with numpy + PySide6 converts the xwd dump; the build environment has both.
PY=$BUILD/venv/bin/python

REBUILD=0
SKIP_DEB=0
for arg in "$@"; do
  case "$arg" in
    --rebuild) REBUILD=1 ;;
    --skip-deb) SKIP_DEB=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "test_bundle: unknown argument $arg" >&2; exit 2 ;;
  esac
done

now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
results=()
failed=0
record() { results+=("$1"); echo "test_bundle: $1"; }
fail() { record "FAIL $1"; failed=1; }

T_TEST_START=$(now)
mkdir -p "$DIST" "$EVIDENCE"
WORK=$(mktemp -d /tmp/embedstudio-bundle-test.XXXXXX)
XVFB_PID=""
DEB_INSTALLED=0
cleanup() {
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
  if [ "$DEB_INSTALLED" = 1 ]; then $SUDO dpkg -r embedstudio >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

# ---- 1. build unless fresh ---------------------------------------------------------------------
info=$DIST/build-info.json
stale() {
  [ ! -f "$info" ] && return 0
  [ -n "$(find embedstudio resources packaging/embedstudio.spec packaging/bundle_trim.py packaging/embedstudio_entry.py \
            packaging/collect_licenses.py packaging/linux pyproject.toml -newer "$info" -type f -print -quit)" ]
}
if [ "$REBUILD" = 1 ] || stale; then
  echo "test_bundle: building (packaging/build_linux.sh)"
  packaging/build_linux.sh
else
  echo "test_bundle: packages are newer than the sources; not rebuilding (--rebuild forces it)"
fi
read -r VERSION APP TARBALL DEB BUILD_S UNPACKED TARGZ DEBSIZE < <("$PY" - "$info" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))
print(i["version"], i["bundle"], i["tarball"], i["deb"], i["seconds"]["total"],
      i["bytes"]["unpacked"], i["bytes"]["tar_gz"], i["bytes"]["deb"])
PY
)
record "build: $BUILD_S s; bundle $UNPACKED bytes unpacked, tar.gz $TARGZ bytes, .deb $DEBSIZE bytes"

# The bundle that is tested is the one in the tarball, unpacked afresh (what a user gets).
tar -C "$WORK" -xzf "$TARBALL"
BUNDLE=$WORK/$(basename "$APP")
[ -x "$BUNDLE/embedstudio" ] || { fail "the tarball has no executable launcher"; exit 1; }
for notice in THIRD-PARTY-NOTICES.txt licenses/index.json; do
  [ -s "$BUNDLE/$notice" ] || fail "bundle lacks $notice"
done
for dist in tensorflow_cpu keras numpy gensim fasttext_wheel scikit_learn pyside6_essentials pyqtgraph; do
  ls -d "$BUNDLE"/_internal/"$dist"-*.dist-info >/dev/null 2>&1 || fail "bundle lacks $dist metadata (About box versions)"
done
for demo in pang_lee_polarity.cor lee_fasttext.bin; do
  [ -s "$BUNDLE/_internal/gensim/test/test_data/$demo" ] || fail "bundle lacks gensim demo file $demo"
done

NO_NET=""
if unshare -n true 2>/dev/null; then NO_NET="unshare -n"; fi

# ---- 2. --self-test offscreen, clean environment -----------------------------------------------
mkdir -p "$WORK/home1"
t0=$(now)
if $NO_NET env -i HOME="$WORK/home1" QT_QPA_PLATFORM=offscreen "$BUNDLE/embedstudio" --self-test \
     > "$EVIDENCE/self-test-offscreen.log" 2>&1; then
  # The self-test writes its run into a temporary folder it removes; it reports the run on stdout.
  if grep -q "self-test: passed: run written to" "$EVIDENCE/self-test-offscreen.log"; then
    record "PASS frozen --self-test offscreen (env -i${NO_NET:+, no network}): exit 0 in $(seconds_since "$t0") s; $(grep -o 'run written to.*' "$EVIDENCE/self-test-offscreen.log" | head -1)"
  else
    fail "frozen --self-test exited 0 without reporting a written run (log: $EVIDENCE/self-test-offscreen.log)"
  fi
else
  fail "frozen --self-test offscreen exited non-zero (log: $EVIDENCE/self-test-offscreen.log)"
  tail -20 "$EVIDENCE/self-test-offscreen.log" >&2
fi

# The command line in the frozen app: the demo run records library versions read through
# importlib.metadata, the same way the About box reads them.
mkdir -p "$WORK/home-cli"
if $NO_NET env -i HOME="$WORK/home-cli" "$BUNDLE/embedstudio" demo --runs-dir "$WORK/cli-runs" \
     > "$EVIDENCE/cli-demo.log" 2>&1; then
  versions=$("$PY" - "$WORK/cli-runs" <<'PY'
import json, sys
from pathlib import Path
def libraries(node):
    if isinstance(node, dict):
        if "libraries" in node:
            return node["libraries"]
        return next((found for v in node.values() if (found := libraries(v))), None)
    return None
# The demo is a study: its runs sit in RUNS_DIR/STUDY/runs/RUN/; any run records the versions.
desc = next(Path(sys.argv[1]).rglob("description.json"))
libs = libraries(json.loads(desc.read_text())) or {}
print(" ".join(f"{n}={libs.get(n, '?')}" for n in ("tensorflow-cpu", "keras", "gensim")) if libs else "none")
PY
  ) || versions="none"
  case "$versions" in
    *=\?*|none) fail "the frozen CLI demo's run does not record library versions ($versions)" ;;
    *) record "PASS frozen 'embedstudio demo' (env -i): run written, versions from package metadata: $versions" ;;
  esac
else
  fail "frozen 'embedstudio demo' failed (log: $EVIDENCE/cli-demo.log)"
fi

# ---- 3. a real X server: start-to-window time and screenshots ----------------------------------
if command -v Xvfb >/dev/null && command -v xwd >/dev/null; then
  : > "$WORK/display"
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$WORK/display" >"$EVIDENCE/xvfb.log" 2>&1 &
  XVFB_PID=$!
  for _ in $(seq 100); do [ -s "$WORK/display" ] && break; sleep 0.1; done
  DISPLAY_NUM=:$(head -1 "$WORK/display")
  mkdir -p "$WORK/home2"
  ready=$WORK/ready; shot=$EVIDENCE/window-grab.png
  rm -f "$shot"
  t0=$(now)
  env -i HOME="$WORK/home2" DISPLAY="$DISPLAY_NUM" QT_QPA_PLATFORM=xcb EMBEDSTUDIO_READY_FILE="$ready" \
    EMBEDSTUDIO_SCREENSHOT="$shot" EMBEDSTUDIO_QUIT_AFTER_MS=120000 "$BUNDLE/embedstudio" \
    > "$EVIDENCE/xvfb-run.log" 2>&1 &
  APP_PID=$!
  window_s=""
  for _ in $(seq 3000); do  # up to 60 s
    if [ -s "$ready" ]; then window_s=$(seconds_since "$t0"); break; fi
    kill -0 "$APP_PID" 2>/dev/null || break
    sleep 0.02
  done
  if [ -n "$window_s" ]; then
    record "PASS window shown under Xvfb $window_s s after start (env -i, xcb)"
    WINDOW_S=$window_s
    app_pid=$(head -1 "$ready")
    leaks=$(grep -E "/\.venv/|/build/venv/|site-packages" "/proc/$app_pid/maps" 2>/dev/null | awk '{print $6}' | sort -u | head -5 || true)
    if [ -n "$leaks" ]; then fail "the frozen app mapped files from a Python environment: $leaks"; else
      record "PASS the frozen app loaded no file from a Python environment (checked /proc/PID/maps)"; fi
    # The desktop entry's StartupWMClass must match the window's WM_CLASS, or docks show a second icon.
    wm_class=$(grep -h "^StartupWMClass=" resources/embedstudio.desktop | cut -d= -f2)
    if command -v xwininfo >/dev/null; then
      xwininfo -root -tree -display "$DISPLAY_NUM" | grep -q "\"$wm_class\")" \
        && record "PASS the window's WM_CLASS is $wm_class, as the desktop entry says" \
        || fail "no window with WM_CLASS $wm_class (StartupWMClass in resources/embedstudio.desktop)"
    fi
    for _ in $(seq 600); do [ -s "$shot" ] && break; sleep 0.1; done  # the grab waits for the demo to load
    sleep 0.5
    xwd -root -silent -display "$DISPLAY_NUM" > "$WORK/screen.xwd"
    QT_QPA_PLATFORM=offscreen "$PY" packaging/xwd_to_png.py "$WORK/screen.xwd" "$EVIDENCE/xvfb-screen.png" >/dev/null \
      && record "PASS screenshots: $EVIDENCE/window-grab.png (app) and $EVIDENCE/xvfb-screen.png (X server)" \
      || fail "could not convert the X server screenshot"
    [ -s "$shot" ] || fail "the app did not write its window grab"
    if grep -q "error shown to the user" "$EVIDENCE/xvfb-run.log"; then
      fail "the app showed an error dialog on start (log: $EVIDENCE/xvfb-run.log)"
    else
      record "PASS the demo workspace loaded without an error dialog"
    fi
    kill -TERM "$APP_PID" 2>/dev/null || true
    t_quit=$(now)
    if wait "$APP_PID"; then record "PASS closed cleanly on SIGTERM in $(seconds_since "$t_quit") s"; else
      fail "the app exited non-zero after SIGTERM (log: $EVIDENCE/xvfb-run.log)"; fi
  else
    fail "no window within 60 s under Xvfb (log: $EVIDENCE/xvfb-run.log)"
    kill "$APP_PID" 2>/dev/null || true
    tail -20 "$EVIDENCE/xvfb-run.log" >&2
  fi
  kill "$XVFB_PID" 2>/dev/null || true
  XVFB_PID=""
else
  fail "Xvfb and xwd are needed for the real-window check (apt-get install xvfb x11-apps)"
fi

# ---- 4. the .deb: dpkg -i, embedstudio --self-test from the PATH, dpkg -r -------------------------
if [ "$SKIP_DEB" = 1 ]; then
  record "SKIP .deb install (--skip-deb)"
elif dpkg-query -W -f='${Status}' embedstudio 2>/dev/null | grep -q "install ok installed"; then
  fail "embedstudio is already installed on this machine; remove it (dpkg -r embedstudio) and run again"
else
  if $SUDO dpkg -i "$DEB" > "$EVIDENCE/dpkg-install.log" 2>&1; then
    DEB_INSTALLED=1
    record "PASS dpkg -i $(basename "$DEB")"
    where=$(env -i PATH="$CLEAN_PATH" sh -c 'command -v embedstudio' || true)
    [ "$where" = /usr/bin/embedstudio ] && record "PASS embedstudio is on the PATH at $where" \
      || fail "embedstudio is not on the default PATH (found: '${where}')"
    for f in /usr/share/applications/embedstudio.desktop /usr/share/icons/hicolor/256x256/apps/embedstudio.png \
             /usr/share/icons/hicolor/scalable/apps/embedstudio.svg /opt/embedstudio/THIRD-PARTY-NOTICES.txt; do
      [ -f "$f" ] || fail "the .deb did not install $f"
    done
    mkdir -p "$WORK/home3"
    t0=$(now)
    if $NO_NET env -i HOME="$WORK/home3" PATH="$CLEAN_PATH" QT_QPA_PLATFORM=offscreen embedstudio --self-test \
         > "$EVIDENCE/self-test-deb.log" 2>&1; then
      grep -q "self-test: passed: run written to" "$EVIDENCE/self-test-deb.log" \
        && record "PASS installed 'embedstudio --self-test' from the PATH: exit 0 in $(seconds_since "$t0") s" \
        || fail "installed 'embedstudio --self-test' exited 0 without reporting a written run"
    else
      fail "installed 'embedstudio --self-test' exited non-zero (log: $EVIDENCE/self-test-deb.log)"
      tail -20 "$EVIDENCE/self-test-deb.log" >&2
    fi
    if $SUDO dpkg -r embedstudio > "$EVIDENCE/dpkg-remove.log" 2>&1; then
      DEB_INSTALLED=0
      if [ -e /opt/embedstudio ] || [ -e /usr/bin/embedstudio ]; then fail "dpkg -r left files behind"; else
        record "PASS dpkg -r embedstudio removed /opt/embedstudio and /usr/bin/embedstudio"; fi
    else
      fail "dpkg -r embedstudio failed (log: $EVIDENCE/dpkg-remove.log)"
    fi
  else
    fail "dpkg -i failed (log: $EVIDENCE/dpkg-install.log); missing dependencies install with: apt install $DEB"
    tail -20 "$EVIDENCE/dpkg-install.log" >&2
  fi
fi

# ---- report ------------------------------------------------------------------------------------
{
  echo "EmbedStudio $VERSION bundle test, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -m), $(nproc) cores"
  printf '  %s\n' "${results[@]}"
  echo "  start-to-window (Xvfb): ${WINDOW_S:-n/a} s"
  echo "  bundle test wall time, including any build: $(seconds_since "$T_TEST_START") s"
  echo "  result: $([ "$failed" = 0 ] && echo PASSED || echo FAILED)"
} | tee "$REPORT"
exit $failed
