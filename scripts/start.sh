#!/usr/bin/env bash
# Install wikitown into .venv and start the app on the bundled demo event (works offline).
# Extra arguments go to `python -m wikitown serve` (for example --https, --port 8502).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/venv.sh requirements.txt
exec .venv/bin/python -m wikitown serve "$@"
