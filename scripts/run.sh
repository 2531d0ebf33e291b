#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh) and runs EmbedStudio. With no arguments it runs the demo job:
# train the demo classifier (data and vectors that ship with the dependencies), evaluate it and
# predict two sentences. Any arguments are passed to the `embedstudio` command instead,
# e.g. `./scripts/run.sh gui` opens the desktop app.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
export TF_CPP_MIN_LOG_LEVEL=3
if [ $# -eq 0 ]; then set -- demo; fi
exec .venv/bin/embedstudio "$@"
