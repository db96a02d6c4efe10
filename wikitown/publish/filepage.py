"""A Commons file page, as the Commons app and WikiShootMe write them
(Commons' conventions, summarised in docs/publish.md), built as mwparserfromhell nodes.

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

# Not the uploader's own photo: permission through VRT, pending until a ticket exists.
PERMISSION_PENDING = "Permission pending"
PERMISSION_TICKET = "PermissionTicket"
ALLOWED_TEMPLATES = {"int:filedesc", "int:license-header", "Information", "Ja", "En", "According to Exif data",
                     "Own", "Location", "Object location", "Self", PERMISSION_PENDING, PERMISSION_TICKET,
                     *(lic.commons_template[:1].upper() + lic.commons_template[1:] for lic in licences.BY_KEY.values())}
# Templates that say "the uploader made this": only on the uploader's own photos.
OWN_WORK_TEMPLATES = {"Own", "Self"}
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
    # Who uploads, and whether the photo is the uploader's own work. Own work ({{self}}, {{own}})
    # only when the uploading account is the photographer's (wiki_user); otherwise the author and
    # their licence are named, and permission goes through VRT (pending until ``vrt_ticket``).
    uploader: str = ""
    own_work: bool = False
    vrt_ticket: str = ""


def same_user(a: str, b: str) -> bool:
    """Two user names for the same account (MediaWiki: first letter upper case, _ = space)."""
    def norm(name: str) -> str:
        name = " ".join(str(name or "").replace("_", " ").split())
        return name[:1].upper() + name[1:]

    return bool(norm(a)) and norm(a) == norm(b)


def valid_ticket(ticket: str) -> bool:
    """A VRT ticket number as VRT gives them (e.g. 2026120210001234): digits only."""
    return bool(re.fullmatch(r"\d{6,20}", str(ticket or "").strip()))


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


def _source(info: FilePageInfo) -> str:
    """Where a photo the uploader did not take comes from: its photographer, at the event."""
    name = info.credit.strip() or info.wiki_user.strip()
    ja = f"{name}が撮影" + (f"（{info.event_name}）" if info.event_name else "") + "。"
    en = f"Taken by {name}" + (f" during {info.event_name}" if info.event_name else "") + "."
    return f"{_lang_template('ja', escape(ja))} {_lang_template('en', escape(en))}"


def _licence(info: FilePageInfo):
    if info.own_work:
        return template("self", [(None, licences.BY_KEY[info.licence].commons_template)])
    name = info.credit.strip() or info.wiki_user.strip()
    # The same template, with the author named in it ({{cc-by-sa-4.0|1=NAME}}).
    name_template = licences.BY_KEY[info.licence].commons_template
    if info.licence == "cc0":
        return template(name_template)
    node = Template(name_template)
    node.add("1", escape(name), showkey=True)  # 1= keeps a '=' in the name from making a named parameter
    return node


def _permission(info: FilePageInfo):
    if info.vrt_ticket:
        return template(PERMISSION_TICKET, [("id", info.vrt_ticket.strip())])
    return template(PERMISSION_PENDING)


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
    if info.own_work and not (valid_username(info.wiki_user) and same_user(info.uploader, info.wiki_user)):
        # {{self}} and {{own}} say "I, the uploader, made this": false for anyone else's photo.
        raise FilePageError(f"{{{{self}}}}/{{{{own}}}} refused: the uploader {info.uploader!r} is not the "
                            f"photographer {info.wiki_user or info.credit!r}", key="publish.error.not_own_work",
                            uploader=info.uploader or "-", author=info.wiki_user or info.credit or "-")
    if not info.own_work and not (info.credit.strip() or info.wiki_user.strip()):
        raise FilePageError("the photographer is not known", key="publish.error.no_author")
    if info.vrt_ticket and not valid_ticket(info.vrt_ticket):
        raise FilePageError(f"not a VRT ticket number: {info.vrt_ticket!r}", key="publish.error.vrt_ticket",
                            ticket=info.vrt_ticket)
    ja, en = _descriptions(info)
    description = f"{_lang_template('ja', ja)} {_lang_template('en', en)}"
    code = mwparserfromhell.parse("")
    nodes = code.nodes
    nodes.append(Heading(" {{int:filedesc}} ", 2))
    nodes.append(Text("\n"))
    information = template("Information")
    for key, value in (("description", description), ("date", _date(info)), ("source", "{{own}}" if info.own_work else _source(info)),
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
    nodes.append(_licence(info))
    if not info.own_work:
        nodes.append(Text("\n"))
        nodes.append(_permission(info))
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
    if not info.own_work and OWN_WORK_TEMPLATES & set(names):
        raise FilePageError("{{self}}/{{own}} on a photo the uploader did not take",
                            key="publish.error.not_own_work", uploader=info.uploader or "-",
                            author=info.wiki_user or info.credit or "-")
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


def with_ticket(wikitext: str, ticket: str) -> str:
    """``wikitext`` of a file page with ``{{Permission pending}}`` replaced by
    ``{{PermissionTicket|id=ticket}}`` (the text unchanged when it already says so).
    Raises :class:`FilePageError` when the page has neither (not a page wikitown can mark)."""
    if not valid_ticket(ticket):
        raise FilePageError(f"not a VRT ticket number: {ticket!r}", key="publish.error.vrt_ticket", ticket=ticket)
    code = mwparserfromhell.parse(wikitext)
    found = False
    for node in code.filter_templates(recursive=True):
        name = _tname(node).replace("_", " ")
        if name == PERMISSION_PENDING:
            code.replace(node, template(PERMISSION_TICKET, [("id", ticket.strip())]))
            found = True
        elif name == PERMISSION_TICKET:
            if node.has("id") and str(node.get("id").value).strip() == ticket.strip():
                found = True
            elif node.has("id"):
                node.get("id").value = ticket.strip()
                found = True
    if not found:
        raise FilePageError("the file page has no {{Permission pending}} to replace",
                            key="publish.error.no_pending_tag")
    return str(code)
