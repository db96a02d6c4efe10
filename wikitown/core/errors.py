"""Every error wikitown raises on purpose, in one place (like geopy.exc).

Each carries a message key and parameters so the app and the command line can
show it in the user's language (see wikitown.core.i18n). ``str(err)`` is English.
"""

from __future__ import annotations


class WikitownError(Exception):
    """Base class. ``key`` names a message in the catalogues; ``params`` fill it."""

    key = "error.generic"

    def __init__(self, message: str = "", *, key: str | None = None, **params):
        self.params = params
        if key:
            self.key = key
        super().__init__(message or self.key)

    def message(self, lang: str = "en", *, markdown: bool = False) -> str:
        """In ``lang``; ``markdown=True`` for a Markdown element (parameters escaped)."""
        from wikitown.core.i18n import t

        text = t(self.key, lang, markdown=markdown, **self.params)
        # Fall back to the English text given at raise time if the key is unknown.
        if text != self.key:
            return text
        if markdown:
            from wikitown.core.markdown import markdown_param

            return markdown_param(str(self))
        return str(self)


class ConfigError(WikitownError):
    """An event's config is invalid; ``field`` names the bad field."""

    key = "error.config"

    def __init__(self, field: str, problem: str, *, path: str = ""):
        self.field = field
        self.problem = problem
        super().__init__(f"{path + ': ' if path else ''}{field}: {problem}", field=field, problem=problem,
                         path=path)


class EventNotFound(WikitownError):
    key = "error.event_not_found"

    def __init__(self, path: str):
        super().__init__(f"no event at {path} (event.toml missing)", path=path)


class StoreError(WikitownError):
    key = "error.store"


class DiskFull(StoreError):
    key = "error.disk_full"

    def __init__(self, path: str = ""):
        super().__init__(f"the disk is full while writing {path}", path=path)


# The English reasons the HTTP client and the sources give, as message keys: shown to a person
# in their language (str(err) stays English for logs).
_REASONS = {"no network (name lookup failed)": "name_lookup", "connection refused": "refused",
            "timed out": "timeout", "no network": "offline", "no wiki configured": "no_wiki",
            "the answer is not JSON": "not_json"}


def service_words(params: dict, lang) -> dict:
    """A service error's parameters for a person: the service's internal key or English label
    ("ndl_search", "NDL Search") as its name in the catalogue ("service.ndl_search"), and a known
    reason in words. ``lang`` is a language code or a translator bound to one."""
    from wikitown.core.i18n import translator
    from wikitown.core.services import LABELS

    t = lang if callable(lang) else translator(lang)
    out = dict(params)
    service = str(params.get("service", ""))
    key = service if service in LABELS else next((k for k, v in LABELS.items() if v == service), None)
    if key:
        out["service"] = t(f"service.{key}")
    reason = str(params.get("reason", ""))
    if reason in _REASONS:
        out["reason"] = t(f"service.reason.{_REASONS[reason]}")
    return out


def reason_words(reason: str, lang: str) -> str:
    """A known English reason ("connection refused") in the user's language; others as they are."""
    from wikitown.core.i18n import t

    return t(f"service.reason.{_REASONS[reason]}", lang) if reason in _REASONS else reason


class _ServiceMessage(WikitownError):
    def message(self, lang: str = "en", *, markdown: bool = False) -> str:
        from wikitown.core.i18n import t

        text = t(self.key, lang, markdown=markdown, **service_words(self.params, lang))
        if text != self.key:
            return text
        if markdown:
            from wikitown.core.markdown import markdown_param

            return markdown_param(str(self))
        return str(self)


class ServiceUnavailable(_ServiceMessage):
    """An outside service could not be reached (offline, timeout, 5xx after retries)."""

    key = "error.service_unavailable"

    def __init__(self, service: str, url: str, reason: str):
        self.service = service
        self.url = url
        self.reason = reason
        super().__init__(f"{service} could not be reached at {url}: {reason}", service=service, url=url,
                         reason=reason)


class ServiceError(_ServiceMessage):
    """A service answered, but with an error or an unexpected format."""

    key = "error.service_error"

    def __init__(self, service: str, reason: str):
        self.service = service
        self.reason = reason
        super().__init__(f"{service} answered with an error: {reason}", service=service, reason=reason)


class AccessDenied(WikitownError):
    key = "error.access_denied"


class TooManyAttempts(AccessDenied):
    key = "error.too_many_attempts"

    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(f"too many wrong attempts; try again in {seconds} s", seconds=seconds)


class InputError(WikitownError):
    """Bad user input for one item (a file, a row, a field): reported per item."""

    key = "error.input"
