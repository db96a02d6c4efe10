#!/usr/bin/env bash
# Install everything the test suite needs (idempotent; fast when all is already present).
#   Debian packages: a MediaWiki served by PHP's built-in server, Debian's Chromium (Playwright
#   drives it; never `playwright install`), poppler (pdftotext), exiftool, CJK fonts.
#   Python packages: requirements-test.txt (which includes requirements.txt).
# Environment: PYTHON (default python3); SKIP_APT=1 / SKIP_PIP=1 to skip a step.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"

APT_PACKAGES=(
  mediawiki php-sqlite3 php-cli php-intl php-mbstring php-xml php8.2-cgi micro-httpd
  chromium poppler-utils libimage-exiftool-perl fonts-noto-cjk
)

missing=()
if [[ "${SKIP_APT:-0}" != 1 ]]; then
  if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    APT_PACKAGES+=(python3-pip)
  fi
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
  pip_args=(install --disable-pip-version-check --root-user-action=ignore -q -r requirements-test.txt)
  # Debian's own python3 refuses pip installs (PEP 668) outside a virtualenv. In CI (throwaway
  # machine) install anyway; elsewhere ask the user to use a virtualenv (or opt in).
  managed=$("$PYTHON" - <<'PY'
import os, sys, sysconfig
in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
print("yes" if (not in_venv and os.path.exists(marker)) else "no")
PY
)
  if [[ "$managed" == yes ]]; then
    if [[ -n "${CI:-}" || "${WIKITOWN_PIP_BREAK_SYSTEM_PACKAGES:-0}" == 1 ]]; then
      pip_args+=(--break-system-packages)
    else
      echo "install-test-deps: $PYTHON is Debian's externally managed Python." >&2
      echo "  Use a virtualenv (python3 -m venv .venv && . .venv/bin/activate)," >&2
      echo "  or set WIKITOWN_PIP_BREAK_SYSTEM_PACKAGES=1 to install into it anyway." >&2
      exit 1
    fi
  fi
  echo "install-test-deps: $PYTHON -m pip ${pip_args[*]}" >&2
  "$PYTHON" -m pip "${pip_args[@]}"
fi
