"""Reading a MediaWiki's action API over the shared HTTP client.

Reads (page existence, redirects, page props, geosearch, parse previews,
file SHA-1 look-ups) go through here, batched: up to 50 titles or ids per
request (500 with apihighlimits), following ``continue``. Writes go through
pywikibot (wikitown.net.wiki), which handles logins, tokens and throttling.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator

from wikitown.core.errors import ServiceError
from wikitown.net.http import HttpClient

BATCH = 50
SCREEN_BATCH = 1000  # titles per action=parse existence screen (one POST; MediaWiki checks them in one batch)


def chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def title_key(title: str) -> str:
    """A title as MediaWiki stores it (spaces for underscores, runs of spaces collapsed, NFC, first
    letter in upper case as on Wikipedia), to match what was asked to what the wiki answers."""
    text = " ".join(unicodedata.normalize("NFC", (title or "").replace("_", " ")).split())
    return text[:1].upper() + text[1:]


class MediaWikiAPI:
    def __init__(self, api_url: str, client: HttpClient | None = None, *, service: str = "wiki_api",
                 batch: int = BATCH):
        self.api_url = api_url
        self.client = client or HttpClient()
        self.service = service
        self.batch = batch

    def call(self, params: dict, *, post: bool = False) -> dict:
        params = {"format": "json", "formatversion": "2", **params}
        if post:
            data = self.client.post_json(self.api_url, params, service=self.service)
        else:
            data = self.client.get_json(self.api_url, params, service=self.service)
        if "error" in data:
            err = data["error"]
            raise ServiceError(self.service, f"{err.get('code')}: {err.get('info', '')}")
        return data

    def query(self, params: dict, *, post: bool = False) -> Iterator[dict]:
        """Each page of a query's results, following ``continue``."""
        params = {"action": "query", **params}
        cont: dict = {}
        while True:
            data = self.call({**params, **cont}, post=post)
            yield data.get("query", {})
            if "continue" not in data:
                return
            cont = data["continue"]

    def pages_by_titles(self, titles: Iterable[str], **params) -> dict[str, dict]:
        """Page info for many titles, 50 a request, redirects followed.

        Returns {asked title: page dict}; the page dict gains ``redirected_from``
        and ``normalized_from`` where they apply; a missing page has ``missing``."""
        titles = list(dict.fromkeys(t for t in titles if t))
        found: dict[str, dict] = {}
        for batch in chunks(titles, self.batch):
            merged_pages: dict[str, dict] = {}
            norm: dict[str, str] = {}
            redir: dict[str, str] = {}
            for part in self.query({"titles": "|".join(batch), "redirects": 1, **params}):
                for n in part.get("normalized", []):
                    norm[n["from"]] = n["to"]
                for r in part.get("redirects", []):
                    redir[r["from"]] = r["to"]
                for page in part.get("pages", []):
                    merged_pages.setdefault(page["title"], {}).update(
                        {k: v for k, v in page.items() if not isinstance(v, list)})
                    for k, v in page.items():
                        if isinstance(v, list):
                            merged_pages[page["title"]].setdefault(k, []).extend(v)
            for asked in batch:
                title = norm.get(asked, asked)
                final = redir.get(title, title)
                page = dict(merged_pages.get(final, {"title": final, "missing": True}))
                if final != title:
                    page["redirected_from"] = title
                if title != asked:
                    page["normalized_from"] = asked
                found[asked] = page
        return found

    def existing_titles(self, titles: Iterable[str], *, batch: int = SCREEN_BATCH) -> dict[str, bool | None]:
        """Which titles are pages (redirects count), many per request: the titles are rendered as
        links by ``action=parse`` (POST) and the parser output says which links exist, as it does
        for red links. Returns {asked title: True/False}, or None for a title whose link could not
        be told apart (the caller asks it with ``pages_by_titles``). Raises on a failed request."""
        titles = list(dict.fromkeys(t for t in titles if t))
        found: dict[str, bool | None] = {}
        for part in chunks(titles, batch):
            # "[[:T]]": the colon keeps a title such as "Category:X" or "ja:X" a plain link
            text = "\n".join(f"* [[:{t}]]" for t in part)
            data = self.call({"action": "parse", "text": text, "title": "API", "contentmodel": "wikitext",
                              "prop": "links", "disablelimitreport": 1}, post=True)
            links = {}
            for link in (data.get("parse") or {}).get("links") or []:
                title = link.get("title") or link.get("*") or ""
                exists = link.get("exists")  # formatversion=2: true/false; 1: "" when it exists
                links[title_key(title)] = exists is True or exists == ""
            for t in part:
                found[t] = links.get(title_key(t))
        return found

    def sitelinks(self, ids: Iterable[str], site: str) -> dict[str, str]:
        """On a Wikibase repository (Wikidata): each item's sitelink to ``site`` (e.g. "jawiki"),
        50 items a request (wbgetentities). Items without one are left out; a redirected item is
        answered under the id asked."""
        ids = list(dict.fromkeys(i for i in ids if i))
        found: dict[str, str] = {}
        for part in chunks(ids, self.batch):
            data = self.call({"action": "wbgetentities", "ids": "|".join(part), "props": "sitelinks",
                              "sitefilter": site})
            back = {r.get("to"): r.get("from") for r in (data.get("redirects") or [])
                    if isinstance(r, dict)} if isinstance(data.get("redirects"), list) else {}
            for key, entity in (data.get("entities") or {}).items():
                if not isinstance(entity, dict) or "missing" in entity:
                    continue
                link = (entity.get("sitelinks") or {}).get(site) or {}
                if link.get("title"):
                    found[back.get(key, key)] = link["title"]
        return found

    def prefix_search(self, prefix: str, *, limit: int = 10, namespace: int = 0) -> list[str]:
        """Titles that begin with ``prefix`` (list=prefixsearch: the wiki's own title search)."""
        data = self.call({"action": "query", "list": "prefixsearch", "pssearch": prefix, "pslimit": limit,
                          "psnamespace": namespace})
        return [p.get("title", "") for p in (data.get("query") or {}).get("prefixsearch") or [] if p.get("title")]

    def geosearch_bbox(self, south: float, west: float, north: float, east: float, *, limit: int = 500,
                       namespace: int = 0) -> list[dict]:
        """Geotagged pages in a box (GeoData's list=geosearch): [{pageid, title, lat, lon, ...}].
        GeoData has no continuation for this list: a full answer (``limit`` results) means the
        box should be split; the caller decides."""
        data = self.call({"action": "query", "list": "geosearch",
                          "gsbbox": f"{north:.6f}|{west:.6f}|{south:.6f}|{east:.6f}",
                          "gslimit": limit, "gsnamespace": namespace, "gsprimary": "primary"})
        query = data.get("query", {})
        if "geosearch" not in query:  # MediaWiki only warns about an unknown list: no GeoData here
            raise ServiceError(self.service, "the wiki has no geosearch (Extension:GeoData)")
        return list(query["geosearch"])

    def parse(self, wikitext: str, title: str = "API") -> dict:
        """Render wikitext as the wiki would (for previews)."""
        data = self.call({"action": "parse", "text": wikitext, "title": title, "contentmodel": "wikitext",
                          "prop": "text|warnings|categories|links", "disablelimitreport": 1}, post=True)
        return data.get("parse", {})

    def siteinfo(self) -> dict:
        return self.call({"action": "query", "meta": "siteinfo", "siprop": "general|namespaces"})["query"]
