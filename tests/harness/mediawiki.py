"""A real MediaWiki 1.39 (Debian package) on loopback, served by ``php -S``, for tests.

Recipe (Debian's mediawiki package, SQLite, php -S; docs/development.md): install.php into a *template* folder once per test
run, make it relocatable, add accounts and seed templates, then ``cp -a`` the template into a fresh
folder and serve it with PHP's built-in server on a reserved loopback port.

Layout of a wiki folder::

    DIR/LocalSettings.php   (MW_CONFIG_FILE points here)
    DIR/data/               (SQLite databases)
    DIR/htdocs/             (symlinks into /usr/share/mediawiki + a real images/ folder)
    DIR/php-server.log      (the built-in server's request log, appended across restarts)
"""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import sqlite3
import string
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import requests

MW_ROOT = Path("/usr/share/mediawiki")
MW_EXT = MW_ROOT / "extensions-core"
PHP = "php"
PHP_SERVER_FLAGS = ["-d", "upload_max_filesize=100M", "-d", "post_max_size=110M",
                    "-d", "memory_limit=512M"]

BOT_USER = "TownBot"
BOT_APP = "wikitown"
BOT_GRANTS = "basic,highvolume,editpage,createeditmovepage,uploadfile,uploadeditmovefile"
ADMIN_USER = "Admin"
OTHER_USER = "Someone"
DB_NAME = "wikitest"  # SQLite file: DIR/data/wikitest.sqlite

# Entries of /usr/share/mediawiki that must not be symlinked into the web root.
_SKIP_IN_HTDOCS = {"LocalSettings.php", "images", "cache", "config", "extensions"}

# Extensions loaded from /usr/share/mediawiki/extensions-core. Disambiguator is NOT shipped by
# Debian's mediawiki package; a few lines in LocalSettings emulate its one effect that matters
# (``__DISAMBIG__`` sets the ``disambiguation`` page property), see _DISAMBIG_MAGIC.
EXTENSIONS = ("ParserFunctions", "Cite", "PageImages", "TextExtracts")

_DISAMBIG_MAGIC = """<?php
// Written by tests/harness/mediawiki.py: stands in for Extension:Disambiguator's magic word.
$magicWords = [];
$magicWords['en'] = [ 'disambiguation' => [ 0, '__DISAMBIG__', '__曖昧さ回避__' ] ];
"""

_LOCAL_SETTINGS_TAIL = r"""
# ---- added by tests/harness/mediawiki.py -------------------------------------------------
$wgShowExceptionDetails = true;
$wgEnableEmail = false;
$wgEmailAuthentication = false;
$wgTmpDirectory = __DIR__ . "/tmp";
$wgEnableUploads = true;
$wgFileExtensions = [ 'jpg', 'jpeg', 'png', 'webp', 'gif', 'pdf' ];
$wgUploadDirectory = __DIR__ . "/htdocs/images";
$wgUploadPath = "$wgScriptPath/images";
$wgExtensionAssetsPath = "$wgScriptPath/extensions";
$wgUseImageMagick = false;
$wgUseInstantCommons = false;
$wgJobRunRate = 0;
$wgAutoConfirmAge = 0;
$wgAutoConfirmCount = 0;
$wgGroupPermissions['user']['noratelimit'] = true;
$wgPasswordAttemptThrottle = [];
$wgAccountCreationThrottle = 0;
define( 'NS_DRAFT', 118 );
define( 'NS_DRAFT_TALK', 119 );
$wgExtraNamespaces[NS_DRAFT] = 'Draft';
$wgExtraNamespaces[NS_DRAFT_TALK] = 'Draft_talk';
$wgNamespacesWithSubpages[NS_DRAFT] = true;
%(extensions)s
# Disambiguator stand-in: __DISAMBIG__ -> page property "disambiguation" (as the extension does).
$wgExtensionMessagesFiles['HarnessDisambigMagic'] = __DIR__ . '/HarnessDisambig.magic.php';
$wgHooks['GetDoubleUnderscoreIDs'][] = static function ( &$ids ) { $ids[] = 'disambiguation'; };
"""

# Extra LocalSettings for a private wiki (``fresh_mediawiki(settings=..., update=True)``).
# AbuseFilter needs its tables: pass update=True (maintenance/update.php, about 2 s). Filters are
# then added with TestWiki.add_abuse_filter (rows in the wiki's own SQLite database).
ABUSEFILTER_SETTINGS = f"""
wfLoadExtension( 'AbuseFilter', '{MW_EXT / "AbuseFilter" / "extension.json"}' );
"""


def rate_limit_settings(action: str, hits: int, seconds: int) -> str:
    """LocalSettings text: every logged-in account (bots included) may do ``action`` (``edit``,
    ``upload`` ...) at most ``hits`` times per ``seconds``. The template grants 'noratelimit' to
    all users; this takes it away again. MediaWiki counts hits in the main object cache, which the
    installer leaves at CACHE_NONE (no limit would ever be reached): use the database."""
    return f"""
$wgMainCacheType = CACHE_DB;
$wgGroupPermissions['user']['noratelimit'] = false;
$wgGroupPermissions['bot']['noratelimit'] = false;
$wgRateLimits['{action}'] = [ 'user' => [ {int(hits)}, {int(seconds)} ] ];
"""


# --------------------------------------------------------------------------------------------
# ports and processes


def reserve_port(host: str = "127.0.0.1") -> tuple[int, socket.socket]:
    """Pick a free port and keep it reserved.

    The returned socket is bound (SO_REUSEADDR, not listening), so the kernel hands the port to
    nobody else's ``bind(0)``, yet servers that set SO_REUSEADDR themselves (php -S, tornado) can
    still bind and listen on it. Close the socket when the port is no longer needed.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock.getsockname()[1], sock


def die_with_parent() -> None:
    """preexec_fn: on Linux, SIGTERM this child when the test process dies (even by SIGKILL),
    so no php -S / streamlit server outlives a hard-killed pytest."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def kill_group(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """Terminate a process started with start_new_session=True, with its whole group."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def random_secret(n: int = 32) -> str:
    # MediaWiki only treats a password as a BotPassword when it matches /^[0-9a-w]{32,}$/
    # (BotPassword::canonicalizeLoginData); with x, y or z in it, action=login silently tries
    # the main password instead and fails. Use base32 digits like MediaWiki's own generator.
    alphabet = string.digits + "abcdefghijklmnopqrstuv"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def random_password() -> str:
    return "Pw-" + secrets.token_urlsafe(18)


# --------------------------------------------------------------------------------------------
# building


@dataclass
class WikiSecrets:
    admin_password: str = field(default_factory=random_password)
    bot_password: str = field(default_factory=random_password)  # TownBot's main password
    bot_secret: str = field(default_factory=random_secret)  # BotPassword secret (32 chars)
    other_password: str = field(default_factory=random_password)


def _run_php(args: list[str], conf: Path, log: Path) -> None:
    env = dict(os.environ, MW_CONFIG_FILE=str(conf))
    with open(log, "a") as out:
        out.write(f"\n$ php {' '.join(args)}\n")
        out.flush()
        res = subprocess.run([PHP, *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                             cwd=str(MW_ROOT), timeout=180)
    if res.returncode != 0:
        raise RuntimeError(f"php {args[0]} failed (exit {res.returncode}):\n{_tail(log)}")


def _make_htdocs(wiki_dir: Path) -> None:
    htdocs = wiki_dir / "htdocs"
    htdocs.mkdir()
    for entry in MW_ROOT.iterdir():
        if entry.name in _SKIP_IN_HTDOCS:
            continue
        (htdocs / entry.name).symlink_to(entry)
    (htdocs / "extensions").symlink_to(MW_EXT)  # extension assets (load.php, styles)
    (htdocs / "images").mkdir()
    (wiki_dir / "tmp").mkdir()


def build_template(wiki_dir: Path, creds: WikiSecrets) -> Path:
    """Install a MediaWiki into ``wiki_dir`` (must not exist): settings, accounts, bot password.

    Templates are seeded separately (they need a running server), see ``build_seeded_template``.
    """
    wiki_dir = Path(wiki_dir)
    wiki_dir.mkdir(parents=True)
    log = wiki_dir / "build.log"
    conf = wiki_dir / "LocalSettings.php"
    _run_php([str(MW_ROOT / "maintenance/install.php"), "--quiet", "--dbtype", "sqlite",
              "--dbpath", str(wiki_dir / "data"), "--dbname", DB_NAME,
              "--confpath", str(wiki_dir), "--server", "http://127.0.0.1", "--scriptpath", "",
              "--lang", "en", "--skins", "Vector", "--pass", creds.admin_password,
              "Test Wiki", ADMIN_USER], conf, log)
    _make_htdocs(wiki_dir)
    text = conf.read_text()
    lines = []
    for line in text.splitlines():
        if line.startswith("$wgSQLiteDataDir ="):
            line = '$wgSQLiteDataDir = __DIR__ . "/data";'
        elif line.startswith("$wgServer ="):
            line = "$wgServer = WebRequest::detectServer();"
        elif line.startswith(("$wgEnableUploads =", "$wgUseImageMagick =",
                              "$wgImageMagickConvertCommand =")):
            continue
        lines.append(line)
    ext_lines = "\n".join(f"wfLoadExtension( '{name}', '{MW_EXT / name / 'extension.json'}' );"
                          for name in EXTENSIONS if (MW_EXT / name / "extension.json").is_file())
    conf.write_text("\n".join(lines) + "\n" + _LOCAL_SETTINGS_TAIL % {"extensions": ext_lines})
    (wiki_dir / "HarnessDisambig.magic.php").write_text(_DISAMBIG_MAGIC)

    maint = MW_ROOT / "maintenance"
    _run_php([str(maint / "createAndPromote.php"), "--bot", BOT_USER, creds.bot_password], conf, log)
    _run_php([str(maint / "createBotPassword.php"), "--appid", BOT_APP, "--grants", BOT_GRANTS,
              BOT_USER, creds.bot_secret], conf, log)
    _run_php([str(maint / "createAndPromote.php"), OTHER_USER, creds.other_password], conf, log)
    return wiki_dir


def copy_wiki(src: Path, dst: Path) -> Path:
    """``cp -a`` a (stopped) wiki folder; symlinks stay absolute, so the copy works anywhere."""
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    return Path(dst)


# --------------------------------------------------------------------------------------------
# the running wiki


class WikiAPIError(RuntimeError):
    def __init__(self, response: dict):
        self.response = response
        err = response.get("error", {})
        self.code = err.get("code")
        super().__init__(f"{self.code}: {err.get('info')}")


@dataclass
class TestWiki:
    """A MediaWiki served by ``php -S`` on 127.0.0.1:port from ``dir``.

    Accounts: ``admin_user`` (sysop, bureaucrat), ``bot_user`` (bot group; log in with the
    BotPassword ``bot_user@bot_app`` / ``bot_secret``), ``other_user`` (plain user, "someone else").
    """
    __test__ = False  # not a pytest test class

    dir: Path
    port: int
    bot_secret: str
    admin_password: str
    other_password: str
    bot_password: str = field(repr=False, default="")
    bot_user: str = BOT_USER
    bot_app: str = BOT_APP
    admin_user: str = ADMIN_USER
    other_user: str = OTHER_USER
    host: str = "127.0.0.1"
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    _sessions: dict = field(default_factory=dict, repr=False)

    # -- addresses ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api.php"

    @property
    def index_url(self) -> str:
        return f"{self.base_url}/index.php"

    @property
    def config_file(self) -> Path:
        return self.dir / "LocalSettings.php"

    @property
    def log_path(self) -> Path:
        return self.dir / "php-server.log"

    @property
    def bot_login_name(self) -> str:
        return f"{self.bot_user}@{self.bot_app}"

    def page_url(self, title: str) -> str:
        return f"{self.index_url}?title={requests.utils.quote(title.replace(' ', '_'))}"

    # -- process -----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        """Start ``php -S`` on the SAME port (no-op if already running); wait until api.php answers."""
        if self.running:
            return
        env = dict(os.environ, MW_CONFIG_FILE=str(self.config_file))
        env.pop("PHP_CLI_SERVER_WORKERS", None)
        log = open(self.log_path, "ab")
        try:
            self._proc = subprocess.Popen(
                [PHP, *PHP_SERVER_FLAGS, "-S", f"{self.host}:{self.port}", "-t",
                 str(self.dir / "htdocs")],
                cwd=str(self.dir), env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"php -S exited with {self._proc.returncode}:\n{_tail(self.log_path)}")
            try:
                r = requests.get(self.api_url, params={"action": "query", "meta": "siteinfo",
                                                       "format": "json"}, timeout=10)
                if r.status_code == 200 and "query" in r.json():
                    return
            except (requests.RequestException, ValueError) as exc:
                last = exc
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"wiki did not answer within {timeout}s ({last}):\n{_tail(self.log_path)}")

    def stop(self) -> None:
        """Stop the server (by its process group). The port stays reserved for start()."""
        if self._proc is not None:
            kill_group(self._proc)
            self._proc = None

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """``with wiki.down(): ...`` - the wiki is unreachable inside, back up afterwards."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    # -- plain API ---------------------------------------------------------------------------
    def api(self, params: dict, method: str = "GET", session: requests.Session | None = None,
            files: dict | None = None, check: bool = False) -> dict:
        """One API call without login (unless ``session`` is given). Returns the JSON.

        ``format=json`` and ``formatversion=2`` are added unless given. With ``check=True`` an
        API error raises WikiAPIError.
        """
        params = {"format": "json", "formatversion": "2", **params}
        http = session or requests
        if method.upper() == "GET":
            r = http.get(self.api_url, params=params, timeout=60)
        else:
            r = http.post(self.api_url, data=params, files=files, timeout=120)
        r.raise_for_status()
        data = r.json()
        if check and "error" in data:
            raise WikiAPIError(data)
        return data

    def _credentials(self, user: str) -> tuple[str, str, str]:
        """(login kind, name, password) for 'other' | 'admin' | 'bot' (or a literal user name)."""
        if user in ("other", self.other_user):
            return "client", self.other_user, self.other_password
        if user in ("admin", self.admin_user):
            return "client", self.admin_user, self.admin_password
        if user in ("bot", self.bot_user, self.bot_login_name):
            return "login", self.bot_login_name, self.bot_secret
        raise ValueError(f"unknown user {user!r}: use 'other', 'admin' or 'bot'")

    def session(self, user: str = "other") -> requests.Session:
        """A requests.Session logged in as ``user`` ('other', 'admin' or 'bot'); cached."""
        kind, name, password = self._credentials(user)
        if name in self._sessions:
            return self._sessions[name]
        s = requests.Session()
        s.headers["User-Agent"] = "wikitown-test-harness/1.0"
        token = self.api({"action": "query", "meta": "tokens", "type": "login"},
                         session=s)["query"]["tokens"]["logintoken"]
        if kind == "client":
            res = self.api({"action": "clientlogin", "username": name, "password": password,
                            "logintoken": token, "loginreturnurl": self.base_url + "/"},
                           method="POST", session=s)
            ok = res.get("clientlogin", {}).get("status") == "PASS"
        else:
            res = self.api({"action": "login", "lgname": name, "lgpassword": password,
                            "lgtoken": token}, method="POST", session=s)
            ok = res.get("login", {}).get("result") == "Success"
        if not ok:
            raise RuntimeError(f"login as {name} failed: {res}")
        self._sessions[name] = s
        return s

    def csrf_token(self, user: str = "other") -> str:
        s = self.session(user)
        return self.api({"action": "query", "meta": "tokens"}, session=s)["query"]["tokens"]["csrftoken"]

    def create_page(self, title: str, text: str, user: str = "other",
                    summary: str = "test fixture", **extra: Any) -> dict:
        """Create or overwrite ``title`` as ``user`` ('other' = Someone, 'admin', 'bot').

        Returns the API's ``edit`` result (``newrevid``, ``pageid``, ...). Extra keyword arguments
        are passed to action=edit (e.g. ``createonly=1``).
        """
        s = self.session(user)
        params = {"action": "edit", "title": title, "text": text, "summary": summary,
                  "token": self.csrf_token(user), **extra}
        res = self.api(params, method="POST", session=s, check=True)
        if res.get("edit", {}).get("result") != "Success":
            raise RuntimeError(f"edit of {title!r} failed: {res}")
        return res["edit"]

    def upload(self, filename: str, data: bytes, text: str = "", user: str = "other",
               comment: str = "test fixture", ignorewarnings: bool = True) -> dict:
        """Upload ``data`` as File:``filename`` (as Someone by default). Returns the ``upload`` result."""
        s = self.session(user)
        params = {"action": "upload", "filename": filename, "text": text, "comment": comment,
                  "token": self.csrf_token(user)}
        if ignorewarnings:
            params["ignorewarnings"] = "1"
        res = self.api(params, method="POST", session=s,
                       files={"file": (filename, data, "application/octet-stream")}, check=True)
        return res["upload"]

    # -- reading back ------------------------------------------------------------------------
    def page_info(self, title: str) -> dict:
        """The page object of prop=info|pageprops|revisions (content of the latest revision)."""
        res = self.api({"action": "query", "titles": title, "prop": "info|pageprops|revisions",
                        "rvprop": "content|user|comment|ids", "rvslots": "main"}, check=True)
        return res["query"]["pages"][0]

    def page_exists(self, title: str) -> bool:
        return not self.page_info(title).get("missing", False)

    def page_text(self, title: str) -> str | None:
        page = self.page_info(title)
        if page.get("missing"):
            return None
        return page["revisions"][0]["slots"]["main"]["content"]

    # -- configuration -----------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.dir / "data" / f"{DB_NAME}.sqlite"

    def append_settings(self, text: str) -> None:
        """Append PHP to LocalSettings.php (each request reads it: no restart needed)."""
        with open(self.config_file, "a") as out:
            out.write("\n# ---- added by a test ----\n" + text.strip("\n") + "\n")

    def maintenance(self, script: str, *args: str) -> None:
        """Run ``maintenance/<script>`` against this wiki (output in DIR/maintenance.log)."""
        _run_php([str(MW_ROOT / "maintenance" / script), *args], self.config_file,
                 self.dir / "maintenance.log")

    def add_abuse_filter(self, rules: str, description: str = "test filter",
                         actions: tuple[str, ...] = ("disallow",)) -> int:
        """An enabled AbuseFilter filter (needs ABUSEFILTER_SETTINGS and update.php), written
        straight into the wiki's database as Special:AbuseFilter would save it. ``rules`` is
        AbuseFilter's rule language, e.g. ``action == "edit" & added_lines contains "X"``.
        Local filters are read from the database on every edit: it applies at once."""
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=10)) as db, db:
            admin_id = db.execute("SELECT user_id FROM user WHERE user_name = ?",
                                  (self.admin_user,)).fetchone()[0]
            cur = db.execute(
                "INSERT INTO abuse_filter (af_pattern, af_user, af_user_text, af_timestamp,"
                " af_enabled, af_comments, af_public_comments, af_actions, af_group)"
                " VALUES (?, ?, ?, ?, 1, '', ?, ?, 'default')",
                (rules, admin_id, self.admin_user, time.strftime("%Y%m%d%H%M%S", time.gmtime()),
                 description, ",".join(actions)))
            filter_id = cur.lastrowid
            db.executemany("INSERT INTO abuse_filter_action (afa_filter, afa_consequence,"
                           " afa_parameters) VALUES (?, ?, '')",
                           [(filter_id, a) for a in actions])
        return filter_id


# --------------------------------------------------------------------------------------------
# seeding


SEED_TEMPLATES: dict[str, str] = {
    "Template:Information": (
        '<div class="fileinfo-information"><table class="fileinfotpl">'
        "<tr><th>Description</th><td>{{{description|{{{Description|}}}}}}</td></tr>"
        "<tr><th>Date</th><td>{{{date|{{{Date|}}}}}}</td></tr>"
        "<tr><th>Source</th><td>{{{source|{{{Source|}}}}}}</td></tr>"
        "<tr><th>Author</th><td>{{{author|{{{Author|}}}}}}</td></tr>"
        "{{#if:{{{permission|}}}|<tr><th>Permission</th><td>{{{permission}}}</td></tr>}}"
        "{{#if:{{{other versions|}}}|<tr><th>Other versions</th><td>{{{other versions}}}</td></tr>}}"
        "</table></div>"
        "<noinclude>Minimal test copy of Commons' Template:Information.</noinclude>"),
    "Template:Location": (
        '<div class="camera-location">Camera location: <span class="geo">'
        "{{{1}}}; {{{2}}}</span></div>"
        "{{#if:{{{1|}}}||[[Category:Location templates without coordinates]]}}"),
    "Template:Object location": (
        '<div class="object-location">Object location: <span class="geo">'
        "{{{1}}}; {{{2}}}</span></div>"),
    "Template:Self": (
        '<div class="licensetpl-self">I, the copyright holder of this work, publish it under: '
        "{{#if:{{{1|}}}|{{ {{{1}}} }}}}{{#if:{{{2|}}}|{{ {{{2}}} }}}}{{#if:{{{3|}}}|{{ {{{3}}} }}}}"
        "</div>[[Category:Self-published work]]"),
    "Template:Own": "Own work",
    "Template:Cc-by-sa-4.0": (
        '<span class="licensetpl">CC BY-SA 4.0</span>[[Category:CC-BY-SA-4.0]]'),
    "Template:Cc-by-4.0": '<span class="licensetpl">CC BY 4.0</span>[[Category:CC-BY-4.0]]',
    "Template:Cc-zero": '<span class="licensetpl">CC0</span>[[Category:CC-Zero]]',
    "Template:According to Exif data": "{{{1}}} (according to Exif data)",
    "Template:Ja": '<div lang="ja" class="description ja">日本語: {{{1}}}</div>',
    "Template:En": '<div lang="en" class="description en">English: {{{1}}}</div>',
    "Template:Coord": (
        '<span class="geo coord">{{{1}}}; {{{2}}}{{#if:{{{3|}}}|; {{{3}}}}}'
        "{{#if:{{{4|}}}|; {{{4}}}}}</span>"),
    "Template:Cite book": (
        '<cite class="citation book">{{#if:{{{author|}}}|{{{author}}}. |'
        "{{#if:{{{last|}}}|{{{last}}}{{#if:{{{first|}}}|, {{{first}}}}}. }}}}"
        "''{{{title|}}}''. {{{publisher|}}}{{#if:{{{date|{{{year|}}}}}}|, {{{date|{{{year|}}}}}}}}."
        "{{#if:{{{isbn|}}}| ISBN {{{isbn}}}.}}{{#if:{{{page|}}}| p. {{{page}}}.}}</cite>"),
    "Template:Cite web": (
        '<cite class="citation web">[{{{url|}}} {{{title|}}}]. '
        "{{{website|{{{publisher|}}}}}}{{#if:{{{access-date|{{{accessdate|}}}}}}|. "
        "Retrieved {{{access-date|{{{accessdate|}}}}}}}}.</cite>"),
    "Template:Citation": "{{Cite book|{{{1|}}}|author={{{author|}}}|title={{{title|}}}|"
                         "publisher={{{publisher|}}}|date={{{date|}}}|isbn={{{isbn|}}}|page={{{page|}}}}}",
    "Template:Reflist": '<div class="reflist"><references /></div>',
    "Template:Dmbox": (
        '<table class="dmbox"><tr><td>{{{text|This disambiguation page lists articles '
        "associated with the same title.}}}</td></tr></table>"),
    "Template:Disambiguation": (
        "{{Dmbox}}__DISAMBIG__[[Category:Disambiguation pages]]"),
    "Template:Aimai": (
        "{{Dmbox|text=このページは曖昧さ回避のためのページです。}}__DISAMBIG__"
        "[[Category:曖昧さ回避]]"),
}
SEED_TEMPLATES["Template:Dab"] = "{{Disambiguation}}"
SEED_TEMPLATES["Template:Disambig"] = "{{Disambiguation}}"


def seed_templates(wiki: TestWiki, templates: dict[str, str] | None = None) -> None:
    """Create minimal versions of the templates wikitown's output uses (as Admin).

    Disambiguation: ``{{Disambiguation}}``/``{{Aimai}}`` contain ``__DISAMBIG__``, which in this
    wiki sets the ``disambiguation`` page property (Disambiguator stand-in), and add the page to
    Category:Disambiguation pages / Category:曖昧さ回避.
    """
    for title, text in (templates or SEED_TEMPLATES).items():
        wiki.create_page(title, text, user="admin", summary="seed template")


# --------------------------------------------------------------------------------------------
# pywikibot


def write_pywikibot_config(pwb_dir: Path, api_url: str, bot_user: str = BOT_USER,
                           bot_app: str = BOT_APP, bot_secret: str = "") -> Path:
    """Write user-config.py and user-password.py (mode 600) for family/code 'townwiki'."""
    pwb_dir = Path(pwb_dir)
    pwb_dir.mkdir(parents=True, exist_ok=True)
    password_file = pwb_dir / "user-password.py"
    password_file.write_text(f"({bot_user!r}, BotPassword({bot_app!r}, {bot_secret!r}))\n")
    password_file.chmod(0o600)
    (pwb_dir / "user-config.py").write_text(
        "# Written by tests/harness/mediawiki.py for one pytest session.\n"
        f"family_files['townwiki'] = {api_url!r}\n"
        "family = 'townwiki'\n"
        "mylang = 'townwiki'\n"
        f"usernames['townwiki']['townwiki'] = {bot_user!r}\n"
        f"password_file = {str(password_file)!r}\n"
        "put_throttle = 0\n"
        "minthrottle = 0\n"
        "maxthrottle = 1\n"
        "max_retries = 1\n"
        "retry_wait = 1\n"
        "retry_max = 2\n"
        "API_config_expiry = 0\n"
        "socket_timeout = (5, 60)\n")
    return pwb_dir
