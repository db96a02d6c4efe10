"""Fixtures shared by all wikitown tests. Helpers live in tests/harness/.

Fixtures (see tests/harness/*.py for details):
  mediawiki            session  TestWiki: a real MediaWiki on 127.0.0.1 (php -S), with accounts,
                                seeded templates and a Disambiguator stand-in
  pywikibot_dir        session  Path of PYWIKIBOT_DIR (user-config.py for family 'townwiki')
  fresh_mediawiki      function factory: another, private copy of the wiki on its own port
  start_app            function factory: start_app(events_dir=None, env=None, *, script=None, ...)
  phone_context        function factory: phone_context(geolocation=(lat, lon), **context_options)
  phone_page           function a Page in an iPhone 13 context (geolocation allowed)
  standin              function factory: standin() -> StandinServer with .url/.route/.requests
  postgres_server      session  PostgresServer: Debian's PostgreSQL on a loopback port (tests/harness/postgres.py)
  store_backend        function parametrised "sqlite" / "postgresql": with postgresql, WIKITOWN_STORE_URL
                                points every store opened in the test at a fresh PostgreSQL database
  artifacts_dir        session  Path of test-artifacts/
  project_root         session  Path of the checkout

pywikibot reads PYWIKIBOT_DIR once, at its first import. This module therefore sets it at import
time (before any test module is imported) to a fresh folder, and writes user-config.py and
user-password.py into it right away, for the port the session's wiki will use (reserved now).
"""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.harness import ARTIFACTS  # noqa: E402
from tests.harness import mediawiki as mw  # noqa: E402
from tests.harness.requirements import need  # noqa: E402

# --------------------------------------------------------------------------------------------
# import-time setup: loopback only, pywikibot's folder, the wiki's port and secrets

for _var in ("NO_PROXY", "no_proxy"):
    _have = [p for p in os.environ.get(_var, "").split(",") if p]
    os.environ[_var] = ",".join(_have + [h for h in ("127.0.0.1", "localhost") if h not in _have])

PYWIKIBOT_DIR = Path(tempfile.mkdtemp(prefix="wikitown-pywikibot-"))
WIKI_PORT, _WIKI_PORT_RESERVATION = mw.reserve_port()
WIKI_SECRETS = mw.WikiSecrets()
_WIKI_API_URL = f"http://127.0.0.1:{WIKI_PORT}/api.php"


def _check_pywikibot_not_imported_elsewhere() -> None:
    pwb = sys.modules.get("pywikibot")
    if pwb is None:
        return
    base = getattr(getattr(pwb, "config", None), "base_dir", None)
    if base is None or Path(base).resolve() != PYWIKIBOT_DIR.resolve():
        raise RuntimeError(
            f"pywikibot was imported before tests/conftest.py set PYWIKIBOT_DIR (it uses {base!r}, "
            f"the tests need {str(PYWIKIBOT_DIR)!r}). Some plugin or earlier conftest imports "
            "pywikibot too early; the tests would talk to the wrong wiki.")


_check_pywikibot_not_imported_elsewhere()
os.environ["PYWIKIBOT_DIR"] = str(PYWIKIBOT_DIR)
os.environ.pop("PYWIKIBOT_NO_USER_CONFIG", None)
mw.write_pywikibot_config(PYWIKIBOT_DIR, _WIKI_API_URL, mw.BOT_USER, mw.BOT_APP,
                          WIKI_SECRETS.bot_secret)
atexit.register(shutil.rmtree, PYWIKIBOT_DIR, True)


# --------------------------------------------------------------------------------------------
# markers and reports


def pytest_collection_modifyitems(config, items):
    """Tests using the wiki or the browser get the matching marker automatically."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & {"mediawiki", "pywikibot_dir", "fresh_mediawiki"}:
            item.add_marker(pytest.mark.wiki)
        if names & {"phone_page", "phone_context", "phone_browser"}:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# --------------------------------------------------------------------------------------------
# MediaWiki


@pytest.fixture(scope="session")
def mediawiki_template(tmp_path_factory) -> Path:
    """A stopped, fully seeded wiki folder, built once per test run (copy it, never serve it)."""
    need("mediawiki")
    need("php")
    base = tmp_path_factory.mktemp("mediawiki")
    template = mw.build_template(base / "template", WIKI_SECRETS)
    port, reservation = mw.reserve_port()
    builder = mw.TestWiki(dir=template, port=port, bot_secret=WIKI_SECRETS.bot_secret,
                          admin_password=WIKI_SECRETS.admin_password,
                          other_password=WIKI_SECRETS.other_password,
                          bot_password=WIKI_SECRETS.bot_password)
    try:
        builder.start()
        mw.seed_templates(builder)
    finally:
        builder.stop()
        reservation.close()
    return template


def _new_wiki(template: Path, dest: Path, port: int) -> mw.TestWiki:
    mw.copy_wiki(template, dest)
    (dest / "php-server.log").unlink(missing_ok=True)
    return mw.TestWiki(dir=dest, port=port, bot_secret=WIKI_SECRETS.bot_secret,
                       admin_password=WIKI_SECRETS.admin_password,
                       other_password=WIKI_SECRETS.other_password,
                       bot_password=WIKI_SECRETS.bot_password)


def _save_wiki_log(wiki: mw.TestWiki, name: str) -> None:
    try:
        (ARTIFACTS / "mediawiki").mkdir(parents=True, exist_ok=True)
        if wiki.log_path.exists():
            shutil.copyfile(wiki.log_path, ARTIFACTS / "mediawiki" / f"{name}.log")
    except OSError:
        pass


@pytest.fixture(scope="session")
def mediawiki(mediawiki_template, tmp_path_factory):
    """The session's wiki on the port pywikibot's user-config.py names. See TestWiki."""
    wiki = _new_wiki(mediawiki_template, tmp_path_factory.mktemp("wiki") / "session", WIKI_PORT)
    _WIKI_PORT_RESERVATION  # stays open all session: nobody else gets the port while stopped
    wiki.start()
    try:
        yield wiki
    finally:
        wiki.stop()
        _save_wiki_log(wiki, "session-php-server")


@pytest.fixture(autouse=True)
def _wiki_back_up(request):
    """If a test uses the session wiki, make sure it is up before and restart it afterwards if
    the test stopped it (fault tests)."""
    if "mediawiki" not in request.fixturenames:
        yield
        return
    wiki = request.getfixturevalue("mediawiki")
    wiki.start()
    yield
    if not wiki.running:
        wiki.start()


@pytest.fixture(scope="session")
def pywikibot_dir(mediawiki) -> Path:
    """PYWIKIBOT_DIR for this session: user-config.py ('townwiki' family -> mediawiki.api_url)
    and user-password.py (TownBot's BotPassword). Request it before using pywikibot."""
    _check_pywikibot_not_imported_elsewhere()
    config = (PYWIKIBOT_DIR / "user-config.py").read_text()
    if mediawiki.api_url not in config or os.environ.get("PYWIKIBOT_DIR") != str(PYWIKIBOT_DIR):
        raise RuntimeError("PYWIKIBOT_DIR / user-config.py do not match the session wiki")
    pwb = sys.modules.get("pywikibot")
    if pwb is not None and pwb.config.family_files.get("townwiki") != mediawiki.api_url:
        raise RuntimeError("pywikibot was imported without the test user-config.py "
                           "(PYWIKIBOT_NO_USER_CONFIG set by someone?)")
    return PYWIKIBOT_DIR


@pytest.fixture
def fresh_mediawiki(mediawiki_template, tmp_path):
    """Factory for a private wiki copy on its own port (pywikibot's config does not point at
    it: use its api()/create_page() or pywikibot.Site(url=wiki.api_url, ...) with care).

    ``make(settings="", update=False)``: ``settings`` is PHP appended to this copy's
    LocalSettings.php before it starts (e.g. mw.ABUSEFILTER_SETTINGS,
    mw.rate_limit_settings(...)); ``update=True`` then runs maintenance/update.php --quick, for
    extensions that bring database tables (AbuseFilter)."""
    started: list[tuple[mw.TestWiki, object]] = []

    def make(settings: str = "", update: bool = False) -> mw.TestWiki:
        port, reservation = mw.reserve_port()
        wiki = _new_wiki(mediawiki_template, tmp_path / f"wiki-{len(started)}", port)
        started.append((wiki, reservation))
        if settings:
            wiki.append_settings(settings)
        if update:
            wiki.maintenance("update.php", "--quick")
        wiki.start()
        return wiki

    yield make
    for wiki, reservation in started:
        wiki.stop()
        reservation.close()


# --------------------------------------------------------------------------------------------
# Streamlit app server


@pytest.fixture
def start_app(request, tmp_path):
    """Factory: ``start_app(events_dir=None, env=None, *, script=None, home=None, args=(),
    timeout=60, port=None)`` starts ``streamlit run`` (default script: the project's app.py) and returns
    an AppServer - a str holding the base URL, with .port, .log_path, .events_dir, .home, .stop().

    WIKITOWN_EVENTS_DIR/WIKITOWN_HOME point at empty temp folders unless given. The server's
    output goes to test-artifacts/app-logs/<test>-<n>.log.
    """
    from tests.harness.app import APP_LOGS, safe_name, start_streamlit

    need("streamlit")
    servers = []

    def start(events_dir=None, env=None, *, script=None, home=None, args=(), timeout=60.0, port=None):
        n = len(servers)
        if events_dir is None:
            events_dir = tmp_path / f"events-{n}"
            events_dir.mkdir()
        if home is None:
            home = tmp_path / f"home-{n}"
            home.mkdir()
        script_path = Path(script) if script else PROJECT_ROOT / "app.py"
        if not script_path.is_file():
            raise FileNotFoundError(f"streamlit script not found: {script_path}")
        log_path = APP_LOGS / f"{safe_name(request.node.nodeid)}-{n}.log"
        log_path.unlink(missing_ok=True)
        server = start_streamlit(script_path, events_dir=Path(events_dir), home=Path(home),
                                 log_path=log_path, env=env, args=tuple(args), timeout=timeout, port=port)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# --------------------------------------------------------------------------------------------
# browser


@pytest.fixture(scope="session")
def _playwright():
    need("playwright")
    need("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def phone_browser(_playwright):
    """Headless Debian Chromium (never a Playwright-downloaded browser)."""
    from tests.harness.app import CHROMIUM_ARGS

    browser = _playwright.chromium.launch(executable_path=need("chromium"), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def phone_context(request, _playwright, phone_browser):
    """Factory: ``phone_context(geolocation=(lat, lon), **options)`` -> BrowserContext sized and
    behaving like an iPhone 13, with geolocation permission. ``geolocation=None`` leaves the
    position unset. Pages still open when a test fails are screenshotted as FAILED-*.png."""
    from tests.harness.app import DEFAULT_GEOLOCATION, phone_device, safe_name, shot

    contexts = []

    def make(geolocation=DEFAULT_GEOLOCATION, **options):
        settings = phone_device(_playwright)
        settings["permissions"] = ["geolocation"]
        if geolocation is not None:
            lat, lon = geolocation
            settings["geolocation"] = {"latitude": float(lat), "longitude": float(lon)}
        settings.update(options)
        context = phone_browser.new_context(**settings)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    yield make
    failed = getattr(request.node, "rep_call", None)
    for i, context in enumerate(contexts):
        if failed is not None and failed.failed:
            for j, page in enumerate(context.pages):
                try:
                    shot(page, f"FAILED-{safe_name(request.node.nodeid)}-{i}-{j}")
                except Exception:
                    pass
        context.close()


@pytest.fixture
def phone_page(phone_context):
    """A fresh page in a phone context at DEFAULT_GEOLOCATION (Yaizu city hall)."""
    return phone_context().new_page()


# --------------------------------------------------------------------------------------------
# stand-in services


@pytest.fixture
def standin():
    """Factory: ``standin()`` -> a started StandinServer (see tests/harness/standin.py)."""
    from tests.harness.standin import StandinServer

    servers = []

    def make() -> StandinServer:
        server = StandinServer()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def demo_env(tmp_path, monkeypatch):
    """A private copy of the bundled demo event (no store, no media), with the app's folders
    (WIKITOWN_EVENTS_DIR, WIKITOWN_HOME) pointed at temporary ones. Returns the event folder."""
    from wikitown.store.events import copy_event

    events = tmp_path / "events"
    events.mkdir()
    copy_event(PROJECT_ROOT / "events" / "demo-yaizu", events / "demo-yaizu")
    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(events))
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    return events / "demo-yaizu"


# --------------------------------------------------------------------------------------------
# PostgreSQL


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the session (started on first use)."""
    need("postgresql")
    from tests.harness.postgres import start_postgres

    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_backend(request, monkeypatch):
    """Run the test once on SQLite (the event folder's store.sqlite) and once on PostgreSQL (a fresh
    database, through ``WIKITOWN_STORE_URL`` as a real deployment sets it). Returns the
    PostgreSQL URL, or None for SQLite."""
    if request.param == "sqlite":
        monkeypatch.delenv("WIKITOWN_STORE_URL", raising=False)
        return None
    url = request.getfixturevalue("postgres_server").new_database()
    monkeypatch.setenv("WIKITOWN_STORE_URL", url)
    return url


@pytest.fixture
def town(tmp_path, monkeypatch):
    """A small event (one site, 常楽寺) in a private events folder and WIKITOWN_HOME."""
    from wikitown.store.events import create_event
    from wikitown.store.sites import upsert_sites

    events = tmp_path / "events"
    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(events))
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    ev = create_event(events / "town", name="town", lat=34.86, lon=138.32, radius_km=3, code="CODE-7Q4K-2026")
    upsert_sites(ev.store, [{"id": "s1", "name": "常楽寺", "lat": 34.8647761, "lon": 138.3246443}])
    yield ev
    ev.close()
