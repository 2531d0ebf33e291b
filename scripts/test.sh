#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh) and runs the whole test suite: core, GUI (offscreen) and
# the real-window tests (they start their own Xvfb). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
export QT_QPA_PLATFORM=offscreen TF_CPP_MIN_LOG_LEVEL=3 PYTHONHASHSEED=0
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
