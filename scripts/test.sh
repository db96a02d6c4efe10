#!/usr/bin/env bash
# Install the test dependencies, then run pytest from the project root with the given arguments.
# Exit code: pytest's, except "no tests collected" (5), which counts as a failure (1).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${WIKITOWN_VENV:-.venv}"

bash scripts/install-test-deps.sh

set +e
"$VENV/bin/python" -m pytest "$@"
status=$?
set -e

if [[ $status -eq 5 ]]; then
  echo "scripts/test.sh: pytest collected no tests (exit 5) - treating this as a failure." >&2
  exit 1
fi
exit "$status"
