#!/usr/bin/env bash
# Builds EmbedStudio's Linux packages from a clean virtual environment:
#   1. a one-folder bundle with a launcher that sets a UTF-8 locale  (packaging/build/embedstudio-VERSION-linux-ARCH/)
#   2. a .tar.gz of that bundle                                      (packaging/dist/embedstudio-VERSION-linux-ARCH.tar.gz)
#   3. a .deb made with dpkg-deb                                     (packaging/dist/embedstudio_VERSION_DEBARCH.deb)
# and prints the build time and sizes (also written to packaging/dist/build-info.json).
#
# Usage: packaging/build_linux.sh [--clean]
#   --clean   recreate the build virtual environment even if pyproject.toml has not changed
# Environment: PYTHON=python3.11 (the interpreter to build with; >= 3.11), EMBEDSTUDIO_BUILD_DIR, EMBEDSTUDIO_DIST_DIR,
#   DEB_MAINTAINER="Name <email>" (the .deb's Maintainer field).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${EMBEDSTUDIO_BUILD_DIR:-$ROOT/packaging/build}
DIST=${EMBEDSTUDIO_DIST_DIR:-$ROOT/packaging/dist}
PY=${PYTHON:-python3}
VENV=$BUILD/venv
# Size budget from issue 5, in bytes.
MAX_UNPACKED=1400000000
MAX_COMPRESSED=450000000

CLEAN=0
for arg in "$@"; do
  case "$arg" in
    --clean) CLEAN=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build_linux: unknown argument $arg" >&2; exit 2 ;;
  esac
done

for tool in dpkg-deb tar gzip; do
  command -v "$tool" >/dev/null || { echo "build_linux: $tool is required (apt-get install dpkg tar gzip)" >&2; exit 1; }
done

now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
human() { numfmt --to=si --suffix=B --format='%.1f' "$1"; }

T_START=$(now)
mkdir -p "$BUILD" "$DIST"

# ---- 1. a clean build environment ---------------------------------------------------------------
# Rebuilt whenever pyproject.toml or the interpreter changes, so nothing installed by hand leaks in.
stamp_want=$( { cat pyproject.toml; "$PY" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)
if [ "$CLEAN" = 1 ] || [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.build-stamp" 2>/dev/null)" != "$stamp_want" ]; then
  echo "build_linux: creating a clean build environment in $VENV"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q ".[package]"
  echo "$stamp_want" > "$VENV/.build-stamp"
else
  echo "build_linux: reusing the build environment (pyproject.toml unchanged); reinstalling embedstudio"
  "$VENV/bin/python" -m pip install -q --no-deps --force-reinstall .
fi
rm -rf "$ROOT/build"  # setuptools' scratch copy of the sources; not needed after the wheel is installed
"$VENV/bin/python" -m pip check
"$VENV/bin/python" - <<'PYCHECK'
# The size budget relies on the CPU-only TensorFlow and the Essentials subset of Qt.
from importlib import metadata
names = {d.metadata["Name"].lower().replace("_", "-") for d in metadata.distributions()}
wrong = names & {"tensorflow", "pyside6", "pyside6-addons", "tensorboard"}
missing = {"tensorflow-cpu", "pyside6-essentials", "pyinstaller"} - names
if wrong or missing:
    raise SystemExit(f"build_linux: build environment has {sorted(wrong)} and lacks {sorted(missing)}")
PYCHECK
VERSION=$("$VENV/bin/python" -c 'import embedstudio; print(embedstudio.__version__)')
ARCH=$(uname -m)
DEBARCH=$(dpkg --print-architecture)
NAME=embedstudio-$VERSION-linux-$ARCH
APP=$BUILD/$NAME
T_VENV=$(seconds_since "$T_START")

# ---- 2. the one-folder bundle -------------------------------------------------------------------
T_PYI_START=$(now)
rm -rf "$BUILD/pyi-dist" "$APP"
EMBEDSTUDIO_TRIM_REPORT="$BUILD/trim-report.json" "$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
  --distpath "$BUILD/pyi-dist" --workpath "$BUILD/pyi-work" packaging/embedstudio.spec
mv "$BUILD/pyi-dist/embedstudio" "$APP"
T_PYI=$(seconds_since "$T_PYI_START")

# TensorFlow's wheel ships its shared libraries with full symbol tables, which only a debugger reads
# (about 240 MB); so do libpython, ml_dtypes, fastText, gensim, pyarrow and the standard library's
# extension modules (about 90 MB more). Stripped: TensorFlow's libraries, libpython, fastText's extension, and every shared
# library inside a package folder whose RPATH does not point at a wheel-repair folder (NAME.libs).
# Not stripped: what auditwheel patched (the .libs folders and the libraries that load from them; strip
# can corrupt patchelf's layout), Qt's libraries and plugins (little to gain), and the system libraries
# PyInstaller copied to the top level (their licence notices rely on them being byte-identical to the system's).
STRIP_SAVED=0
if command -v strip >/dev/null; then
  before=$(du -sb "$APP/_internal" | cut -f1)
  find "$APP/_internal/tensorflow" -type f \( -name '*.so' -o -name '*.so.*' \) -print0 | xargs -0 -r strip --strip-unneeded
  find "$APP/_internal" -mindepth 2 -type f \( -name '*.so' -o -name '*.so.*' \) \
    -not -path "$APP/_internal/tensorflow/*" -not -path "$APP/_internal/PySide6/*" -not -path '*.libs/*' -print |
    while IFS= read -r lib; do
      readelf -d "$lib" 2>/dev/null | grep -qE '\((RPATH|RUNPATH)\).*\.libs' || printf '%s\0' "$lib"
    done | xargs -0 -r strip --strip-unneeded "$APP/_internal"/libpython3*.so.* "$APP/_internal"/fasttext_pybind*.so
  STRIP_SAVED=$(( before - $(du -sb "$APP/_internal" | cut -f1) ))
else
  echo "build_linux: 'strip' (binutils) not found; TensorFlow's libraries keep their symbol tables" >&2
fi

install -m 755 packaging/linux/embedstudio-launcher.sh "$APP/embedstudio"
install -m 755 packaging/linux/install-desktop-entry.sh "$APP/install-desktop-entry.sh"
install -m 644 packaging/linux/README.txt "$APP/README.txt"
"$VENV/bin/python" packaging/collect_licenses.py "$APP" --bundle "$APP/_internal"

# ---- 3. the .tar.gz -----------------------------------------------------------------------------
T_TAR_START=$(now)
TARBALL=$DIST/$NAME.tar.gz
GZIP_CMD="gzip -6"
command -v pigz >/dev/null && GZIP_CMD="pigz -6"
tar -C "$BUILD" --owner=0 --group=0 --numeric-owner -cf - "$NAME" | $GZIP_CMD > "$TARBALL.part"
mv "$TARBALL.part" "$TARBALL"
T_TAR=$(seconds_since "$T_TAR_START")

# ---- 4. the .deb --------------------------------------------------------------------------------
T_DEB_START=$(now)
DEBROOT=$BUILD/deb-root
rm -rf "$DEBROOT"
mkdir -p "$DEBROOT/opt" "$DEBROOT/usr/bin" "$DEBROOT/usr/share/applications" "$DEBROOT/usr/share/doc/embedstudio" \
  "$DEBROOT/DEBIAN"
cp -al "$APP" "$DEBROOT/opt/embedstudio"  # hard links: no second copy of 1.3 GB on disk
ln -s /opt/embedstudio/embedstudio "$DEBROOT/usr/bin/embedstudio"
install -m 644 resources/embedstudio.desktop "$DEBROOT/usr/share/applications/embedstudio.desktop"
for png in resources/icons/embedstudio-*.png; do
  size=$(basename "$png" .png); size=${size#embedstudio-}
  install -D -m 644 "$png" "$DEBROOT/usr/share/icons/hicolor/${size}x${size}/apps/embedstudio.png"
done
install -D -m 644 resources/icons/embedstudio.svg "$DEBROOT/usr/share/icons/hicolor/scalable/apps/embedstudio.svg"
cat > "$DEBROOT/usr/share/doc/embedstudio/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: EmbedStudio
Comment: EmbedStudio bundles Python, Qt (PySide6), TensorFlow and other libraries in /opt/embedstudio.
 Their licences are listed in /opt/embedstudio/THIRD-PARTY-NOTICES.txt; the full texts are in
 /opt/embedstudio/licenses/.

Files: *
Copyright: EmbedStudio contributors
License: MIT
EOF
installed_kb=$(du -sk --exclude=DEBIAN "$DEBROOT" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$DEBARCH/" -e "s/@INSTALLED_SIZE@/$installed_kb/" \
  -e "s|@MAINTAINER@|${DEB_MAINTAINER:-EmbedStudio maintainers <maintainers@embedstudio.invalid>}|" \
  packaging/linux/deb-control.in > "$DEBROOT/DEBIAN/control"
DEB=$DIST/embedstudio_${VERSION}_${DEBARCH}.deb
dpkg-deb --root-owner-group -Zgzip -z6 --build "$DEBROOT" "$DEB.part" >/dev/null
mv "$DEB.part" "$DEB"
rm -rf "$DEBROOT"
T_DEB=$(seconds_since "$T_DEB_START")

# ---- report ------------------------------------------------------------------------------------
T_TOTAL=$(seconds_since "$T_START")
unpacked=$(du -sb "$APP" | cut -f1)
tar_bytes=$(stat -c %s "$TARBALL")
deb_bytes=$(stat -c %s "$DEB")
"$VENV/bin/python" - "$DIST/build-info.json" <<PYINFO
import json, sys
info = {
    "version": "$VERSION", "bundle": "$APP", "tarball": "$TARBALL", "deb": "$DEB",
    "seconds": {"environment": $T_VENV, "pyinstaller": $T_PYI, "tar_gz": $T_TAR, "deb": $T_DEB, "total": $T_TOTAL},
    "bytes": {"unpacked": $unpacked, "tar_gz": $tar_bytes, "deb": $deb_bytes, "saved_by_strip": $STRIP_SAVED},
    "budget": {"unpacked": $MAX_UNPACKED, "compressed": $MAX_COMPRESSED},
    "git_commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
}
json.dump(info, open(sys.argv[1], "w"), indent=2)
PYINFO

echo
echo "EmbedStudio $VERSION built in ${T_TOTAL} s (environment ${T_VENV} s, PyInstaller ${T_PYI} s, tar.gz ${T_TAR} s, .deb ${T_DEB} s)"
echo "  bundle   $APP  $(human "$unpacked") unpacked (budget $(human $MAX_UNPACKED)); stripping symbol tables saved $(human "$STRIP_SAVED")"
echo "  tar.gz   $TARBALL  $(human "$tar_bytes") (budget $(human $MAX_COMPRESSED))"
echo "  .deb     $DEB  $(human "$deb_bytes")"
over=0
[ "$unpacked" -le "$MAX_UNPACKED" ] || { echo "build_linux: the bundle is over its size budget" >&2; over=1; }
[ "$tar_bytes" -le "$MAX_COMPRESSED" ] || { echo "build_linux: the .tar.gz is over its size budget" >&2; over=1; }
[ "$deb_bytes" -le "$MAX_COMPRESSED" ] || { echo "build_linux: the .deb is over its size budget" >&2; over=1; }
exit $over
