"""Checks run on every save of a draft, on the parsed tree (mwparserfromhell).

Each :class:`Finding` names its problem (``code``, a message key under
``drafts.check.``), the section and the 1-based line where it is, and a short
excerpt. The checks:

- ``unclosed_template`` / ``unclosed_ref`` / ``unclosed_link``: ``{{``, ``<ref>``
  or ``[[`` that the parser could not close (it leaves them as plain text);
- ``ref_no_title``: a citation template without a title, or an empty ``<ref>``;
- ``ref_undefined``: ``<ref name="x" />`` reusing a footnote that is defined nowhere;
- ``bare_url``: a URL written as is (in the text or alone in a ``<ref>``);
- ``unreferenced_paragraph``: a paragraph of prose with no ``<ref>`` (lists,
  tables, templates and headings are not paragraphs);
- ``placeholder``: wikitown's ``<!-- wikitown:placeholder -->`` marks, a guessed
  reading not yet confirmed, and TODO / ○○ / XXX left in the text;
- ``invalid_isbn``: an ``isbn=`` or ``ISBN 978…`` whose check digit is wrong;
- ``coord_far`` / ``coord_invalid``: a ``{{Coord}}`` more than ``max_distance_m``
  from the site, or one that cannot be read;
- ``sortkey_mismatch``: a ``{{DEFAULTSORT:}}`` that is not jawiki's key for the reading the lead
  gives (``'''常楽寺'''（じょうらくじ）``), as when a writer corrects a guessed reading in the lead
  and not the sort key made from it;
- ``raw_html``: HTML the wiki strips or refuses (``<script>``, ``<iframe>``,
  ``<form>``, ``on…=`` event attributes, ``javascript:`` in styles).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import mwparserfromhell
from mwparserfromhell.nodes import (Comment, ExternalLink, Heading, HTMLEntity, Tag, Template, Text,
                                    Wikilink)

from wikitown.drafts import isbn as isbn_mod
from wikitown.drafts.citations import BOOK_TEMPLATES, WEB_TEMPLATES, plain
from wikitown.drafts.builder import CHECK_KIND, CHECK_READING, PLACEHOLDER
from wikitown.drafts.sortkey import sort_key
from wikitown.core.geo import haversine_m, valid_coord

MAX_DISTANCE_M = 500.0
REF_TEMPLATES = {"sfn", "sfnp", "harvnb", "refnest", "r", "efn", "refn", "要出典範囲"}
# Tags MediaWiki keeps (its Sanitizer's list) plus parser extension tags this wiki family uses.
ALLOWED_TAGS = {
    "b", "i", "u", "s", "del", "ins", "strike", "span", "div", "p", "small", "big", "sub", "sup", "code",
    "tt", "blockquote", "center", "font", "cite", "q", "abbr", "rb", "rp", "rt", "rtc", "ruby", "table", "tr",
    "td", "th", "caption", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br",
    "kbd", "samp", "var", "mark", "bdi", "bdo", "wbr", "data", "time", "dfn", "em", "strong", "pre",
    "ref", "references", "gallery", "nowiki", "math", "chem", "syntaxhighlight", "source", "poem", "score",
    "templatestyles", "includeonly", "noinclude", "onlyinclude", "timeline", "mapframe", "maplink",
    "categorytree", "section",
}
BLOCK_TAGS = {"references", "gallery", "table", "div", "blockquote", "pre", "ul", "ol", "dl", "center", "poem",
              "li", "dt", "dd", "hr"}
_RAW_TAG_RE = re.compile(r"<\s*/?\s*(script|iframe|object|embed|form|input|button|textarea|select|style|"
                         r"link|meta|img|a|svg|frame|frameset|base|applet)\b", re.IGNORECASE)
_PLACEHOLDER_RE = re.compile(r"TODO|FIXME|XXX|○○|〇〇|●●|\?\?\?|要加筆")
_ISBN_TEXT_RE = re.compile(r"ISBN[ \u00a0]+([0-9Xx][0-9Xx \-]{8,16}[0-9Xx])")
# the lead's reading: the first bold name followed by a bracket of kana (brackets inside allowed:
# ごしんじ・べんてんぐう(こうしんじ)), up to 、 or the bracket's end
_KANA = r"[\u3040-\u30ffー・ 　0-9０-９]"
_LEAD_READING_RE = re.compile(rf"'''[^'\n]+'''\s*[（(]((?:{_KANA}|[(（]{_KANA}*[)）])+)(?:<!--.*?-->)?\s*[、，,）)]")
_FILL = {"ref": "\x01", "neutral": "\x02", "block": "\x03", "prose": "a"}


@dataclass
class Finding:
    code: str
    section: str  # "" for the lead
    line: int
    excerpt: str = ""
    params: dict = field(default_factory=dict)

    def message(self, lang: str = "ja") -> str:
        from wikitown.core.i18n import t

        where = t("drafts.check.where", lang, section=self.section or t("drafts.check.lead", lang),
                  line=self.line)
        return f"{where}: {t('drafts.check.' + self.code, lang, excerpt=self.excerpt, **self.params)}"


class _Doc:
    def __init__(self, text: str):
        self.text = text
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        self.code = mwparserfromhell.parse(text)
        self.sections: list[tuple[int, str]] = []
        offset = 0
        for node in self.code.nodes:
            if isinstance(node, Heading):
                self.sections.append((offset, plain(node.title).strip()))
            offset += len(str(node))
        self._section_starts = [o for o, _ in self.sections]

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def section(self, pos: int) -> str:
        i = bisect.bisect_right(self._section_starts, pos) - 1
        return self.sections[i][1] if i >= 0 else ""

    def finding(self, code: str, pos: int, excerpt: str = "", **params) -> Finding:
        excerpt = " ".join(excerpt.split())
        return Finding(code, self.section(pos), self.line(pos), excerpt[:60], params)


def _walk(code, base: int, in_template: bool = False, in_ref: bool = False):
    """(node, absolute offset, inside a template?, inside a ref?) for every node, in order."""
    offset = base
    for node in code.nodes:
        yield node, offset, in_template, in_ref
        text = str(node)
        children = []
        if isinstance(node, Template):
            cursor = len("{{") + len(str(node.name))
            for param in node.params:
                start = text.find(str(param), cursor)
                value_at = start + len(str(param)) - len(str(param.value))
                children.append((param.value, offset + value_at, True, in_ref))
                cursor = start + len(str(param))
        elif isinstance(node, Tag) and node.contents is not None and not node.self_closing:
            start = text.find(">") + 1
            inside = text.find(str(node.contents), start) if str(node.contents) else start
            children.append((node.contents, offset + max(inside, 0), in_template,
                             in_ref or str(node.tag).lower() == "ref"))
        elif isinstance(node, ExternalLink) and node.title is not None:
            children.append((node.title, offset + text.rfind(str(node.title)), in_template, in_ref))
        elif isinstance(node, Wikilink) and node.text is not None:
            children.append((node.text, offset + text.rfind(str(node.text)), in_template, in_ref))
        elif isinstance(node, Heading):
            children.append((node.title, offset + node.level, in_template, in_ref))
        for child, child_offset, t_flag, r_flag in children:
            yield from _walk(child, child_offset, t_flag, r_flag)
        offset += len(text)


def _tname(node: Template) -> str:
    return str(node.name).strip().replace("_", " ").lower()


def check_wikitext(text: str, *, site_lat: float | None = None, site_lon: float | None = None,
                   max_distance_m: float = MAX_DISTANCE_M) -> list[Finding]:
    """Every finding for a draft's wikitext, in the order they appear."""
    doc = _Doc(text or "")
    found: list[Finding] = []
    for node, pos, in_template, in_ref in _walk(doc.code, 0):
        if isinstance(node, Text):
            found.extend(_text_checks(doc, str(node), pos))
        elif isinstance(node, Comment):
            body = str(node.contents).strip()
            if body.startswith(PLACEHOLDER):
                found.append(doc.finding("placeholder", pos, body[len(PLACEHOLDER):].strip()))
            elif body.startswith(CHECK_READING):
                found.append(doc.finding("reading_unconfirmed", pos, ""))
            elif body.startswith(CHECK_KIND):
                found.append(doc.finding("kind_unconfirmed", pos, ""))
        elif isinstance(node, ExternalLink):
            if not node.brackets and not in_template:
                found.append(doc.finding("bare_url", pos, str(node.url)))
        elif isinstance(node, Tag):
            found.extend(_tag_checks(doc, node, pos))
        elif isinstance(node, Template):
            found.extend(_template_checks(doc, node, pos, site_lat, site_lon, max_distance_m))
    found.extend(_paragraph_checks(doc))
    found.extend(_named_ref_checks(doc))
    found.extend(_sortkey_checks(doc))
    found.sort(key=lambda f: f.line)
    return found


def _sortkey_checks(doc: _Doc) -> list[Finding]:
    """DEFAULTSORT against the lead's reading (jawiki leads only: elsewhere there is no such reading)."""
    lead_end = doc.sections[0][0] if doc.sections else len(doc.text)
    m = _LEAD_READING_RE.search(doc.text, 0, lead_end)
    if not m:
        return []
    expected = sort_key(m.group(1))
    out = []
    for node in doc.code.filter_templates(recursive=False):
        name = str(node.name)
        if name.strip().upper().startswith("DEFAULTSORT:") and not node.params:
            key = name.split(":", 1)[1].strip()
            if key != expected:
                out.append(doc.finding("sortkey_mismatch", doc.text.find(str(node)), str(node), written=key,
                                       reading=m.group(1).strip(), expected=expected))
    return out


def _text_checks(doc: _Doc, text: str, pos: int) -> list[Finding]:
    out = []
    for pattern, code in (("{{", "unclosed_template"), ("}}", "unclosed_template"), ("[[", "unclosed_link"),
                          ("]]", "unclosed_link")):
        i = text.find(pattern)
        if i >= 0:
            out.append(doc.finding(code, pos + i, text[i:i + 40]))
    m = re.search(r"<\s*/?\s*ref\b", text, re.IGNORECASE)
    if m:
        out.append(doc.finding("unclosed_ref", pos + m.start(), text[m.start():m.start() + 40]))
    m = _RAW_TAG_RE.search(text)
    if m:
        out.append(doc.finding("raw_html", pos + m.start(), text[m.start():m.start() + 40], tag=m.group(1)))
    m = _PLACEHOLDER_RE.search(text)
    if m:
        out.append(doc.finding("placeholder", pos + m.start(), text[max(0, m.start() - 10):m.end() + 10]))
    for m in _ISBN_TEXT_RE.finditer(text):
        if not isbn_mod.is_valid(m.group(1)):
            out.append(doc.finding("invalid_isbn", pos + m.start(), m.group(0), isbn=m.group(1).strip()))
    return out


def _tag_checks(doc: _Doc, node: Tag, pos: int) -> list[Finding]:
    out = []
    tag = str(node.tag).strip().lower()
    if tag not in ALLOWED_TAGS:
        out.append(doc.finding("raw_html", pos, str(node)[:40], tag=tag))
    for attr in node.attributes:
        name = str(attr.name).strip().lower()
        value = str(attr.value or "").lower()
        if name.startswith("on") or (name in ("style", "href", "src") and
                                     re.search(r"javascript:|expression\s*\(|url\s*\(", value)):
            out.append(doc.finding("raw_html", pos, str(node)[:40], tag=f"{tag} {name}"))
    if tag == "ref" and not node.self_closing:
        contents = node.contents
        body = str(contents).strip() if contents is not None else ""
        cites = [t for t in (contents.filter_templates(recursive=False) if contents is not None else [])
                 if _tname(t) in BOOK_TEMPLATES | WEB_TEMPLATES]
        if not body:
            out.append(doc.finding("ref_no_title", pos, str(node)))
        elif not cites:
            links = contents.filter_external_links(recursive=False)
            rest = plain(contents).strip()
            if links and not links[0].brackets and rest == str(links[0].url).strip():
                pass  # reported as bare_url by the walk
            elif links and links[0].brackets and links[0].title is None and \
                    rest == str(links[0].url).strip():
                out.append(doc.finding("ref_no_title", pos, str(node)))
    return out


def _named_ref_checks(doc: _Doc) -> list[Finding]:
    """``<ref name="x" />`` needs a ``<ref name="x">…</ref>`` somewhere (else the wiki shows a Cite error)."""
    defined, reused = set(), []
    for node, pos, _t, _r in _walk(doc.code, 0):
        if isinstance(node, Tag) and str(node.tag).strip().lower() == "ref" and node.has("name"):
            name = str(node.get("name").value).strip().strip('"\'')
            if node.self_closing or not str(node.contents or "").strip():
                reused.append((name, pos, str(node)))
            else:
                defined.add(name)
    return [doc.finding("ref_undefined", pos, text, name=name) for name, pos, text in reused if name not in defined]


def _template_checks(doc: _Doc, node: Template, pos: int, lat, lon, max_m) -> list[Finding]:
    out = []
    name = _tname(node)
    if name in BOOK_TEMPLATES | WEB_TEMPLATES:
        title = plain(node.get("title").value) if node.has("title") else ""
        if not title.strip():
            out.append(doc.finding("ref_no_title", pos, str(node)[:40]))
    for key in ("isbn", "ISBN"):
        if node.has(key):
            value = plain(node.get(key).value)
            if value and not isbn_mod.is_valid(value):
                out.append(doc.finding("invalid_isbn", pos, str(node)[:40], isbn=value))
    if name == "coord":
        got = coord_of(node)
        if got is None:
            out.append(doc.finding("coord_invalid", pos, str(node)))
        elif lat is not None and lon is not None:
            distance = haversine_m(lat, lon, *got)
            if distance > max_m:
                out.append(doc.finding("coord_far", pos, str(node), distance=round(distance),
                                       limit=round(max_m)))
    return out


def coord_of(node: Template) -> tuple[float, float] | None:
    """(lat, lon) of a ``{{Coord}}``: decimal, or degrees/minutes/seconds with N/S/E/W."""
    values = [plain(p.value).strip() for p in node.params if not p.showkey]
    values = [v for v in values if v and ":" not in v]
    try:
        hemis = [i for i, v in enumerate(values) if v.upper() in ("N", "S", "E", "W")]
        if len(hemis) >= 2:
            ns, ew = hemis[0], hemis[1]
            lat = _dms(values[:ns]) * (-1 if values[ns].upper() == "S" else 1)
            lon = _dms(values[ns + 1:ew]) * (-1 if values[ew].upper() == "W" else 1)
        else:
            lat, lon = float(values[0]), float(values[1])
    except (ValueError, IndexError):
        return None
    return (lat, lon) if valid_coord(lat, lon) else None


def _dms(parts: list[str]) -> float:
    if not 1 <= len(parts) <= 3:
        raise ValueError(parts)
    return sum(float(p) / 60 ** i for i, p in enumerate(parts))


def _shadow(code, out: list[str]) -> None:
    """The text with every node replaced, character for character, by what it is for the
    paragraph check: prose, a reference, a neutral thing (template, comment) or a block."""
    for node in code.nodes:
        text = str(node)
        if isinstance(node, Text):
            out.append(text)
            continue
        kind = "neutral"
        if isinstance(node, Tag):
            tag = str(node.tag).lower()
            if tag == "ref":
                kind = "ref"
            elif tag in BLOCK_TAGS or tag == "br":
                kind = "block" if tag != "br" else "neutral"
            elif node.contents is not None and not node.self_closing:
                inner: list[str] = []
                start = len(text) - len(str(node.contents)) - len(f"</{node.tag}>")
                out.append(_FILL["neutral"] * max(start, 0))
                _shadow(node.contents, inner)
                out.append("".join(inner))
                out.append(_FILL["neutral"] * (len(text) - max(start, 0) - len("".join(inner))))
                continue
        elif isinstance(node, Template):
            kind = "ref" if _tname(node) in REF_TEMPLATES else "neutral"
        elif isinstance(node, Heading):
            kind = "block"
        elif isinstance(node, Wikilink):
            title = str(node.title).strip().lower()
            kind = "neutral" if re.match(r"(category|file|image|カテゴリ|ファイル|画像):", title) else "prose"
        elif isinstance(node, (ExternalLink, HTMLEntity)):
            kind = "prose"
        elif isinstance(node, Comment):
            out.append(re.sub(r"[^\n]", " ", text))
            continue
        out.append(re.sub(r"[^\n]", _FILL[kind], text) if kind == "block" else _FILL[kind] * len(text))


def _paragraph_checks(doc: _Doc) -> list[Finding]:
    parts: list[str] = []
    _shadow(doc.code, parts)
    shadow = "".join(parts)
    out = []
    para_start, prose, referenced = None, False, False

    def close():
        if para_start is not None and prose and not referenced:
            out.append(doc.finding("unreferenced_paragraph", para_start, doc.text[para_start:para_start + 40]))

    offset = 0
    for line in shadow.split("\n"):
        stripped = line.strip(" \t\x02")
        blockish = (not stripped or stripped[0] in "*#:;{|!" or "\x03" in line or line.startswith("----"))
        if blockish:
            close()
            para_start, prose, referenced = None, False, False
        else:
            if para_start is None:
                para_start = offset
            prose = prose or any(ch.isalnum() for ch in line if ch not in "\x01\x02")
            referenced = referenced or "\x01" in line
        offset += len(line) + 1
    close()
    return out
