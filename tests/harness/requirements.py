"""What a test needs from the machine, and what happens when it is missing.

Outside CI a missing capability skips the test (a contributor without MediaWiki or Chromium can
still run the rest). In CI (the ``CI`` environment variable is set, as ``.ci/run`` does) the same
absence is a hard failure: a CI run that silently skipped the wiki or browser tests would look
green while testing nothing.

    from tests.harness.requirements import need, shared_data
    need("pdftotext")                      # returns "/usr/bin/pdftotext" or skips/fails
    need("playwright", "phone screenshots need the playwright package")
    photos = shared_data("photos")         # tests/data/photos (a missing file fails)
"""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MEDIAWIKI_ROOT = Path("/usr/share/mediawiki")
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

# capability -> (kind, target, how to get it)
_CAPABILITIES: dict[str, tuple[str, str, str]] = {
    "php": ("exe", "php", "apt-get install php-cli (scripts/install-test-deps.sh)"),
    "pdftotext": ("exe", "pdftotext", "apt-get install poppler-utils"),
    "pdfinfo": ("exe", "pdfinfo", "apt-get install poppler-utils"),
    "pdffonts": ("exe", "pdffonts", "apt-get install poppler-utils"),
    "exiftool": ("exe", "exiftool", "apt-get install libimage-exiftool-perl"),
    "chromium": ("chromium", "", "apt-get install chromium"),
    "mediawiki": ("mediawiki", "", "apt-get install mediawiki php-sqlite3 php-intl php-mbstring php-xml"),
    "playwright": ("module", "playwright", "pip install -r requirements-test.txt"),
    "pywikibot": ("module", "pywikibot", "pip install -r requirements.txt"),
    "streamlit": ("module", "streamlit", "pip install -r requirements.txt"),
    "PIL": ("module", "PIL", "pip install -r requirements.txt"),
    "postgresql": ("postgresql", "", "apt-get install postgresql; pip install -r requirements.txt (psycopg)"),
}


def in_ci() -> bool:
    """True when the CI environment variable is set (to anything but an explicit no)."""
    value = os.environ.get("CI")
    if value is None:
        return False
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def missing(reason: str) -> None:
    """A needed capability is absent: fail in CI, skip elsewhere. Never returns."""
    if in_ci():
        pytest.fail(f"[CI] required capability missing: {reason}", pytrace=False)
    pytest.skip(reason)


def _have_mediawiki() -> str | None:
    if not (MEDIAWIKI_ROOT / "maintenance" / "install.php").is_file():
        return None
    if shutil.which("php") is None:
        return None
    return str(MEDIAWIKI_ROOT)


def _have_chromium() -> str | None:
    override = os.environ.get("WIKITOWN_TEST_CHROMIUM")
    for candidate in ((override,) if override else ()) + CHROMIUM_CANDIDATES:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def probe(what: str) -> str | None:
    """Where the capability lives (a path or module name), or None when it is absent.

    Known names: php, pdftotext, pdfinfo, exiftool, chromium, mediawiki, playwright, pywikibot,
    streamlit, PIL. Any other name is looked up as an executable on PATH, or as a Python module
    when written ``module:NAME``.
    """
    if what.startswith("module:"):
        kind, target = "module", what.split(":", 1)[1]
    elif what in _CAPABILITIES:
        kind, target, _ = _CAPABILITIES[what]
    else:
        kind, target = "exe", what
    if kind == "exe":
        return shutil.which(target)
    if kind == "module":
        return target if importlib.util.find_spec(target) is not None else None
    if kind == "chromium":
        return _have_chromium()
    if kind == "mediawiki":
        return _have_mediawiki()
    if kind == "postgresql":
        from .postgres import postgres_bin

        found = postgres_bin()
        return str(found) if found and importlib.util.find_spec("psycopg") is not None else None
    raise AssertionError(kind)


def need(what: str, reason: str | None = None) -> str:
    """Return where ``what`` lives; if it is missing, fail in CI or skip outside it.

    ``reason`` is shown in the skip/fail message; by default it says what is missing and how to
    install it.
    """
    found = probe(what)
    if found is None:
        hint = _CAPABILITIES.get(what, ("", "", "see scripts/install-test-deps.sh"))[2]
        missing(reason or f"{what} is not available ({hint})")
    return found  # type: ignore[return-value]


TEST_DATA = PROJECT_ROOT / "tests" / "data"


def shared_data(*parts: str) -> Path:
    """Path of a real file (or folder) the tests bring with them under ``tests/data``.

    The files are copies of the project's shared real data (see tests/data/PROVENANCE.md), so a
    fresh clone runs every test with no skip. A missing one is a broken checkout: fail, never skip.
    """
    path = TEST_DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"test data missing from the checkout: {path}", pytrace=False)
    return path
