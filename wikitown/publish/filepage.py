"""A Commons file page, as the Commons app and WikiShootMe write them
(``../shared/notes/wiki-conventions.md``), built as mwparserfromhell nodes.

Everything a participant or a data source wrote (notes, credit, site names,
category names) goes through :func:`wikitown.core.wikitext.escape` or is cleaned to a
title first; the finished text is parsed back and must contain exactly the
templates, links and categories built here, or :class:`FilePageError` is raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import mwparserfromhell
from mwparserfromhell.nodes import Heading, Template, Text, Wikilink

from wikitown.core import licences
from wikitown.core.errors import InputError
from wikitown.core.licences import DEFAULT_LICENCE
from wikitown.publish.filenames import clean_part
from wikitown.core.wikitext import escape, template

# The licence a participant chose -> the template Commons' {{self}} takes.
ALLOWED_TEMPLATES = {"int:filedesc", "int:license-header", "Information", "Ja", "En", "According to Exif data",
                     "Own", "Location", "Object location", "Self"}
# A user name MediaWiki accepts (no title-breaking characters; '@' and ':' are not allowed either).
_USERNAME_RE = re.compile(r"^[^#<>\[\]|{}/@:\x00-\x1f\x7f]{1,85}$")


class FilePageError(InputError):
    key = "publish.error.filepage"


@dataclass
class FilePageInfo:
    """What a file page says. Text fields are raw (as typed); they are escaped here."""

    site_name: str
    site_name_en: str = ""
    municipality: str = ""
    event_name: str = ""
    note: str = ""
    note_lang: str = "ja"
    taken: str = ""  # ISO date/time from EXIF
    taken_from_exif: bool = True
    credit: str = ""
    wiki_user: str = ""
    licence: str = DEFAULT_LICENCE
    lat: float | None = None  # camera (EXIF GPS)
    lon: float | None = None
    site_lat: float | None = None
    site_lon: float | None = None
    categories: list[str] = field(default_factory=list)


def valid_username(name: str) -> bool:
    # "__" would make a behaviour switch (__NOTOC__) inside [[User:...]]: MediaWiki reads those
    # anywhere. No real user name holds one (titles collapse runs of underscores and spaces).
    return bool(name) and bool(_USERNAME_RE.fullmatch(name.strip())) and "~~~" not in name \
        and "__" not in name and "  " not in name


def category_name(name: str) -> str:
    """A category title from a data source or config ('Category:' prefix optional), cleaned."""
    name = re.sub(r"^\s*category\s*:\s*", "", str(name or ""), flags=re.I)
    return clean_part(name.replace("\u3000", " "))


def categories_for(site_category: str, event_category: str, event_categories: list[str]) -> list[str]:
    cats = [category_name(c) for c in [site_category, event_category, *event_categories]]
    return list(dict.fromkeys(c for c in cats if c))


def _coord(value: float) -> str:
    return f"{float(value):.6f}"


def _descriptions(info: FilePageInfo) -> tuple[str, str]:
    name_ja = info.site_name.strip()
    place = f"（{info.municipality}）" if info.municipality and info.municipality not in name_ja else ""
    ja = f"{name_ja}{place}。"
    name_en = info.site_name_en.strip() or name_ja
    # The municipality is only known in Japanese; an English sentence names it when it is Latin text.
    en_place = info.municipality if info.municipality.isascii() and info.municipality not in name_en else ""
    en = f"{name_en}{', ' + en_place if en_place else ''}."
    if info.event_name:
        ja += f"{info.event_name}で撮影。"
        en += f" Photographed during {info.event_name}."
    note = info.note.strip()
    if note:
        if info.note_lang == "en":
            en += f" {note}"
        else:
            ja += note
    return escape(ja), escape(en)


def _lang_template(lang: str, text: str) -> str:
    node = Template(lang)
    node.add("1", text, showkey=True)  # 1= keeps a '=' in the text from splitting the parameter
    return str(node)


def _author(info: FilePageInfo) -> str:
    credit = info.credit.strip() or info.wiki_user.strip()
    if info.wiki_user and valid_username(info.wiki_user):
        user = info.wiki_user.strip()
        return str(Wikilink(f"User:{user}", escape(credit or user)))
    return escape(credit) if credit else ""


def iso_date(taken: str) -> str:
    """``2026-11-28`` from ISO text or EXIF's ``2026:11:28 10:15:00``; "" when it is neither."""
    m = re.match(r"^\s*(\d{4})[-:](\d{2})[-:](\d{2})", str(taken or ""))
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else ""


def _date(info: FilePageInfo) -> str:
    date = escape(iso_date(info.taken))
    if not date:
        return ""
    return str(template("According to Exif data", [(None, date)])) if info.taken_from_exif else date


def build(info: FilePageInfo):
    """The file page as a parsed mwparserfromhell tree (``str()`` it for the text)."""
    if info.licence not in licences.BY_KEY:
        raise FilePageError(f"unknown licence {info.licence!r}", key="publish.error.licence",
                            licence=info.licence)
    ja, en = _descriptions(info)
    description = f"{_lang_template('ja', ja)} {_lang_template('en', en)}"
    code = mwparserfromhell.parse("")
    nodes = code.nodes
    nodes.append(Heading(" {{int:filedesc}} ", 2))
    nodes.append(Text("\n"))
    information = template("Information")
    for key, value in (("description", description), ("date", _date(info)), ("source", "{{own}}"),
                       ("author", _author(info))):
        information.add(key, value)
    # One parameter a line, as on Commons (readable in diffs): " |name=value" lines.
    for i, param in enumerate(information.params):
        last = i == len(information.params) - 1
        param.value = str(param.value) + ("\n" if last else "\n ")
    information.name = "Information\n "
    nodes.append(information)
    nodes.append(Text("\n"))
    if info.lat is not None and info.lon is not None:
        nodes.append(template("Location", [(None, _coord(info.lat)), (None, _coord(info.lon))]))
        nodes.append(Text("\n"))
    if info.site_lat is not None and info.site_lon is not None:
        nodes.append(template("Object location", [(None, _coord(info.site_lat)), (None, _coord(info.site_lon))]))
        nodes.append(Text("\n"))
    nodes.append(Text("\n"))
    nodes.append(Heading(" {{int:license-header}} ", 2))
    nodes.append(Text("\n"))
    nodes.append(template("self", [(None, licences.BY_KEY[info.licence].commons_template)]))
    if info.categories:
        nodes.append(Text("\n"))
    for cat in info.categories:
        nodes.append(Text("\n"))
        nodes.append(Wikilink(f"Category:{category_name(cat)}"))
    # Re-parse: the tree above holds pre-rendered strings; the text is what counts.
    code = mwparserfromhell.parse(str(code))
    verify(str(code), info)
    return code


def text(info: FilePageInfo) -> str:
    return str(build(info))


def _tname(t) -> str:
    name = str(t.name).strip()
    return name[:1].upper() + name[1:]


def verify(wikitext: str, info: FilePageInfo) -> None:
    """Parse ``wikitext`` back: only the templates, links and categories wikitown
    put there, and the participant's text reads back exactly as typed."""
    code = mwparserfromhell.parse(wikitext)
    names = [_tname(t) for t in code.filter_templates(recursive=True)]
    unexpected = sorted({n for n in names if n not in ALLOWED_TEMPLATES and n.lower() not in
                         {a.lower() for a in ALLOWED_TEMPLATES}})
    if unexpected:
        raise FilePageError(f"unexpected templates in the file page: {unexpected}",
                            key="publish.error.filepage_markup", detail=", ".join(unexpected))
    if names.count("Information") != 1:
        raise FilePageError("the file page must hold exactly one {{Information}}",
                            key="publish.error.filepage_markup", detail="Information")
    links = [str(link.title) for link in code.filter_wikilinks(recursive=True)]
    expected_links = [f"Category:{category_name(c)}" for c in info.categories]
    if info.wiki_user and valid_username(info.wiki_user):
        expected_links.append(f"User:{info.wiki_user.strip()}")
    if sorted(links) != sorted(expected_links):
        raise FilePageError(f"unexpected links in the file page: {links}", key="publish.error.filepage_markup",
                            detail=", ".join(sorted(set(links) ^ set(expected_links))))
    # A bare URL in a note is allowed (it shows as a plain link); [bracketed] links, tags and comments
    # can only come from markup that escaping missed.
    bad = [str(n) for n in code.filter(recursive=True, forcetype=(mwparserfromhell.nodes.Tag,
                                                                   mwparserfromhell.nodes.ExternalLink,
                                                                   mwparserfromhell.nodes.Comment))
           if not (isinstance(n, mwparserfromhell.nodes.ExternalLink) and not n.brackets)]
    if bad:
        raise FilePageError(f"markup in the file page: {bad[:3]}", key="publish.error.filepage_markup",
                            detail=", ".join(bad[:3]))
