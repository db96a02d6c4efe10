"""Test harness for wikitown: a real MediaWiki on loopback, the Streamlit app, a phone-sized
browser, and stand-in HTTP services. Fixtures are defined in tests/conftest.py; import helpers as
``from tests.harness.requirements import need`` (always via the ``tests.harness`` package name)."""
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
