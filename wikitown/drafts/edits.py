"""Improving an article that already exists, instead of writing a duplicate.

For a site whose article status is ``exists`` (or whose organizer chose to edit an article),
the event's contribution is an *edit* of that article: its current wikitext is fetched
through the read-only API client, the additions are inserted as parsed nodes, and the result
is a draft like any other (revisions, checks, review) whose target is the article itself.

The additions:

- the event's photos whose Commons names are known and that the article does not show yet:
  appended to the article's ``<gallery>`` if it has one, else a new ギャラリー / Gallery section
  placed before the closing sections (脚注, 参考文献, 関連項目, 外部リンク ...);
- the designation from the municipal dataset, with a ``{{Cite web}}`` footnote to that
  dataset, when the article does not mention it: a line in its 文化財 section, or a new one;
- ``<references />`` under 脚注 when a footnote was added and the article has no reference list.

The article's revision id is kept with the draft (table ``draft_bases``): publishing sends the
edit with that base revision and refuses it when the article changed since, so nobody's edit is
overwritten. For an ``ambiguous`` site the organizer picks the title first (:func:`choose_title`):
a new article under a title of their choosing, or an edit of an existing article.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass

import mwparserfromhell
import sqlalchemy as sa
from mwparserfromhell.nodes import Heading, Template, Wikilink

from wikitown.core.errors import InputError, ServiceUnavailable
from wikitown.core.normalize import nfkc
from wikitown.core.wikitext import escape
from wikitown.drafts import citations
from wikitown.drafts.citations import Source
from wikitown.store.db import Store, draft_bases, now, title_choices
from wikitown.store.sites import table_rows

MODES = ("new", "edit")
END_SECTIONS = {
    "ja": ("脚注", "注釈", "出典", "参考文献", "関連項目", "外部リンク", "関連文献", "参考資料"),
    "en": ("Notes", "References", "Footnotes", "Citations", "Sources", "Bibliography", "Further reading",
           "See also", "External links"),
}
GALLERY = {"ja": "ギャラリー", "en": "Gallery"}
PROPERTIES = {"ja": "文化財", "en": "Cultural properties"}
NOTES = {"ja": "脚注", "en": "References"}
REFLIST_TEMPLATES = {"reflist", "notelist", "references", "脚注ヘルプ"}
CATEGORY_PREFIXES = ("category:", "カテゴリ:")
EXCERPT_KEY = 15  # characters of a finding's excerpt that identify it (what follows may change)
FILE_PREFIX_RE = re.compile(r"^\s*(file|image|ファイル|画像)\s*:\s*", re.IGNORECASE)


@dataclass
class Article:
    title: str
    revid: int
    wikitext: str
    timestamp: str = ""


@dataclass
class Target:
    """What a site's draft is: a new article (``new``) or an edit of ``title`` (``edit``)."""

    mode: str
    title: str
    chosen_by: str = ""  # set when the organizer chose it


@dataclass
class Base:
    draft_id: int
    title: str
    revid: int
    wikitext: str
    fetched_at: str = ""


# ---------------------------------------------------------------------------------------------
# which page a site's draft is for


def choose_title(store: Store, site_id: str, title: str, mode: str, *, by: str) -> Target:
    """Store the organizer's choice for a site: write a new article under ``title`` or edit the
    article ``title``. Refused once the site has a draft (that draft is about its own page)."""
    from wikitown.drafts import review
    from wikitown.drafts.builder import FORBIDDEN_TITLE_RE

    title = nfkc(title).strip()
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}", key="drafts.error.title_mode", mode=mode)
    if not title or FORBIDDEN_TITLE_RE.search(title) or len(title.encode("utf-8")) > 255:
        raise InputError(f"not a usable title: {title!r}", key="drafts.error.bad_title", title=title)
    if review.draft_for_site(store, site_id):
        raise InputError("the site has a draft already", key="drafts.error.draft_exists", site=site_id)
    with store.write() as c:
        if not table_rows(c, [site_id]):
            raise InputError(f"no site {site_id!r}", key="drafts.error.no_site", site=site_id)
        c.execute(title_choices.delete().where(title_choices.c.site_id == site_id))
        c.execute(title_choices.insert().values(site_id=site_id, title=title, mode=mode, chosen_by=by or "",
                                                chosen_at=now()))
    return Target(mode, title, by or "")


def title_choice(store: Store, site_id: str) -> Target | None:
    with store.read() as c:
        row = c.execute(sa.select(title_choices).where(title_choices.c.site_id == site_id)).first()
    return Target(row.mode, row.title, row.chosen_by or "") if row else None


def target_for(store: Store, site_id: str) -> Target | None:
    """The page the site's draft is for. ``None``: the site is ``ambiguous`` and nobody has chosen
    yet (no draft may be made). Otherwise a choice wins; an ``exists`` site is an edit of its
    article; anything else a new article (its title decided by the builder)."""
    choice = title_choice(store, site_id)
    if choice:
        return choice
    with store.read() as c:
        rows = table_rows(c, [site_id])
    if not rows:
        return Target("new", "")
    row = rows[0]
    if row["article_status"] == "exists" and row["article_title"]:
        return Target("edit", row["article_title"])
    if row["article_status"] == "ambiguous":
        return None
    return Target("new", "")


def ambiguous_title(store: Store, site_id: str) -> str:
    """The disambiguation page's title for an ``ambiguous`` site (for the organizer's choice)."""
    with store.read() as c:
        rows = table_rows(c, [site_id])
    return (rows[0]["article_title"] or "") if rows else ""


# ---------------------------------------------------------------------------------------------
# the article as it is


def fetch_article(api, title: str) -> Article:
    """The article's current wikitext and revision id, through the read-only API client
    (redirects followed: the edit goes to the page that holds the text)."""
    if api is None:
        raise ServiceUnavailable("wiki_api", "", "no wiki configured")
    data = api.call({"action": "query", "prop": "revisions", "titles": title, "redirects": 1,
                     "rvprop": "ids|timestamp|content", "rvslots": "main"})
    pages = (data.get("query") or {}).get("pages") or []
    page = pages[0] if pages else {"missing": True}
    if page.get("missing") or page.get("invalid") or not page.get("revisions"):
        raise InputError(f"no article {title!r} on the wiki", key="drafts.error.article_missing", title=title)
    rev = page["revisions"][0]
    slot = (rev.get("slots") or {}).get("main") or rev
    return Article(page["title"], int(rev["revid"]), slot.get("content", ""), rev.get("timestamp", ""))


def save_base(conn: sa.Connection, draft_id: int, article: Article) -> None:
    conn.execute(draft_bases.delete().where(draft_bases.c.draft_id == draft_id))
    conn.execute(draft_bases.insert().values(draft_id=draft_id, title=article.title, revid=article.revid,
                                             wikitext=article.wikitext, fetched_at=now()))


def base_of(store: Store, draft_id: int) -> Base | None:
    """The article revision an edit draft was made against; ``None`` for a new article's draft."""
    with store.read() as c:
        row = c.execute(sa.select(draft_bases).where(draft_bases.c.draft_id == draft_id)).first()
    return Base(row.draft_id, row.title, row.revid, row.wikitext, row.fetched_at or "") if row else None


def bases(store: Store) -> dict[int, Base]:
    with store.read() as c:
        return {r.draft_id: Base(r.draft_id, r.title, r.revid, r.wikitext, r.fetched_at or "")
                for r in c.execute(sa.select(draft_bases))}


# ---------------------------------------------------------------------------------------------
# the additions


def _heading_title(node: Heading) -> str:
    return nfkc(str(node.title)).strip()


def _file_names(code) -> set[str]:
    """Normalised names of the files an article already shows (links, galleries, infobox values)."""
    names = set()
    text = str(code)
    for m in re.finditer(r"(?:^|[\[|=\n])\s*(?:file|image|ファイル|画像)\s*:\s*([^|\]\n]+)", text, re.IGNORECASE):
        names.add(_norm_file(m.group(1)))
    for m in re.finditer(r"=\s*([^|=\n{}\[\]]+\.(?:jpe?g|png|gif|tiff?|webp|svg))\s*(?=[|}\n])", text,
                         re.IGNORECASE):
        names.add(_norm_file(m.group(1)))
    return names


def _norm_file(name: str) -> str:
    name = FILE_PREFIX_RE.sub("", nfkc(name)).replace("_", " ").strip()
    return name[:1].upper() + name[1:]


def _insert_point(code, lang: str):
    """The node before which a new section goes: the first closing section's heading, else the
    first of the trailing categories / DEFAULTSORT / navigation templates, else None (the end)."""
    ends = {nfkc(s).casefold() for s in END_SECTIONS.get(lang, ()) + END_SECTIONS["en"]}
    for node in code.nodes:
        if isinstance(node, Heading) and node.level == 2 and _heading_title(node).casefold() in ends:
            return node
    # the tail: categories and sort keys at the end of the page, with only whitespace between
    tail_start = None
    for node in reversed(code.nodes):
        if isinstance(node, Wikilink) and str(node.title).strip().casefold().startswith(CATEGORY_PREFIXES):
            tail_start = node
        elif isinstance(node, Template) and str(node.name).strip().upper().startswith("DEFAULTSORT"):
            tail_start = node
        elif str(node).strip() == "":
            continue
        else:
            break
    return tail_start


def _insert_section(code, lang: str, text: str) -> None:
    at = _insert_point(code, lang)
    if at is None:
        current = str(code)
        newlines = len(current) - len(current.rstrip("\n"))
        code.append("\n" * max(0, 2 - newlines) + text + "\n")
    else:
        code.insert_before(at, text + "\n\n")


def _section(code, title: str):
    for section in code.get_sections(levels=[2]):
        head = section.filter_headings(recursive=False)
        if head and _heading_title(head[0]) == title:
            return section
    return None


def _has_reference_list(code) -> bool:
    if any(str(t.tag).strip().lower() == "references" for t in code.filter_tags()):
        return True
    return any(str(t.name).strip().lower() in REFLIST_TEMPLATES for t in code.filter_templates())


def propose_edit(article_text: str, *, site_name: str, designation: str = "", category: str = "",
                 photos: list[str] | None = None, dataset: Source | None = None, lang: str = "ja") -> str:
    """The article's text with the event's additions inserted (see the module doc).

    ``photos``: Commons file names (without ``File:``) known for the site. Values from people or
    files are escaped; the article's own text is left exactly as it was around the additions."""
    from wikitown.drafts.builder import valid_file_name

    code = mwparserfromhell.parse(article_text)
    shown = _file_names(code)
    new_photos = [p for p in (photos or []) if valid_file_name(p) and _norm_file(p) not in shown]
    new_photos = list(dict.fromkeys(new_photos))
    added_ref = False

    if new_photos:
        lines = "".join(f"File:{p}|{escape(nfkc(site_name))}\n" for p in new_photos)
        gallery = next((t for t in code.filter_tags() if str(t.tag).strip().lower() == "gallery"), None)
        if gallery is not None and gallery.contents is not None:
            contents = str(gallery.contents)
            gallery.contents = contents + ("" if contents.endswith("\n") else "\n") + lines
        else:
            _insert_section(code, lang, f"== {GALLERY[lang]} ==\n<gallery>\n{lines}</gallery>")

    designation = nfkc(designation)
    if designation and dataset is not None and designation not in nfkc(article_text):
        item = " ".join(p for p in (escape(designation), escape(nfkc(category))) if p)
        cited = str(citations.ref(dataset, lang, name=citations.ref_name(dataset)))
        line = f"* {item}{cited}"
        section = _section(code, PROPERTIES[lang])
        if section is not None:  # the line joins the section's list, before the blank lines that end it
            body = str(section)
            code.replace(section, body.rstrip("\n") + "\n" + line + "\n" * max(1, len(body) - len(body.rstrip("\n"))))
        else:
            _insert_section(code, lang, f"== {PROPERTIES[lang]} ==\n{line}")
        added_ref = True

    if added_ref and not _has_reference_list(code):
        _insert_section(code, lang, f"== {NOTES[lang]} ==\n<references />")
    text = str(code)
    return text if text.endswith("\n") or not article_text.endswith("\n") else text + "\n"


def new_findings(findings: list, base_findings: list) -> list:
    """The findings an edit brings: those of the whole article minus those it already had
    (matched by problem, section and the start of the excerpt, so lines moving down, or what
    follows a paragraph changing, do not make an old problem new)."""
    def key_of(f):
        return f.code, f.section, f.excerpt[:EXCERPT_KEY]

    had = Counter(key_of(f) for f in base_findings)
    out = []
    for f in findings:
        key = key_of(f)
        if had[key]:
            had[key] -= 1
        else:
            out.append(f)
    return out


# ---------------------------------------------------------------------------------------------
# the article changed meanwhile: carry the edit over to its new revision


def merge3(base: str, ours: str, theirs: str) -> str | None:
    """``theirs`` with the changes ``ours`` made to ``base``, line by line; ``None`` when a change
    touches lines that ``theirs`` changed too (a person must decide)."""
    def lines(text: str) -> list[str]:
        return (text if text.endswith("\n") else text + "\n").splitlines(keepends=True) if text else []

    b, o, t = lines(base), lines(ours), lines(theirs)
    to_theirs: dict[int, int] = {}
    for tag, i1, i2, j1, _j2 in difflib.SequenceMatcher(None, b, t, autojunk=False).get_opcodes():
        if tag == "equal":
            to_theirs.update({i1 + k: j1 + k for k in range(i2 - i1)})
    changes: list[tuple[int, int, list[str]]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, b, o, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i1 < i2:  # lines of the base replaced or removed: they must be untouched in theirs
            where = [to_theirs.get(k) for k in range(i1, i2)]
            if None in where or where != list(range(where[0], where[0] + len(where))):
                return None
            changes.append((where[0], where[-1] + 1, o[j1:j2]))
        elif i1 in to_theirs:
            changes.append((to_theirs[i1], to_theirs[i1], o[j1:j2]))
        elif i1 - 1 in to_theirs:
            changes.append((to_theirs[i1 - 1] + 1, to_theirs[i1 - 1] + 1, o[j1:j2]))
        elif i1 == len(b):
            changes.append((len(t), len(t), o[j1:j2]))
        else:
            return None
    for start, end, new in sorted(changes, key=lambda c: (c[0], c[1]), reverse=True):
        t[start:end] = new
    merged = "".join(t)
    return merged if theirs.endswith("\n") or ours.endswith("\n") else merged.rstrip("\n")


def refresh_base(event, draft_id: int, *, author: str, role: str, api=None) -> Base:
    """Bring an edit draft onto the article's current revision: the draft's changes are carried
    over (:func:`merge3`) and saved as a new revision (an approved draft goes back to review:
    the text changed), and the new base is kept. Refused when the changes collide
    (``drafts.error.rebase_conflict``) or the draft is not an edit."""
    from wikitown.drafts import review
    from wikitown.drafts.builder import wiki_api

    base = base_of(event.store, draft_id)
    if base is None:
        raise InputError("not an edit of an article", key="drafts.error.not_an_edit", id=draft_id)
    article = fetch_article(api if api is not None else wiki_api(event), base.title)
    if article.revid == base.revid:
        return base
    current = review.current_wikitext(event.store, draft_id)
    merged = merge3(base.wikitext, current, article.wikitext)
    if merged is None:
        raise InputError("the article changed where the draft does", key="drafts.error.rebase_conflict",
                         title=article.title, base=base.revid, latest=article.revid)
    review.save_revision(event.store, draft_id, merged, author=review.GENERATED_BY, role=role,
                         summary=f"wikitown: carried over to {article.title} r{article.revid} (asked by {author})")
    with event.store.write() as c:
        save_base(c, draft_id, article)
    return base_of(event.store, draft_id)
