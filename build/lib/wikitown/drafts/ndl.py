"""Book details from NDL Search (国立国会図書館サーチ) by ISBN.

Uses the OpenSearch API (``{endpoint}/opensearch?isbn=...``), which answers in
RSS 2.0 with Dublin Core and DC-NDL elements per item::

    <item><title>…</title><link>https://ndlsearch.ndl.go.jp/books/R100000002-I029096886</link>
      <dc:title>…</dc:title><dcndl:titleTranscription>…</dcndl:titleTranscription>
      <dc:creator>角, 征典</dc:creator><dc:publisher>ドワンゴ</dc:publisher>
      <dcterms:issued>2018.7</dcterms:issued><dc:extent>349p</dc:extent>
      <dc:identifier xsi:type="dcndl:ISBN">978-4-04-893065-9</dc:identifier> …</item>

The endpoint is the ``ndl_search`` service (configurable per event and by
``WIKITOWN_NDL_SEARCH_URL``). No network raises ServiceUnavailable (say so and
let the librarian type the details); no record returns None (manual entry).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from wikitown.drafts import isbn as isbn_mod
from wikitown.drafts.citations import Source
from wikitown.core.errors import ServiceError
from wikitown.net.http import HttpClient
from wikitown.core.normalize import nfkc

SERVICE = "ndl_search"
NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcndl": "http://ndl.go.jp/dcndl/terms/",
    "dcterms": "http://purl.org/dc/terms/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "openSearch": "http://a9.com/-/spec/opensearchrss/1.0/",
}
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def opensearch_url(endpoint: str) -> str:
    return endpoint.rstrip("/") + "/opensearch"


def lookup_isbn(isbn: str, *, endpoint: str, client: HttpClient | None = None) -> Source | None:
    """The book with this ISBN as a register entry (not stored), or None when NDL has none.

    Raises InvalidISBN before any request; ServiceUnavailable when NDL cannot be reached;
    ServiceError when it answers something that is not its RSS."""
    code = isbn_mod.validate(isbn)
    client = client or HttpClient()
    text = client.get_text(opensearch_url(endpoint), {"isbn": code, "cnt": 10}, service=SERVICE)
    books = parse_opensearch(text)
    wanted = isbn_mod.to_isbn13(code)
    for book in books:
        if book.isbn and isbn_mod.to_isbn13(book.isbn) == wanted:
            return book
    return books[0] if books else None


def parse_opensearch(text: str) -> list[Source]:
    """Every item of an OpenSearch RSS answer as a book source."""
    try:
        root = ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    except ET.ParseError as exc:
        raise ServiceError(SERVICE, f"the answer is not XML ({exc})") from None
    if root.tag != "rss" or root.find("channel") is None:
        raise ServiceError(SERVICE, f"the answer is not an OpenSearch RSS feed (<{root.tag}>)")
    return [_item(item) for item in root.iter("item")]


def _texts(item, path: str) -> list[str]:
    return [nfkc(e.text) for e in item.findall(path, NS) if nfkc(e.text)]


def _first(item, path: str) -> str:
    values = _texts(item, path)
    return values[0] if values else ""


def person(name: str) -> str:
    """NDL writes names as ``姓, 名``: a Japanese name becomes 姓名, a Western one stays."""
    name = nfkc(name)
    name = re.sub(r",\s*\d{4}-(\d{4})?$", "", name)  # life dates of authority records
    if _CJK_RE.search(name) and "," in name:
        return "".join(p.strip() for p in name.split(","))
    return name


def _item(item) -> Source:
    identifiers = {}
    for e in item.findall("dc:identifier", NS):
        kind = (e.get(_XSI_TYPE) or "").split(":")[-1]
        if kind and nfkc(e.text):
            identifiers.setdefault(kind, nfkc(e.text))
    publishers = [p for p in _texts(item, "dc:publisher") if not p.endswith("(発売)")] or \
        _texts(item, "dc:publisher")
    issued = _first(item, "dcterms:issued") or _first(item, "dc:date")
    raw_isbn = identifiers.get("ISBN", "")
    link = nfkc(item.findtext("link") or item.findtext("guid") or "")
    data = {
        "ndl_link": link,
        "title_reading": _first(item, "dcndl:titleTranscription"),
        "extent": _first(item, "dc:extent"),
        "ndl_bib_id": identifiers.get("NDLBibID", ""),
        "jpno": identifiers.get("JPNO", ""),
        "series": _first(item, "dcndl:seriesTitle"),
        "volume": _first(item, "dcndl:volume"),
        "edition": _first(item, "dcndl:edition"),
        "lookup": "ndl_search",
    }
    return Source(
        kind="book",
        title=_first(item, "dc:title") or nfkc(item.findtext("title")),
        authors="、".join(dict.fromkeys(person(c) for c in _texts(item, "dc:creator"))),
        publisher="、".join(publishers),
        year=_issued(issued),
        isbn=raw_isbn if raw_isbn and isbn_mod.is_valid(raw_isbn) else "",
        data={k: v for k, v in data.items() if v},
    )


def _issued(value: str) -> str:
    """``2018.7`` -> ``2018-07``; ``2018`` stays; anything else as given."""
    m = re.fullmatch(r"(\d{4})[.\-/](\d{1,2})(?:[.\-/](\d{1,2}))?", value)
    if not m:
        return value
    out = f"{m.group(1)}-{int(m.group(2)):02d}"
    return out + (f"-{int(m.group(3)):02d}" if m.group(3) else "")
