#!/usr/bin/env bash
# Sets up everything EmbedStudio needs on a fresh Debian/Ubuntu machine, idempotently:
# the Debian libraries Qt needs (and Xvfb for the real-window tests), a virtual environment
# in .venv, and the project with its test extras. Safe to run again; it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  libegl1 libgl1 libglvnd0 libglx0 libopengl0 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3
  libx11-6 libx11-xcb1 libxcb1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xkb1
  libxcb-xinerama0 libxcb-xfixes0 libxrender1 libxi6 fonts-dejavu-core xvfb xauth x11-utils x11-apps
  desktop-file-utils
)

if command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
else
  echo "bootstrap: not a Debian/Ubuntu system; install Qt's runtime libraries (libEGL, libGL, xkbcommon, fontconfig) yourself." >&2
fi

PY="${PYTHON:-python3}"
"$PY" - <<'PYCHECK' || { echo "bootstrap: EmbedStudio needs Python >= 3.11 (set PYTHON=/path/to/python3.11)." >&2; exit 1; }
import sys; raise SystemExit(0 if sys.version_info >= (3, 11) else 1)
PYCHECK

[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=".venv/.bootstrap-stamp"
want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! .venv/bin/python -c "import embedstudio, tensorflow, PySide6, gensim, fasttext, pytestqt" 2>/dev/null; then
  echo "bootstrap: installing Python packages into .venv (log: .venv/bootstrap.log)"
  if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e ".[test]"; } \
       > .venv/bootstrap.log 2>&1; then
    tail -n 40 .venv/bootstrap.log >&2
    echo "bootstrap: pip install failed; the full log is .venv/bootstrap.log" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
