"""The one HTTP client every outside call goes through.

Timeouts, retries with backoff on 429/5xx (honouring Retry-After), a
User-Agent that follows the Wikimedia policy (tool/version plus contact), an
on-disk cache (requests-cache, SQLite), and network failures turned into
:class:`ServiceUnavailable` so users see a clear message, never a traceback.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import requests
import requests_cache
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from wikitown import TOOL_NAME, __version__
from wikitown.core.errors import ServiceError, ServiceUnavailable

DEFAULT_CONTACT = "https://github.com/wikitown/wikitown"
CONNECT_TIMEOUT = float(os.environ.get("WIKITOWN_CONNECT_TIMEOUT", 5))
READ_TIMEOUT = float(os.environ.get("WIKITOWN_READ_TIMEOUT", 60))


def user_agent(contact: str = "") -> str:
    """``wikitown/0.1.0 (contact) requests/x`` as https://meta.wikimedia.org/wiki/User-Agent_policy asks."""
    contact = contact or os.environ.get("WIKITOWN_CONTACT") or DEFAULT_CONTACT
    return f"{TOOL_NAME}/{__version__} ({contact}) python-requests/{requests.__version__}"


class HttpClient:
    """A thin wrapper over a cached ``requests`` session.

    ``cache_dir=None`` disables caching (used where answers must be fresh, such
    as the publish step). ``retries`` counts re-tries after the first attempt.
    """

    def __init__(self, *, cache_dir: Path | None = None, expire_after: float = 24 * 3600,
                 retries: int = 3, backoff: float = 0.5, contact: str = "",
                 timeout: tuple[float, float] | None = None):
        if cache_dir is not None:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            self.session = requests_cache.CachedSession(
                str(Path(cache_dir) / "http-cache"), backend="sqlite", expire_after=expire_after,
                allowable_methods=("GET", "POST"), allowable_codes=(200,), stale_if_error=True)
        else:
            self.session = requests.Session()
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=backoff,
                      status_forcelist=(429, 500, 502, 503, 504), allowed_methods=None,
                      respect_retry_after_header=True, raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = user_agent(contact)
        self.timeout = timeout or (CONNECT_TIMEOUT, READ_TIMEOUT)
        self.requests_sent = 0  # requests that reached the network (not served from cache)
        self._lock = threading.Lock()

    def request(self, method: str, url: str, *, service: str = "", expect_json: bool = True,
                **kwargs) -> requests.Response:
        label = service or url
        kwargs.setdefault("timeout", self.timeout)
        try:
            resp = self.session.request(method, url, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ServiceUnavailable(label, url, _reason(exc)) from None
        except requests.RequestException as exc:
            raise ServiceUnavailable(label, url, type(exc).__name__) from None
        if not getattr(resp, "from_cache", False):
            with self._lock:
                self.requests_sent += 1
        if resp.status_code >= 500 or resp.status_code == 429:
            raise ServiceUnavailable(label, url, f"HTTP {resp.status_code}")
        if resp.status_code >= 400:
            raise ServiceError(label, f"HTTP {resp.status_code}: {resp.text[:200]}")
        if expect_json:
            try:
                resp.json()
            except ValueError:
                raise ServiceError(label, "the answer is not JSON") from None
        return resp

    def get_json(self, url: str, params: dict | None = None, *, service: str = "", **kwargs):
        return self.request("GET", url, params=params, service=service, **kwargs).json()

    def post_json(self, url: str, data: dict | None = None, *, service: str = "", **kwargs):
        return self.request("POST", url, data=data, service=service, **kwargs).json()

    def get_text(self, url: str, params: dict | None = None, *, service: str = "", **kwargs) -> str:
        resp = self.request("GET", url, params=params, service=service, expect_json=False, **kwargs)
        return resp.content.decode(resp.encoding or "utf-8", errors="replace")

    def close(self) -> None:
        self.session.close()


def _reason(exc: Exception) -> str:
    text = str(exc)
    for hint, reason in (("Name or service not known", "no network (name lookup failed)"),
                         ("Temporary failure in name resolution", "no network (name lookup failed)"),
                         ("Connection refused", "connection refused"),
                         ("timed out", "timed out"),
                         ("Network is unreachable", "no network")):
        if hint in text:
            return reason
    return type(exc).__name__
