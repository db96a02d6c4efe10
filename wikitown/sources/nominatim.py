"""Coordinates from addresses, for sites a list gives no usable coordinates for.

geopy's Nominatim geocoder against any Nominatim-compatible endpoint (``services.nominatim``),
at most one request a second (geopy's RateLimiter, as the Nominatim usage policy asks),
every answer cached on disk so a re-run asks nothing twice. The result is approximate: a
street address, not the monument, so records are marked ``coord_status = "geocoded"``, and a
point outside the event's area is not used at all.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from urllib.parse import urlsplit

from wikitown.core.errors import ServiceError, ServiceUnavailable
from wikitown.core.fsutil import atomic_write_bytes
from wikitown.core.geo import haversine_m
from wikitown.net.http import HttpClient, user_agent
from wikitown.sources.base import RowIssue, SiteRecord, SourceResult

MIN_DELAY_S = 1.0
SERVICE = "Nominatim"


class DiskCache:
    """query -> [lat, lon, display_name] or None (nothing found), as one JSON file."""

    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self.data: dict = {}
        if self.path and self.path.is_file():
            try:
                self.data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.data = {}  # a damaged cache is only a cache

    def get(self, key: str):
        return self.data.get(key, KeyError)

    def put(self, key: str, value) -> None:
        with self._lock:
            self.data[key] = value
            if self.path:
                atomic_write_bytes(self.path, json.dumps(self.data, ensure_ascii=False).encode("utf-8"))


def _client_adapter(client: HttpClient):
    """A geopy adapter that sends geopy's requests through wikitown's one HTTP client (timeouts,
    retries with backoff, User-Agent, clear errors), so geocoding follows the same rules."""
    from geopy.adapters import BaseSyncAdapter

    class HttpClientAdapter(BaseSyncAdapter):
        def __init__(self, *, proxies, ssl_context):
            super().__init__(proxies=proxies, ssl_context=ssl_context)

        def get_json(self, url, *, timeout, headers):
            return client.get_json(url, service=SERVICE, timeout=timeout, headers=headers)

        def get_text(self, url, *, timeout, headers):
            return client.get_text(url, service=SERVICE, timeout=timeout, headers=headers)

    return HttpClientAdapter


class Geocoder:
    def __init__(self, endpoint: str, *, cache_path: Path | None = None, contact: str = "",
                 min_delay_s: float = MIN_DELAY_S, timeout: float = 10, country_codes: str = "jp",
                 client: HttpClient | None = None):
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        parts = urlsplit(endpoint)
        domain = (parts.netloc + parts.path).rstrip("/")
        self.endpoint = endpoint
        self.nominatim = Nominatim(domain=domain, scheme=parts.scheme or "https",
                                   user_agent=user_agent(contact), timeout=timeout,
                                   adapter_factory=_client_adapter(client or HttpClient(contact=contact)))
        self._geocode = RateLimiter(self.nominatim.geocode, min_delay_seconds=min_delay_s, max_retries=0,
                                    swallow_exceptions=False)
        self.cache = DiskCache(cache_path)
        self.country_codes = country_codes
        self.requests_sent = 0

    def lookup(self, query: str) -> tuple[float, float, str] | None:
        from geopy import exc as gexc

        query = " ".join(query.split())
        cached = self.cache.get(query)
        if cached is not KeyError:
            return tuple(cached) if cached else None
        self.requests_sent += 1
        try:
            loc = self._geocode(query, exactly_one=True, country_codes=self.country_codes or None)
        except (gexc.GeocoderUnavailable, gexc.GeocoderTimedOut, gexc.GeocoderServiceError) as exc:
            if isinstance(exc, (gexc.GeocoderUnavailable, gexc.GeocoderTimedOut)) or "50" in str(exc)[:40]:
                raise ServiceUnavailable(SERVICE, self.endpoint, type(exc).__name__) from None
            raise ServiceError(SERVICE, str(exc)[:200]) from None
        except gexc.GeopyError as exc:
            raise ServiceError(SERVICE, str(exc)[:200]) from None
        value = [loc.latitude, loc.longitude, loc.address] if loc is not None else None
        self.cache.put(query, value)
        return tuple(value) if value else None


def address_query(rec: SiteRecord, municipality: str = "") -> str:
    address = rec.address
    town = rec.municipality or municipality
    if town and town not in address:
        address = f"{town} {address}"
    return address


def geocode_records(records: list[SiteRecord], geocoder: Geocoder, *, area=None, municipality: str = "",
                    progress=None) -> SourceResult:
    """Give records with an address but no usable coordinates a geocoded point (in place).
    Returns a result whose issues name the records that could not be placed."""
    result = SourceResult("geocode")
    todo = [r for r in records if r.coord_status == "missing" and r.address.strip()]
    for n, rec in enumerate(todo, 1):
        query = address_query(rec, municipality)
        found = geocoder.lookup(query)
        line = int(rec.data.get("line", 0) or 0)
        if found is None:
            result.issues.append(RowIssue(line, f"{rec.source} {rec.name}: the address was not found ({query})",
                                          "flagged"))
        else:
            lat, lon, label = found
            if area is not None and haversine_m(lat, lon, area.lat, area.lon) > area.radius_km * 1000:
                result.issues.append(RowIssue(
                    line, f"{rec.source} {rec.name}: the address points outside the event's area ({query})",
                    "flagged"))
            else:
                rec.lat, rec.lon, rec.coord_status = lat, lon, "geocoded"
                rec.data["geocoded"] = {"query": query, "found": label}
                result.records.append(rec)
        if progress:
            progress(n, len(todo))
    return result
