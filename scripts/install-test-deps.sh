#!/usr/bin/env bash
# Install everything the test suite needs (idempotent; fast when all is already present).
#   Debian packages: a MediaWiki served by PHP's built-in server, Debian's Chromium (Playwright
#   drives it; never `playwright install`), poppler (pdftotext; poppler-data maps Japanese CID
#   fonts to text), exiftool, CJK fonts (fonts-ipaexfont-gothic: the TrueType font PDFs embed;
#   wikitown ships a copy too), PostgreSQL (the harness starts its own cluster on a free port).
#   Python packages: requirements-test.txt (which includes requirements.txt), into .venv.
# Environment: SKIP_APT=1 / SKIP_PIP=1 to skip a step.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(
  mediawiki php-sqlite3 php-cli php-intl php-mbstring php-xml php8.2-cgi micro-httpd
  chromium poppler-utils poppler-data libimage-exiftool-perl fonts-noto-cjk fonts-ipaexfont-gothic postgresql
)

missing=()
if [[ "${SKIP_APT:-0}" != 1 ]]; then
  for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
      missing+=("$pkg")
    fi
  done
fi

if ((${#missing[@]})); then
  echo "install-test-deps: installing Debian packages: ${missing[*]}" >&2
  SUDO=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null; then SUDO=(sudo); else
      echo "install-test-deps: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update
  # Naming php8.2-cgi and micro-httpd satisfies mediawiki's web-server dependency without apache2.
  "${SUDO[@]}" apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"
else
  echo "install-test-deps: Debian packages present" >&2
fi

if [[ "${SKIP_PIP:-0}" != 1 ]]; then
  bash scripts/venv.sh requirements-test.txt
fi
