"""Writing to a wiki with pywikibot: which wiki, which account, and keeping secrets out of sight.

pywikibot is imported lazily (on the first :func:`connect`), so the app and the
plan step run with no wiki configured. Credentials come from pywikibot's own
folder (``PYWIKIBOT_DIR``: user-config.py and a password file, or OAuth), or
from a BotPassword given for this session only (:class:`SessionBotPassword`):
held in memory, never written anywhere; any text wikitown shows or records
passes through :func:`scrub` first, and pywikibot's own log records are
filtered the same way (pywikibot logs whole request bodies at debug level).

Production runs keep pywikibot's throttle and maxlag from its config; tests
turn them off in their user-config.py, not here.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field

from wikitown.core.errors import WikitownError

# Every secret given this process, so that error texts and log records can be cleaned.
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_PARAM_RE = re.compile(r"((?:lg)?password|token|lgtoken|logintoken|oauth_[a-z_]+)=([^&\s'\"]+)", re.I)
MASK = "***"


class WikiError(WikitownError):
    """The wiki could not be used (not configured, login refused, unreachable)."""

    key = "publish.error.wiki"

    def __init__(self, reason: str):
        reason = scrub(reason)
        self.reason = reason
        super().__init__(f"the wiki could not be used: {reason}", reason=reason)


def remember_secret(secret: str) -> None:
    if secret:
        with _SECRETS_LOCK:
            _SECRETS.add(secret)


def forget_secret(secret: str) -> None:
    """The publish that needed ``secret`` is over: hold it no longer."""
    with _SECRETS_LOCK:
        _SECRETS.discard(secret)


class LoginNeeded(WikiError):
    """Writing to the wiki needs an account: nothing to log in with was given."""

    key = "publish.error.login_needed"

    def __init__(self, wiki: str, bot_passwords_url: str):
        self.reason = f"{wiki}: no login"
        WikitownError.__init__(self, f"publishing to {wiki} needs a login: type a BotPassword "
                                     f"(make one at {bot_passwords_url})", wiki=wiki, url=bot_passwords_url)


def scrub(text) -> str:
    """``text`` with every known secret and every password/token parameter masked."""
    text = "" if text is None else str(text)
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    return _PARAM_RE.sub(lambda m: f"{m.group(1)}={MASK}", text)


_FACTORY_INSTALLED = False
_LOGGERS = ("pywiki", "pywikibot", "urllib3", "requests")


def _install_log_filter() -> None:
    """Clean every log record from pywikibot and the HTTP stack as it is made, whatever
    handler (pywikibot's, the app's, pytest's) later writes it."""
    global _FACTORY_INSTALLED
    if _FACTORY_INSTALLED:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if record.name.split(".", 1)[0] in _LOGGERS:
            try:
                message = record.getMessage()
            except Exception:  # a malformed record is left as it is
                return record
            clean = scrub(message)
            if clean != message:
                record.msg, record.args = clean, None
        return record

    logging.setLogRecordFactory(factory)
    _FACTORY_INSTALLED = True


@dataclass(frozen=True)
class SessionBotPassword:
    """A login typed for this session: a BotPassword (``login_name`` is ``User@AppName`` as
    Special:BotPasswords shows it) or, for a participant signing in at the organizer's PC for
    their own upload, a user name and its password. Never stored; ``repr`` hides the secret."""

    login_name: str
    secret: str = field(repr=False)

    def __post_init__(self):
        name = self.login_name.strip()
        if not name or not self.secret or name.startswith("@") or name.endswith("@"):
            raise WikiError("a login needs a user name (or User@AppName for a BotPassword) and its password")
        remember_secret(self.secret)

    @property
    def user(self) -> str:
        return self.login_name.split("@", 1)[0].strip()

    @property
    def is_bot_password(self) -> bool:
        return "@" in self.login_name


SessionLogin = SessionBotPassword  # the same thing: a secret held for one publish


@dataclass
class WikiSpec:
    """Which wiki: a pywikibot family and code (from its user-config), or an API URL."""

    family: str = ""
    code: str = ""
    api_url: str = ""
    user: str = ""  # the publishing account; defaults to the user-config's username

    def label(self) -> str:
        return self.api_url or f"{self.family}:{self.code}"


# Wikimedia wikis by pywikibot family, so that reading (the plan) needs no pywikibot at all.
_FAMILY_API = {
    "commons": "https://commons.wikimedia.org/w/api.php",
    "wikidata": "https://www.wikidata.org/w/api.php",
    "meta": "https://meta.wikimedia.org/w/api.php",
    "species": "https://species.wikimedia.org/w/api.php",
}
_LANGUAGE_FAMILIES = {"wikipedia", "wiktionary", "wikisource", "wikibooks", "wikivoyage", "wikiquote",
                      "wikinews", "wikiversity"}


def pywikibot_configured() -> bool:
    """Whether pywikibot has a user-config.py to read (without importing it)."""
    import os
    import sys
    from pathlib import Path

    if "pywikibot" in sys.modules:
        return True
    candidates = [os.environ.get("PYWIKIBOT_DIR", ""), str(Path.home() / ".pywikibot")]
    return any(c and (Path(c) / "user-config.py").is_file() for c in candidates) \
        or bool(os.environ.get("PYWIKIBOT_NO_USER_CONFIG"))


def _private_pywikibot_dir() -> None:
    """No user-config, but a login typed for this publish: let pywikibot run from a private
    folder of its own (0700, outside the event and the project), configured in code."""
    import os
    import tempfile

    import atexit
    import shutil

    folder = tempfile.mkdtemp(prefix="wikitown-login-")
    os.chmod(folder, 0o700)
    atexit.register(shutil.rmtree, folder, True)  # its caches and throttle file go with the process
    # pywikibot takes PYWIKIBOT_DIR only when it holds a user-config.py (else the current folder or
    # ~/.pywikibot): an empty one; the wiki and the login are given in code.
    with open(os.path.join(folder, "user-config.py"), "w") as fh:
        fh.write("# wikitown: a login typed for one publish; everything else is set in code.\n")
    os.environ["PYWIKIBOT_DIR"] = folder


def import_pywikibot(*, login_given: bool = False):
    """pywikibot, imported on first use (it reads PYWIKIBOT_DIR once, at import)."""
    import sys

    if "pywikibot" not in sys.modules and not pywikibot_configured():
        # Without a user-config.py pywikibot falls back to the current folder or ~/.pywikibot and
        # writes its caches there (possibly into the project or an event): refuse, unless a login
        # was typed for this publish, which needs nothing from a user-config.
        if not login_given:
            raise WikiError("pywikibot is not configured: set PYWIKIBOT_DIR to a folder (outside the event "
                            "and outside git) holding user-config.py")
        _private_pywikibot_dir()
    try:
        import pywikibot  # noqa: PLC0415
    except Exception as exc:  # no user-config, broken config: say so plainly
        raise WikiError(f"pywikibot could not start ({type(exc).__name__}: {exc}); set PYWIKIBOT_DIR "
                        "to a folder with user-config.py") from None
    _install_log_filter()
    return pywikibot


def _family_for_url(pywikibot, api_url: str) -> str:
    """The user-config family whose API is ``api_url``, else one registered now."""
    for name, url in pywikibot.config.family_files.items():
        if url.rstrip("/") == api_url.rstrip("/"):
            return name
    name = "wikitown_" + re.sub(r"[^a-z0-9]", "", api_url.lower())[-24:]
    pywikibot.config.family_files[name] = api_url
    return name


def _site(spec: WikiSpec, user: str = "", *, login_given: bool = False):
    pywikibot = import_pywikibot(login_given=login_given)
    try:
        if spec.api_url:
            family = _family_for_url(pywikibot, spec.api_url)
            return pywikibot.Site(family, family, user=user or None)
        return pywikibot.Site(spec.code or None, spec.family or None, user=user or None)
    except Exception as exc:
        raise WikiError(f"{spec.label()}: {type(exc).__name__}: {exc}") from None


def known_api_url(spec: WikiSpec) -> str:
    """The API URL of a Wikimedia family/code known without pywikibot ("" when not known)."""
    if spec.api_url:
        return spec.api_url
    if spec.family in _FAMILY_API:
        return _FAMILY_API[spec.family]
    if spec.family in _LANGUAGE_FAMILIES and re.fullmatch(r"[a-z][a-z0-9-]{1,20}", spec.code or ""):
        return f"https://{spec.code}.{spec.family}.org/w/api.php"
    return ""


def api_url_of(spec: WikiSpec) -> str:
    """The action API URL of ``spec``: given, a Wikimedia wiki, or (another family) through
    pywikibot's user-config, when there is one."""
    url = known_api_url(spec)
    if url:
        return url
    if not pywikibot_configured():
        raise WikiError(f"{spec.label()}: unknown wiki; give its api.php address")
    site = _site(spec)
    return site.base_url(site.apipath())


def bot_passwords_url(api_url: str) -> str:
    """Special:BotPasswords on the wiki whose API is ``api_url``."""
    if api_url.endswith("/w/api.php"):
        return api_url[: -len("/w/api.php")] + "/wiki/Special:BotPasswords"
    return api_url.rsplit("/", 1)[0] + "/index.php?title=Special:BotPasswords"


def configured_user(spec: WikiSpec) -> str:
    """The account pywikibot would publish as (``spec.user`` or the user-config's); ""
    when pywikibot has no user-config (reading never needs it)."""
    if spec.user:
        return spec.user
    if not pywikibot_configured():
        return ""
    try:
        return _site(spec).username() or ""
    except WikiError:
        return ""


class Wiki:
    """A logged-in pywikibot site. Create with :func:`connect`."""

    def __init__(self, site, spec: WikiSpec, bot_password: SessionBotPassword | None = None):
        self.site = site
        self.spec = spec
        self._bot_password = bot_password  # in memory only, for a re-login in this session

    def relogin(self) -> None:
        """Log in again and fetch fresh tokens (after a lost session: badtoken, assertuserfailed)."""
        from pywikibot import login as pwb_login  # noqa: PLC0415

        self.site.tokens.clear()
        self.site._loginstatus = pwb_login.LoginStatus.NOT_LOGGED_IN
        try:
            del self.site.userinfo
        except AttributeError:
            pass
        try:
            if self._bot_password:
                _login_with_bot_password(import_pywikibot(), self.site, self._bot_password, force=True)
            else:
                self.site.login()
        except WikiError:
            raise
        except Exception as exc:
            raise WikiError(f"{self.spec.label()}: {type(exc).__name__}: {exc}") from None

    @property
    def user(self) -> str:
        return self.site.user() or self.site.username() or ""

    @property
    def api_url(self) -> str:
        return self.spec.api_url or self.site.base_url(self.site.apipath())

    def close(self) -> None:
        """The publish is over: log out (the wiki ends the session), delete pywikibot's cookie
        file for this account, clear this wiki's cookies from memory and forget the password."""
        close_session(self.site, self.user or self.spec.user)
        if self._bot_password:
            forget_secret(self._bot_password.secret)
        self._bot_password = None
        self.site.__dict__.pop("_relogin", None)


def close_session(site, user: str) -> None:
    import sys
    from pathlib import Path
    from urllib.parse import urlsplit

    if "pywikibot" not in sys.modules:
        return
    from pywikibot import config, tools  # noqa: PLC0415
    from pywikibot.comms import http  # noqa: PLC0415
    from pywikibot import login as pwb_login  # noqa: PLC0415

    try:
        if site._loginstatus != pwb_login.LoginStatus.NOT_LOGGED_IN:
            # action=logout as APISite.logout() sends it; that method also replaces the site's
            # ParamInfo, which leaves a later login in this process without tokens.
            site.simple_request(action="logout", token=site.tokens["csrf"]).submit()
    except Exception:  # noqa: BLE001 - the wiki may be gone; the local session goes anyway
        pass
    site._loginstatus = pwb_login.LoginStatus.NOT_LOGGED_IN
    site.tokens.clear()
    try:
        del site.userinfo
    except AttributeError:
        pass
    host = (urlsplit(site.base_url("")).hostname or "").lower()
    for cookie in list(http.cookie_jar):
        domain = cookie.domain.lstrip(".").lower()
        if domain == host or host.endswith("." + domain) or domain.startswith(host):
            http.cookie_jar.clear(cookie.domain, cookie.path, cookie.name)
    names = {f"pywikibot-{tools.as_filename(user)}.lwp"} if user else set()
    for name in names:
        path = Path(config.base_dir) / name
        try:
            path.unlink()
        except FileNotFoundError:
            pass
    # pywikibot keeps one Site object per wiki and user for the process; this one's session is
    # over, so the next use gets a fresh object that logs in anew (a kept one held stale tokens).
    import pywikibot  # noqa: PLC0415

    for key, cached in list(getattr(pywikibot, "_sites", {}).items()):
        if cached is site:
            del pywikibot._sites[key]


def connect(spec: WikiSpec, bot_password: SessionBotPassword | None = None) -> Wiki:
    """Log in to ``spec``. With ``bot_password``, log in with it (this session only);
    otherwise with whatever pywikibot's user-config and password file provide."""
    user = bot_password.user if bot_password else spec.user
    if bot_password is None and not pywikibot_configured():
        url = known_api_url(spec)
        raise LoginNeeded(spec.label(), bot_passwords_url(url) if url else "Special:BotPasswords")
    site = _site(spec, user, login_given=bot_password is not None)
    pywikibot = import_pywikibot(login_given=bot_password is not None)
    try:
        if bot_password:
            _login_with_bot_password(pywikibot, site, bot_password)
            # When the wiki drops the session mid-run (assertuserfailed), pywikibot logs in again with
            # its password file, or asks on the terminal when that has no password: use the session's.
            site._relogin = lambda: _login_with_bot_password(pywikibot, site, bot_password, force=True)
        else:
            site.login()
        if not site.logged_in():
            raise WikiError(f"{spec.label()}: login failed")
    except WikiError:
        raise
    except Exception as exc:
        raise WikiError(f"{spec.label()}: {type(exc).__name__}: {exc}") from None
    return Wiki(site, spec, bot_password)


def _login_with_bot_password(pywikibot, site, bp: SessionBotPassword, force: bool = False) -> None:
    """What ``APISite.login`` does, with a password that is not in the password file."""
    from pywikibot import login as pwb_login  # noqa: PLC0415

    if not force and site.logged_in() and site.user() == bp.user:
        return
    if force:
        site.tokens.clear()  # a cached login token belongs to the session the wiki forgot
        try:
            del site.userinfo
        except AttributeError:
            pass
        if site.userinfo.get("name") == bp.user:  # still (or again) logged in: a login would be refused
            site._loginstatus = pwb_login.LoginStatus.AS_USER
            return
    manager = pwb_login.ClientLoginManager(site=site, user=bp.user)
    manager.login_name, manager.password = bp.login_name, bp.secret
    site._loginstatus = pwb_login.LoginStatus.IN_PROGRESS
    # retry=False: on failure pywikibot would otherwise prompt for a password on the terminal.
    ok = manager.login(retry=False)
    manager.password = None
    if not ok:
        site._loginstatus = pwb_login.LoginStatus.NOT_LOGGED_IN
        raise WikiError(f"login as {bp.login_name} was refused")
    site._username = bp.user
    del site.userinfo
    if site.userinfo.get("name") != bp.user:
        raise WikiError(f"logged in, but the wiki says the user is {site.userinfo.get('name')!r}")
    site._loginstatus = pwb_login.LoginStatus.AS_USER
