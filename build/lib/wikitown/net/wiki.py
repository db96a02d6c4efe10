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
    """A BotPassword typed for this session: ``login_name`` is ``User@AppName`` as
    Special:BotPasswords shows it. Never stored; ``repr`` hides the secret."""

    login_name: str
    secret: str = field(repr=False)

    def __post_init__(self):
        if "@" not in self.login_name or not self.secret:
            raise WikiError("a BotPassword needs a login name like User@AppName and its password")
        remember_secret(self.secret)

    @property
    def user(self) -> str:
        return self.login_name.split("@", 1)[0]


@dataclass
class WikiSpec:
    """Which wiki: a pywikibot family and code (from its user-config), or an API URL."""

    family: str = ""
    code: str = ""
    api_url: str = ""
    user: str = ""  # the publishing account; defaults to the user-config's username

    def label(self) -> str:
        return self.api_url or f"{self.family}:{self.code}"


def import_pywikibot():
    """pywikibot, imported on first use (it reads PYWIKIBOT_DIR once, at import)."""
    import os
    import sys
    from pathlib import Path

    if "pywikibot" not in sys.modules:
        # Without a user-config.py pywikibot falls back to the current folder or ~/.pywikibot and
        # writes its caches there (possibly into the project or an event): refuse instead.
        candidates = [os.environ.get("PYWIKIBOT_DIR", ""), str(Path.home() / ".pywikibot")]
        if not any(c and (Path(c) / "user-config.py").is_file() for c in candidates) \
                and not os.environ.get("PYWIKIBOT_NO_USER_CONFIG"):
            raise WikiError("pywikibot is not configured: set PYWIKIBOT_DIR to a folder (outside the event "
                            "and outside git) holding user-config.py")
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


def _site(spec: WikiSpec, user: str = ""):
    pywikibot = import_pywikibot()
    try:
        if spec.api_url:
            family = _family_for_url(pywikibot, spec.api_url)
            return pywikibot.Site(family, family, user=user or None)
        return pywikibot.Site(spec.code or None, spec.family or None, user=user or None)
    except Exception as exc:
        raise WikiError(f"{spec.label()}: {type(exc).__name__}: {exc}") from None


def api_url_of(spec: WikiSpec) -> str:
    """The action API URL of ``spec`` (resolving a family through pywikibot's config)."""
    if spec.api_url:
        return spec.api_url
    site = _site(spec)
    return site.base_url(site.apipath())


def configured_user(spec: WikiSpec) -> str:
    """The account pywikibot would publish as (``spec.user`` or the user-config's)."""
    if spec.user:
        return spec.user
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


def connect(spec: WikiSpec, bot_password: SessionBotPassword | None = None) -> Wiki:
    """Log in to ``spec``. With ``bot_password``, log in with it (this session only);
    otherwise with whatever pywikibot's user-config and password file provide."""
    user = bot_password.user if bot_password else spec.user
    site = _site(spec, user)
    pywikibot = import_pywikibot()
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
