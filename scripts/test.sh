#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh) and runs the whole test suite: the house rules (ruff lint and format, mypy on
# the core, the GUI and the CLI), then core, GUI (offscreen) and the real-window tests (they start their own Xvfb). Extra arguments
# go to pytest; SKIP_HOUSE_RULES=1 skips the linters (for a quick local run, never in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
if [ "${SKIP_HOUSE_RULES:-0}" != "1" ]; then
  echo "house rules: ruff check, ruff format --check, mypy"
  .venv/bin/ruff check --no-cache embedstudio tests benchmarks scripts packaging
  .venv/bin/ruff format --no-cache --check embedstudio tests benchmarks scripts packaging
  .venv/bin/mypy
fi
export QT_QPA_PLATFORM=offscreen TF_CPP_MIN_LOG_LEVEL=3 PYTHONHASHSEED=0
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
