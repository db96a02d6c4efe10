#!/usr/bin/env bash
# Make (or update) the project's virtualenv in .venv and install a requirements file into it.
# Usage: scripts/venv.sh requirements.txt
# Debian's own python3 refuses pip installs outside a virtualenv (PEP 668), so everything goes in .venv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REQ="${1:-requirements.txt}"
PYTHON="${PYTHON:-python3}"
VENV="${WIKITOWN_VENV:-.venv}"

if [[ ! -x "$VENV/bin/python" ]]; then
  if ! "$PYTHON" -m venv --help >/dev/null 2>&1 || ! "$PYTHON" -c "import ensurepip" >/dev/null 2>&1; then
    echo "venv: installing python3-venv (Debian)" >&2
    SUDO=(); [[ "$(id -u)" != 0 ]] && SUDO=(sudo)
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv
  fi
  "$PYTHON" -m venv "$VENV"
fi
# Skip pip when this exact requirements file was installed already (fast restarts).
stamp="$VENV/.installed-$(basename "$REQ")"
want=$(cat "$REQ" requirements.txt 2>/dev/null | sha1sum | cut -c1-40)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "venv: installing $REQ into $VENV" >&2
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
  echo "$want" > "$stamp"
fi
