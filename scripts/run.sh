#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh) and runs EmbedStudio. With no arguments it runs the demo job: a small
# data-efficiency study on BBC News with GloVe 6B 50d (both ship with the dependencies): TF-IDF vs the
# auto recipe from scratch, with GloVe frozen and fine-tuned, at 5% and 100% of the training split; it prints
# the table and predicts three headlines. Any arguments are passed to the `embedstudio` command instead,
# e.g. `./scripts/run.sh gui` opens the desktop app.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
export TF_CPP_MIN_LOG_LEVEL=3
if [ $# -eq 0 ]; then set -- demo; fi
exec .venv/bin/embedstudio "$@"
