"""Citations for the target wiki, built as mwparserfromhell nodes, and read back.

Japanese Wikipedia: ``{{Cite book|和書|author=|title=|publisher=|date=|isbn=|page=}}`` and
``{{Cite web|和書|url=|title=|publisher=|accessdate=}}``; English Wikipedia: ``{{cite book}}``
and ``{{cite web}}`` with ``access-date`` (see shared notes, wiki conventions).

Every value passes through :func:`wikitown.core.wikitext.escape` (URLs through
``escape_url``), so a ``|``, ``{{``, ``}}``, ``[[`` or ``]]`` a user typed stays
inside its parameter: the result parses back as ONE template whose values,
unescaped, are exactly what was typed.

Reading back (:func:`read_citations`) turns ``{{Cite book}}``, ``{{Cite web}}``,
``{{Citation}}`` and bare ``<ref>[URL title]</ref>`` links of an existing
article into source records for the register.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import mwparserfromhell
from mwparserfromhell.nodes import ExternalLink, Tag, Template, Text, Wikilink
from mwparserfromhell.smart_list import SmartList
from mwparserfromhell.wikicode import Wikicode

from wikitown.drafts import isbn as isbn_mod
from wikitown.core.normalize import nfkc
from wikitown.core.wikitext import escape, escape_url, template

KINDS = ("book", "web", "dataset")
BOOK_TEMPLATES = {"cite book", "citation", "cite journal", "cite news"}
WEB_TEMPLATES = {"cite web"}


@dataclass
class Source:
    """One entry of an event's source register (a row of the ``sources`` table)."""

    kind: str
    title: str
    authors: str = ""
    publisher: str = ""
    year: str = ""
    isbn: str = ""
    pages: str = ""
    call_number: str = ""
    url: str = ""
    website: str = ""
    access_date: str = ""
    added_by: str = ""
    data: dict = field(default_factory=dict)
    id: int | None = None

    def row(self) -> dict:
        values = asdict(self)
        values.pop("id")
        return values

    @classmethod
    def from_row(cls, row) -> "Source":
        row = dict(row)
        names = {f for f in cls.__dataclass_fields__}
        values = {k: (v if v is not None else "") for k, v in row.items() if k in names}
        values["data"] = row.get("data") or {}
        values["id"] = row.get("id")
        return cls(**values)

    def label(self) -> str:
        """A one-line description for lists (plain text, not wikitext)."""
        parts = [self.title]
        if self.authors:
            parts.append(self.authors)
        if self.publisher or self.website:
            parts.append(self.publisher or self.website)
        if self.year:
            parts.append(self.year)
        if self.isbn:
            parts.append(f"ISBN {self.isbn}")
        return " / ".join(p for p in parts if p)


def text_node(escaped: str) -> Wikicode:
    """Already-escaped text as a parsed value, without running the parser again: escaped
    text holds no markup, so it is one Text node (building drafts for 500 sites stays fast)."""
    return Wikicode(SmartList([Text(escaped)]))


def _name(lang: str, kind: str) -> str:
    base = "Cite book" if kind == "book" else "Cite web"
    return base if lang == "ja" else base.lower()


def citation(source: Source, lang: str = "ja", *, page: str = "") -> Template:
    """The citation template node for ``source`` on the ``lang`` Wikipedia.

    ``page``: the page cited in this place (falls back to the source's pages).
    An invalid ISBN raises :class:`wikitown.drafts.isbn.InvalidISBN` (it would be a
    broken link on the wiki)."""
    kind = source.kind if source.kind in KINDS else "book"
    if kind == "dataset":
        kind = "web" if source.url else "book"
    params: list[tuple[str | None, str]] = []
    if lang == "ja":
        params.append((None, text_node("和書")))

    def add(name: str, value, *, url: bool = False) -> None:
        value = nfkc(value) if not url else str(value or "").strip()
        if value:
            params.append((name, text_node(escape_url(value) if url else escape(value))))

    page = page or source.pages
    if kind == "book":
        add("author", source.authors)
        add("title", source.title)
        add("publisher", source.publisher)
        add("date" if lang == "ja" else "year", source.year)
        if source.isbn:
            add("isbn", isbn_mod.display(source.isbn))
        add("pages" if re.search(r"[-–〜~,、]", nfkc(page)) else "page", page)
        if source.url:
            add("url", source.url, url=True)
    else:
        add("url", source.url, url=True)
        add("title", source.title)
        add("author", source.authors)
        if lang == "ja":
            add("publisher", source.website or source.publisher)
            add("date", source.year)
            add("accessdate", source.access_date)
        else:
            add("website", source.website)
            add("publisher", source.publisher)
            add("date", source.year)
            add("access-date", source.access_date)
    licence = (source.data or {}).get("licence", "") if source.kind == "dataset" else ""
    if licence:  # an open dataset's terms go with its citation (CC BY asks for attribution)
        add("type", ("オープンデータ、" if lang == "ja" else "Open data, ") + str(licence))
    return template(_name(lang, kind), params)


def render(source: Source, lang: str = "ja", *, page: str = "") -> str:
    return str(citation(source, lang, page=page))


def ref_name(source: Source) -> str:
    """A stable, safe ``<ref name>`` for a source (ASCII, no quotes)."""
    return f"src{source.id}" if source.id is not None else "src-" + re.sub(r"\W+", "", source.title)[:20]


def ref(source: Source, lang: str = "ja", *, page: str = "", name: str | None = None) -> Tag:
    """``<ref name="...">{{Cite ...}}</ref>``."""
    tag = Tag("ref", contents=Wikicode(SmartList([citation(source, lang, page=page)])))
    if name:
        tag.add("name", name)
    return tag


def ref_again(name: str) -> Tag:
    """``<ref name="..." />``: cite the same source again."""
    tag = Tag("ref", self_closing=True, padding=" ")
    tag.add("name", name)
    return tag


# ---------------------------------------------------------------------------------------------
# reading citations back


def plain(value) -> str:
    """The text a reader sees for a template value, good enough for a register:
    links show their text, link templates (``{{jalink}}``, ``{{ill}}``) their
    Japanese label, other templates and comments disappear, entities are decoded."""
    code = value if hasattr(value, "nodes") else mwparserfromhell.parse(str(value or ""))
    out: list[str] = []
    for node in code.nodes:
        if isinstance(node, Text):
            out.append(str(node))
        elif isinstance(node, Wikilink):
            out.append(plain(node.text) if node.text is not None else plain(node.title))
        elif isinstance(node, ExternalLink):
            out.append(plain(node.title) if node.title is not None else str(node.url))
        elif isinstance(node, Template):
            out.append(_link_template_text(node))
        elif isinstance(node, Tag):
            if str(node.tag).lower() == "br":
                out.append(" ")
            elif node.contents is not None and str(node.tag).lower() not in ("ref",):
                out.append(plain(node.contents))
        elif type(node).__name__ == "HTMLEntity":
            out.append(node.normalize())
    return nfkc("".join(out))


def _link_template_text(node: Template) -> str:
    # {{ill|lt=日本語|Q123|1=English}}: lt is what jawiki readers see.
    # {{jalink|Title|Qid|label}}: the label, else the title.
    for key in ("lt", "3", "1"):
        if node.has(key):
            text = plain(node.get(key).value)
            if text and not re.fullmatch(r"Q\d+", text):
                return text
    return ""


def _param(node: Template, *names: str) -> str:
    for name in names:
        if node.has(name):
            text = plain(node.get(name).value)
            if text:
                return text
    return ""


def _authors(node: Template) -> str:
    direct = _param(node, "author", "authors", "著者", "author1")
    if direct:
        return direct
    last, first = _param(node, "last", "last1"), _param(node, "first", "first1")
    if last:
        return f"{last}, {first}" if first else last
    return _param(node, "editor", "編者")


def source_from_template(node: Template) -> Source | None:
    name = str(node.name).strip().replace("_", " ").lower()
    if name not in BOOK_TEMPLATES | WEB_TEMPLATES:
        return None
    title = _param(node, "title", "タイトル", "書名")
    url = _param(node, "url", "URL")
    kind = "web" if name in WEB_TEMPLATES else "book"
    data = {"template": str(node.name).strip()}
    chapter = _param(node, "chapter")
    if chapter:
        data["chapter"] = chapter
    series = _param(node, "series")
    if series:
        data["series"] = series
    raw_isbn = _param(node, "isbn", "ISBN")
    if raw_isbn and not isbn_mod.is_valid(raw_isbn):
        data["invalid_isbn"] = raw_isbn
        raw_isbn = ""
    return Source(kind=kind, title=title or url, authors=_authors(node),
                  publisher=_param(node, "publisher", "出版社", "発行元"),
                  year=_param(node, "date", "year", "発行年", "publication-date"),
                  isbn=raw_isbn, pages=_param(node, "page", "pages", "p", "pp"),
                  url=url, website=_param(node, "website", "work", "site"),
                  access_date=_param(node, "access-date", "accessdate", "閲覧日"), data=data)


def read_citations(wikitext: str) -> list[Source]:
    """Every cited source in an article, in order, duplicates merged.

    Citation templates anywhere (in refs, in 参考文献 lists); a ``<ref>`` that holds
    only a bracketed external link (``[URL title] - site, date``) becomes a web source."""
    code = mwparserfromhell.parse(wikitext or "")
    found: list[Source] = []
    for node in code.filter(recursive=True, forcetype=(Template, Tag)):
        if isinstance(node, Template):
            src = source_from_template(node)
            if src is not None and src.title:
                found.append(src)
        elif str(node.tag).lower() == "ref" and node.contents is not None:
            inner = node.contents
            if any(isinstance(t, Template) and source_from_template(t) for t in inner.filter_templates()):
                continue
            links = inner.filter_external_links(recursive=False)
            if links and links[0].title is not None:
                link = links[0]
                rest = plain(str(inner).replace(str(link), "", 1)).strip(" -–—,、")
                found.append(Source(kind="web", title=plain(link.title), url=str(link.url),
                                    website=rest, data={"from": "ref link"}))
    return _dedupe(found)


def _dedupe(items: list[Source]) -> list[Source]:
    seen: dict[tuple, Source] = {}
    for src in items:
        key = (src.kind, isbn_mod.to_isbn13(src.isbn) if src.isbn else "", src.url if not src.isbn else "",
               src.title if not (src.isbn or src.url) else "")
        if src.isbn or src.url:
            key = (src.kind, key[1], key[2], src.title if src.url and src.kind == "book" else "")
        seen.setdefault(key, src)
    return list(seen.values())


def extract_export_texts(xml_text: str) -> list[tuple[str, str]]:
    """(title, wikitext) of each page in a MediaWiki XML export (any schema version)."""
    import xml.etree.ElementTree as ET

    from wikitown.core.errors import InputError

    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise InputError(f"not a MediaWiki XML export: {exc}", key="citations.error.not_export",
                         reason=str(exc)) from None
    pages = []
    for page in root.iter():
        if not page.tag.endswith("}page") and page.tag != "page":
            continue
        title, text = "", ""
        for child in page.iter():
            if child.tag.endswith("title") and not title:
                title = child.text or ""
            if child.tag.endswith("}text") or child.tag == "text":
                text = child.text or ""  # the last revision wins
        pages.append((title, text))
    return pages
