"""Endpoints of every outside service: public defaults, overridable per event
(``[services]`` in event.toml) and by environment (``WIKITOWN_<NAME>_URL``),
the environment winning so tests and proxies can redirect any of them."""

from __future__ import annotations

import os

# ``{lang}`` is the event's target Wikipedia language.
DEFAULTS = {
    "wikidata_sparql": "https://query.wikidata.org/sparql",
    "wikidata_api": "https://www.wikidata.org/w/api.php",
    "wiki_api": "https://{lang}.wikipedia.org/w/api.php",
    "commons_api": "https://commons.wikimedia.org/w/api.php",
    "nominatim": "https://nominatim.openstreetmap.org",
    "overpass": "https://overpass-api.de/api/interpreter",
    "ndl_search": "https://ndlsearch.ndl.go.jp/api",
}
SERVICE_NAMES = tuple(DEFAULTS)

# What each service is called in messages to users.
LABELS = {
    "wikidata_sparql": "Wikidata Query Service",
    "wikidata_api": "Wikidata API",
    "wiki_api": "Wikipedia API",
    "commons_api": "Wikimedia Commons API",
    "nominatim": "Nominatim",
    "overpass": "Overpass API",
    "ndl_search": "NDL Search",
}


def env_var(name: str) -> str:
    return f"WIKITOWN_{name.upper()}_URL"


def endpoint(name: str, overrides: dict[str, str] | None = None, lang: str = "ja") -> str:
    """The URL to use for service ``name``."""
    if name not in DEFAULTS:
        raise KeyError(f"unknown service {name!r}")
    url = os.environ.get(env_var(name)) or (overrides or {}).get(name) or DEFAULTS[name]
    return url.replace("{lang}", lang)


def all_endpoints(overrides: dict[str, str] | None = None, lang: str = "ja") -> dict[str, str]:
    return {name: endpoint(name, overrides, lang) for name in SERVICE_NAMES}
