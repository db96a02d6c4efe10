"""Article drafts built from what the event knows about a site.

A draft follows the target wiki's conventions: a title (with a disambiguating
suffix such as 「常楽寺 (焼津市)」 when the bare title is taken on the wiki), a lead
sentence (name, reading, place, designation), an infobox chosen by the kind of
site, ``{{Coord}}``, the usual sections, the event's photos whose Commons names
are known, categories and ``{{DEFAULTSORT:}}`` from the reading.

Everything that came from a person or a file (names, addresses, designations)
is escaped. Participants' notes are NOT put in the draft: they are returned as
hints for the writer (:func:`hints_for_site`). What a writer must still do is
marked with comments that the checks report until they are dealt with:
``<!-- wikitown:placeholder ... -->`` (a section to write) and
``<!-- wikitown:check-reading -->`` (a reading guessed by pykakasi) and
``<!-- wikitown:check-kind ... -->`` (a kind guessed from the name only: no temple or shrine
infobox or category is proposed for it).

Photos: a photo appears in the draft only when its Commons file name is known
(the site's existing image, a name in the ``commons_names`` kv map
{sha1: "File name.jpg"}, or a done upload in ``publish_journal``); the event's
other photos are mentioned in a ``<!-- wikitown:photos ... -->`` comment.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache

import mwparserfromhell
import sqlalchemy as sa
from mwparserfromhell.nodes import Comment, Heading

from wikitown.drafts import citations
from wikitown.drafts.citations import Source, text_node
from wikitown.drafts.sortkey import sort_key
from wikitown.core.errors import ServiceError, ServiceUnavailable
from wikitown.core.normalize import kata_to_hira, nfkc
from wikitown.core.places import PREFECTURES, parse_address
from wikitown.core.site import Site
from wikitown.core.wikitext import escape, template
from wikitown.sources.designations import kind_from_category
from wikitown.store.db import Store, finds, media, participants, publish_journal

PLACEHOLDER = "wikitown:placeholder"
CHECK_READING = "wikitown:check-reading"
CHECK_KIND = "wikitown:check-kind"
PHOTOS_MARK = "wikitown:photos"
FORBIDDEN_TITLE_RE = re.compile(r"[#<>\[\]|{}\x00-\x1f\x7f]")
_KANJI_RE = re.compile(r"[\u4e00-\u9fff々]")

TEMPLE_SUFFIXES = ("寺", "院", "庵", "坊")
SHRINE_SUFFIXES = ("神社", "大社", "宮", "社", "稲荷", "八幡")
BUILDING_WORDS = ("建造物", "建築", "建物", "門", "堂", "塔", "橋", "家住宅", "伝統的建造物群")

SECTIONS = {
    "ja": {"history": "歴史", "properties": "文化財", "access": "アクセス", "gallery": "ギャラリー",
           "notes": "脚注", "references": "参考文献", "links": "外部リンク"},
    "en": {"history": "History", "properties": "Cultural properties", "access": "Access", "gallery": "Gallery",
           "notes": "References", "references": "Further reading", "links": "External links"},
}
PLACEHOLDER_TEXT = {
    "ja": {"history": "由緒・沿革を出典とともに書いてください", "properties": "指定の内容を出典とともに確認してください"},
    "en": {"history": "Write the history, citing sources", "properties": "Confirm the designation, citing a source"},
}


@dataclass
class Photo:
    file_name: str  # without the File: prefix
    caption: str = ""


@dataclass
class TitleCheck:
    title: str
    status: str  # free, disambiguated, taken, unchecked
    bare: str = ""
    reason: str = ""  # why unchecked (no network ...)


@dataclass
class BuiltDraft:
    site_id: str
    title: str
    wikitext: str
    title_status: str = "unchecked"
    flags: list[str] = field(default_factory=list)  # reading_guessed, title_guessed, no_sources, no_coords


@dataclass
class Hint:
    """Something a participant (or the open data) said about a site: shown beside the draft, as text."""

    source: str  # "find" or "opendata"
    author: str
    text: str
    fields: dict = field(default_factory=dict)
    when: str = ""
    photos: int = 0


# ---------------------------------------------------------------------------------------------
# facts about a site


def _strip_brackets(name: str) -> str:
    return re.sub(r"[(（][^)）]*[)）]$", "", name).strip()


def detect_kind(site: Site) -> str:
    """temple, shrine or other: the stored kind, else the category, else the name's ending."""
    if site.kind in ("temple", "shrine", "other"):
        return site.kind
    kind = kind_from_category(nfkc(site.category))
    if kind:
        return kind
    name = _strip_brackets(nfkc(site.name))
    if name.endswith(SHRINE_SUFFIXES[:2]) or name.endswith(SHRINE_SUFFIXES[2:]):
        return "shrine"
    if name.endswith(TEMPLE_SUFFIXES):
        return "temple"
    return "other"


def kind_guessed(site: Site) -> bool:
    """True when the site's kind comes from its name alone (no source said it)."""
    if site.kind in ("temple", "shrine", "other"):
        return site.kind_origin == "name"
    return not kind_from_category(nfkc(site.category))


def is_building(site: Site, *, by_name: bool = True) -> bool:
    text = nfkc(site.category) + (" " + _strip_brackets(nfkc(site.name)) if by_name else "")
    return any(w in text for w in BUILDING_WORDS)


@lru_cache(maxsize=1)
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


def kakasi_reading(text: str) -> str:
    """pykakasi's hiragana for ``text`` (word by word from its dictionary, digits and kana kept)."""
    parts = _kakasi().convert(text)
    out = []
    for i, part in enumerate(parts):
        hira = part["hira"]
        # A temple name pykakasi does not know is split 領玄|寺 and read てら: such names read じ
        # (the names it knows, 清水寺 きよみずでら, come whole and are left alone).
        after_kanji = i and _KANJI_RE.match(parts[i - 1]["orig"][-1:])
        if after_kanji and part["orig"].startswith("寺") and hira.startswith("てら"):
            hira = "じ" + hira[2:]
        out.append(hira)
    return "".join(out)


@lru_cache(maxsize=4096)
def guess_reading(name: str, reader=kakasi_reading) -> str:
    """A hiragana reading guessed from the name's characters: often wrong for proper names, so a
    draft always marks it for checking. ``reader`` turns text into hiragana: pykakasi, chosen by
    measuring it against the readings real lists give (``bench/bench_readings.py``,
    docs/dependencies.md)."""
    text = _strip_brackets(nfkc(name))
    reading = reader(text)
    if text.endswith("寺") and reading.endswith("てら"):
        reading = reading[:-2] + "じ"  # temple names read 〜じ far more often than 〜でら
    return reading


@lru_cache(maxsize=4096)
def romanise(text: str) -> str:
    parts = _kakasi().convert(nfkc(text))
    words = [p["hepburn"] for p in parts if p["hepburn"].strip()]
    return " ".join(w[:1].upper() + w[1:] for w in " ".join(words).split()) if words else ""


def reading_for(site: Site) -> tuple[str, bool]:
    """(hiragana reading, guessed). The open data's reading (often katakana) wins."""
    given = nfkc(site.name_kana)
    if given and re.fullmatch(r"[\u3040-\u30ffー・\s()（）0-9]+", given):  # kana (and digits: 3号線)
        return kata_to_hira(given), False
    return guess_reading(site.name), True


def prefecture_of(site: Site, municipality_code: str = "") -> tuple[str, str]:
    """(Japanese, English) prefecture name from the address, else the event's municipality code."""
    prefecture = parse_address(site.address).prefecture  # 台東区 谷中 is in 東京都 too
    for ja, en in PREFECTURES:
        if prefecture == ja:
            return ja, en
    code = re.sub(r"\D", "", municipality_code or "")
    if len(code) >= 2 and 1 <= int(code[:2]) <= 47:
        return PREFECTURES[int(code[:2]) - 1]
    return "", ""


def place_of(site: Site, prefecture: str, municipality: str) -> str:
    address = nfkc(site.address)
    municipality = nfkc(site.municipality) or municipality
    if address:
        if prefecture and not address.startswith(prefecture):
            address = prefecture + address
        return address
    return prefecture + municipality


# ---------------------------------------------------------------------------------------------
# titles


def candidate_titles(site: Site, lang: str, municipality: str = "") -> tuple[str, str, bool]:
    """(bare title, disambiguated title, guessed?) following the wiki's conventions:
    ``常楽寺`` / ``常楽寺 (焼津市)``; on enwiki the English name (romanised when
    none is known) / ``Name (Yaizu)``."""
    municipality = nfkc(site.municipality) or nfkc(municipality)
    guessed = False
    if lang == "ja":
        bare = nfkc(site.name)
        place = municipality or nfkc(site.address)[:10]
    else:
        bare = nfkc(site.name_en)
        if not bare:
            bare, guessed = romanise(_strip_brackets(site.name)), True
            # enwiki names temples Xxx-ji and shrines Xxx Shrine
            bare = re.sub(r" (Tera|Dera|Ji)$", "-ji", bare)
            bare = re.sub(r" Jinja$", " Shrine", bare)
        place = romanise(re.sub(r"[市町村区]$", "", municipality)) if municipality else ""
    bare = FORBIDDEN_TITLE_RE.sub("", bare).strip()
    suffixed = f"{bare} ({place})" if place else f"{bare} (2)"
    return bare, suffixed, guessed


def check_titles(api, candidates: dict[str, tuple[str, str]]) -> dict[str, TitleCheck]:
    """Decide each site's title against the wiki, in batches of 50 titles a request.

    ``candidates``: {site_id: (bare, suffixed)}. Offline, every title is kept
    bare with status ``unchecked`` and the reason."""
    titles = [t for pair in candidates.values() for t in pair]
    try:
        if api is None:
            raise ServiceUnavailable("wiki_api", "", "no wiki configured")
        pages = api.pages_by_titles(titles)
    except (ServiceUnavailable, ServiceError) as exc:
        return {sid: TitleCheck(bare, "unchecked", bare, getattr(exc, "reason", str(exc)))
                for sid, (bare, _suffixed) in candidates.items()}

    def taken(title: str) -> bool:
        page = pages.get(title, {})
        return not page.get("missing") and not page.get("invalid")

    out = {}
    for sid, (bare, suffixed) in candidates.items():
        if not taken(bare):
            out[sid] = TitleCheck(bare, "free", bare)
        elif not taken(suffixed):
            out[sid] = TitleCheck(suffixed, "disambiguated", bare)
        else:
            out[sid] = TitleCheck(suffixed, "taken", bare)
    return out


# ---------------------------------------------------------------------------------------------
# photos and hints


def known_photos(store: Store) -> dict[str, list[Photo]]:
    """{site_id: photos with a known Commons name}, plus the count of other photos under key
    ``"<site_id>#unnamed"`` (as a list of empty Photos)."""
    names = store.get_kv("commons_names", {}) or {}
    with store.read() as c:
        rows = c.execute(sa.select(media.c.sha1, media.c.publish_sha1, finds.c.site_id)
                         .join(finds, finds.c.id == media.c.find_id)
                         .where(finds.c.site_id.is_not(None))).all()
        uploads = c.execute(sa.select(publish_journal.c.target, publish_journal.c.payload)
                            .where(publish_journal.c.kind.in_(("upload", "link")) &
                                   (publish_journal.c.status == "done"))).all()
    for target, payload in uploads:
        payload = payload or {}
        for key in ("sha1", "media_sha1", "publish_sha1"):
            if payload.get(key):
                names.setdefault(payload[key], target)
    out: dict[str, list[Photo]] = {}
    for sha1, publish_sha1, site_id in rows:
        name = names.get(sha1) or names.get(publish_sha1 or "")
        if name:
            out.setdefault(site_id, []).append(Photo(re.sub(r"^(File|ファイル|画像):", "", name)))
        else:
            out.setdefault(f"{site_id}#unnamed", []).append(Photo(""))
    return out


def hints_for_site(store: Store, site_id: str) -> list[Hint]:
    """Participants' notes and the open data's description of a site, newest first.
    Plain text: show with st.text, never as Markdown or wikitext."""
    found = load_sites(store, [site_id])
    site = found[0] if found else None
    with store.read() as c:
        rows = c.execute(sa.select(finds.c.id, finds.c.note, finds.c.fields, finds.c.created_at,
                                   participants.c.display_name)
                         .join(participants, participants.c.id == finds.c.participant_id, isouter=True)
                         .where(finds.c.site_id == site_id).order_by(finds.c.created_at.desc())).all()
        counts = dict(c.execute(sa.select(media.c.find_id, sa.func.count()).group_by(media.c.find_id)).all())
    hints = [Hint("find", r.display_name or "", r.note or "", r.fields or {}, r.created_at or "",
                  counts.get(r.id, 0)) for r in rows if (r.note or r.fields or counts.get(r.id))]
    if site and site.description:
        hints.append(Hint("opendata", "", site.description))
    return hints


# ---------------------------------------------------------------------------------------------
# the wikitext


def valid_file_name(name: str) -> bool:
    """A Commons file name that can go into wikitext as it is (no markup characters)."""
    return bool(name) and not FORBIDDEN_TITLE_RE.search(name) and "'" not in name and "=" not in name \
        and "." in name


def _heading(title: str) -> str:
    return str(Heading(" " + escape(title) + " ", 2))


def _comment(text: str) -> str:
    return str(Comment(" " + text.replace("--", "- -") + " "))


def _coord(site: Site) -> str:
    return str(template("Coord", [(None, text_node(f"{site.lat:.6f}")), (None, text_node(f"{site.lon:.6f}")),
                                  (None, text_node("region:JP")), ("display", text_node("title"))]))


def _designation_phrase(site: Site, lang: str, municipality: str = "", prefecture: str = "") -> str:
    designation, category = nfkc(site.designation), nfkc(site.category)
    if not designation:
        return ""
    if lang == "ja":
        if any(w in designation for w in ("文化財", "史跡", "名勝", "天然記念物", "保存地区")):
            return f"{designation}。"
        level = {"市": municipality if municipality.endswith("市") else "市", "町": municipality,
                 "村": municipality, "県": prefecture, "都": prefecture, "府": prefecture,
                 "道": prefecture}.get(designation[:1], "") or designation[:1]
        phrase = (level + designation[1:] if designation.endswith(("指定", "登録", "選定")) else designation)
        return f"{phrase}文化財" + (f"（{category}）" if category else "") + "である。"
    return f" It is designated as a cultural property ({designation}" + (f", {category}" if category else "") + ")."


def build_draft(site: Site, lang: str = "ja", *, sources: list[tuple[Source, str]] | None = None,
                photos: list[Photo] | None = None, unnamed_photos: int = 0,
                title: TitleCheck | None = None, municipality: str = "", municipality_code: str = "") -> BuiltDraft:
    """A new article draft for ``site`` (wikitext), from the site's facts and linked sources."""
    sources = sources or []
    photos = photos or []
    flags: list[str] = []
    kind = detect_kind(site)
    kind_is_guess = kind_guessed(site)
    guessed_kind = kind
    if kind_is_guess:  # a guess from the name never picks an infobox or a category (issue 12.6)
        kind = "other"
        flags.append("kind_guessed")
    reading, guessed = reading_for(site)
    if guessed:
        flags.append("reading_guessed")
    bare, suffixed, title_guessed = candidate_titles(site, lang, municipality)
    if title_guessed:
        flags.append("title_guessed")
    title = title or TitleCheck(bare, "unchecked", bare, "not checked")
    pref_ja, pref_en = prefecture_of(site, municipality_code)
    place = place_of(site, pref_ja, municipality)
    has_coord = site.lat is not None and site.lon is not None
    if not has_coord:
        flags.append("no_coords")
    if not sources:
        flags.append("no_sources")
    sec = SECTIONS[lang]
    name = escape(site.name.strip())  # the name as the source words it (titles use the normalised form)

    # footnotes: the first use of a source writes it out, later uses refer to it by name
    used: set[str] = set()

    def cite(src: Source, page: str = "") -> str:
        rname = citations.ref_name(src)
        if rname in used:
            return str(citations.ref_again(rname))
        used.add(rname)
        return str(citations.ref(src, lang, page=page, name=rname))

    # The lead's facts (name, place, designation) come from the dataset the site came from, so the
    # lead cites that dataset (the one registered from the site's provenance first), never a book.
    datasets = [s for s in sources if s[0].kind == "dataset"]
    dataset = next((s for s in datasets if (s[0].data or {}).get("file")), datasets[0] if datasets else None)
    lead_ref = cite(*dataset) if dataset else ""
    out: list[str] = []

    # infobox
    photos = [p for p in photos if valid_file_name(p.file_name)]
    image = photos[0].file_name if photos else re.sub(r"^(File|ファイル|画像):", "", nfkc(site.image))
    image = image if valid_file_name(image) else ""
    infobox = _infobox(site, lang, kind, name, escape(place), image, building_by_name=not kind_is_guess)
    if infobox:
        out.append(infobox)
    if kind_is_guess and guessed_kind in ("temple", "shrine"):
        word = {"temple": ("寺院", "a temple"), "shrine": ("神社", "a shrine")}[guessed_kind]
        out.append(_comment(
            f"{CHECK_KIND} 名称からは{word[0]}と推測されますが、出典の分類にはありません。確かめてから"
            f"Infobox とカテゴリを加えてください" if lang == "ja" else
            f"{CHECK_KIND} The name suggests {word[1]}, but no source says so. Check it, then add the "
            f"infobox and categories"))

    # lead
    if lang == "ja":
        kind_word = {"temple": "寺院", "shrine": "神社"}.get(kind) or (escape(nfkc(site.category)) or "文化財")
        reading_text = escape(reading) + (_comment(CHECK_READING) if guessed else "")
        lead = f"'''{name}'''（{reading_text}）は、{escape(place)}にある{kind_word}。"
    else:
        kind_word = {"temple": "a Buddhist temple", "shrine": "a Shinto shrine"}.get(kind) or \
            "a cultural property"
        reading_text = escape(nfkc(site.name)) + ", " + escape(reading)
        if guessed:
            reading_text += _comment(CHECK_READING)
        town = re.sub(r"[市町村区]$", "", nfkc(site.municipality) or nfkc(municipality))
        where = escape(", ".join(p for p in (romanise(town), pref_en and
                                              f"{pref_en} Prefecture", "Japan") if p))
        lead = f"'''{escape(bare)}''' ({reading_text}) is {kind_word} in {where}."  # no (suffix) in prose
    lead += escape(_designation_phrase(site, lang, nfkc(site.municipality) or nfkc(municipality), pref_ja))
    lead += lead_ref
    out.append(lead)
    if has_coord:
        out.append(_coord(site))

    # sections
    out.append(_heading(sec["history"]) + "\n" + _comment(f"{PLACEHOLDER} {PLACEHOLDER_TEXT[lang]['history']}"))
    if site.designation:
        item = " ".join(p for p in (escape(nfkc(site.designation)), escape(nfkc(site.category))) if p)
        out.append(_heading(sec["properties"]) + "\n* " + item + (cite(*dataset) if dataset else
                   _comment(f"{PLACEHOLDER} {PLACEHOLDER_TEXT[lang]['properties']}")))
    if site.address:
        label = "所在地：" if lang == "ja" else "Address: "
        out.append(_heading(sec["access"]) + "\n* " + label + escape(place))
    gallery = photos[1:] if infobox else photos  # with no infobox to hold the first photo, the gallery does
    if gallery and (len(photos) > 1 or not infobox):
        lines = "\n".join(f"File:{p.file_name}|{escape(p.caption or nfkc(site.name))}" for p in gallery)
        out.append(_heading(sec["gallery"]) + "\n<gallery>\n" + lines + "\n</gallery>")
    if unnamed_photos:
        note = (f"{PHOTOS_MARK} このイベントの写真 {unnamed_photos} 枚は、コモンズへのアップロード後に追加できます"
                if lang == "ja" else
                f"{PHOTOS_MARK} {unnamed_photos} photos from this event can be added once uploaded to Commons")
        out.append(_comment(note))
    out.append(_heading(sec["notes"]) + "\n<references />")
    # Books: those cited in footnotes are listed without pages; the others with the pages about this site.
    books = [(s, pages) for s, pages in sources if s.kind == "book"]
    if books:
        out.append(_heading(sec["references"]) + "\n" + "\n".join(
            "* " + (str(citations.citation(_without_pages(b), lang)) if citations.ref_name(b) in used
                    else citations.render(b, lang, page=pages)) for b, pages in books))
    # web pages and datasets not cited yet: offered as external links for the writer to use
    links = [s for s, _ in sources if s.kind != "book" and s.url and citations.ref_name(s) not in used]
    if links:
        out.append(_heading(sec["links"]) + "\n" + "\n".join("* " + citations.render(s, lang) for s in links))

    # sort key and categories
    tail = []
    if lang == "ja":
        tail.append(defaultsort(reading))
    tail.extend(f"[[Category:{escape(c)}]]" for c in categories(site, lang, kind, pref_ja, pref_en))
    out.append("\n".join(tail))
    text = "\n\n".join(out) + "\n"
    return BuiltDraft(site.id, title.title, text, title.status, flags)


def defaultsort(reading: str) -> str:
    """``{{DEFAULTSORT:key}}`` with jawiki's sort-key rules (:mod:`wikitown.drafts.sortkey`)."""
    from mwparserfromhell.nodes import Template

    return str(Template(text_node("DEFAULTSORT:" + escape(sort_key(reading)))))


def _without_pages(src: Source) -> Source:
    from dataclasses import replace

    return replace(src, pages="")


def _infobox(site: Site, lang: str, kind: str, name: str, place: str, image: str, *,
             building_by_name: bool = True) -> str:
    if lang == "ja":
        if kind == "temple":
            params = [("名称", name), ("画像", image), ("画像説明", ""), ("所在地", place), ("山号", ""),
                      ("宗派", ""), ("本尊", ""), ("創建年", ""), ("文化財", escape(nfkc(site.designation)))]
            tname = "日本の寺院"
        elif kind == "shrine":
            params = [("名称", name), ("画像", image), ("画像説明", ""), ("所在地", place), ("主祭神", ""),
                      ("社格", ""), ("創建", ""), ("本殿の様式", ""), ("例祭", "")]
            tname = "神社"
        elif is_building(site, by_name=building_by_name):
            params = [("建築物名", name), ("画像", image), ("画像説明", ""), ("所在地", place), ("用途", ""),
                      ("竣工", "")]
            tname = "Infobox 建築物"
        else:
            return ""
    else:
        params = [("name", name), ("image", image), ("caption", ""), ("location", place)]
        if kind == "temple":
            tname = "Infobox religious building"
            params += [("religious_affiliation", "Buddhism"), ("country", "Japan")]
        elif kind == "shrine":
            tname = "Infobox shrine"
            params += [("deity", ""), ("established", "")]
        else:
            tname = "Infobox historic site"
            params += [("designation1", escape(nfkc(site.designation)))]
    node = template(tname, [(k, text_node(v)) for k, v in params])
    # one parameter a line, as infoboxes are written on the wikis
    node.name = text_node(tname + "\n")
    for param in node.params:
        param.value = text_node(str(param.value) + "\n")
    return str(node)


def categories(site: Site, lang: str, kind: str, pref_ja: str, pref_en: str) -> list[str]:
    """Proposed categories (the preview shows which do not exist yet)."""
    out = []
    if lang == "ja":
        if pref_ja:
            out.append({"temple": f"{pref_ja}の寺院", "shrine": f"{pref_ja}の神社"}.get(kind, f"{pref_ja}の文化財"))
    elif pref_en:
        out.append({"temple": f"Buddhist temples in {pref_en} Prefecture",
                    "shrine": f"Shinto shrines in {pref_en} Prefecture"}.get(
            kind, f"Cultural Properties of {pref_en} Prefecture"))
    return out


# ---------------------------------------------------------------------------------------------
# many sites at once


def load_sites(store: Store, site_ids: list[str] | None = None) -> list[Site]:
    from wikitown.store.sites import load_sites as stored_sites

    return stored_sites(store, site_ids)


def build_drafts(store: Store, lang: str = "ja", *, site_ids: list[str] | None = None, api=None,
                 municipality: str = "", municipality_code: str = "",
                 check_wiki: bool = True) -> list[BuiltDraft]:
    """Drafts for many sites: one query for sources, one for photos, titles checked in batches."""
    from wikitown.drafts.register import sources_by_site

    all_sites = load_sites(store, site_ids)
    linked = sources_by_site(store)
    photos = known_photos(store)
    candidates = {s.id: candidate_titles(s, lang, municipality)[:2] for s in all_sites}
    checks = check_titles(api if check_wiki else None, candidates)
    return [build_draft(s, lang, sources=linked.get(s.id, []), photos=photos.get(s.id, []),
                        unnamed_photos=len(photos.get(f"{s.id}#unnamed", [])), title=checks.get(s.id),
                        municipality=municipality, municipality_code=municipality_code) for s in all_sites]


def sections_of(wikitext: str) -> list[str]:
    """Section titles in order (for the editor's outline)."""
    return [str(h.title).strip() for h in mwparserfromhell.parse(wikitext).filter_headings()]


# ---------------------------------------------------------------------------------------------
# an event's drafts: open (building when needed), save with checks, preview


@dataclass
class Preview:
    html: str  # the wiki's own sanitised HTML; empty offline
    online: bool
    warnings: str = ""
    missing_templates: list[str] = field(default_factory=list)
    missing_categories: list[str] = field(default_factory=list)
    reason: str = ""  # why offline


def wiki_api(event):
    """The event's wiki as a MediaWikiAPI (uncached: titles must be fresh)."""
    from wikitown.net.mwapi import MediaWikiAPI

    return MediaWikiAPI(event.service("wiki_api"), event.http_client(cached=False))


def open_draft(event, site_id: str, *, author: str = "wikitown", role: str = "librarian", api=None,
               check_wiki: bool = True):
    """The site's draft, building and storing a first revision if it has none.
    Returns (Draft, TitleCheck or None when the draft already existed).

    What is built depends on the site's article (:func:`wikitown.drafts.edits.target_for`): for a
    site whose article exists (or whose organizer chose to edit an article), an edit of that
    article, fetched from the wiki (so ``check_wiki=False`` cannot make one); for an
    ``ambiguous`` site, nothing until the organizer has chosen a title
    (``drafts.error.choose_title``); otherwise a new article. The generated text's author is
    ``wikitown``; ``author`` is named in the revision's summary."""
    from wikitown.drafts import edits, review
    from wikitown.core.errors import InputError
    from wikitown.drafts.register import sources_for_site

    existing = review.draft_for_site(event.store, site_id)
    if existing:
        return existing, None
    from wikitown.drafts.register import register_opendata

    found = load_sites(event.store, [site_id])
    if not found:
        raise InputError(f"no site {site_id!r}", key="drafts.error.no_site", site=site_id)
    site = found[0]
    target = edits.target_for(event.store, site_id)
    if target is None:
        raise InputError("choose the title first", key="drafts.error.choose_title", name=site.name,
                         title=edits.ambiguous_title(event.store, site_id))
    register_opendata(event)
    lang = event.config.wiki
    area = event.config.area
    summary = f"wikitown: first draft from the site's data (asked by {author})" if author != review.GENERATED_BY \
        else "wikitown: first draft from the site's data"
    if check_wiki and api is None:
        api = wiki_api(event)
    photos = known_photos(event.store)
    site_sources = sources_for_site(event.store, site_id)
    if target.mode == "edit":
        if not check_wiki:
            raise InputError("an article's edit needs the wiki", key="drafts.error.edit_offline",
                             title=target.title)
        article = edits.fetch_article(api, target.title)
        datasets = [s for s, _ in site_sources if s.kind == "dataset"]
        dataset = next((d for d in datasets if (d.data or {}).get("file")), datasets[0] if datasets else None)
        text = edits.propose_edit(article.wikitext, site_name=site.name, designation=site.designation,
                                  category=site.category, photos=[p.file_name for p in photos.get(site.id, [])],
                                  dataset=dataset, lang=lang)
        draft = review.create_draft(event.store, site_id, article.title, text, author=review.GENERATED_BY,
                                    role=role, summary=summary + f" [edit of {article.title} r{article.revid}]",
                                    base=article)
        return draft, TitleCheck(article.title, "edit", article.title)
    if target.title:  # the organizer's choice for a new article
        check = TitleCheck(target.title, "chosen", target.title)
    else:
        candidates = {site.id: candidate_titles(site, lang, area.municipality)[:2]}
        check = check_titles(api if check_wiki else None, candidates)[site.id]
    built = build_draft(site, lang, sources=site_sources,
                        photos=photos.get(site.id, []), unnamed_photos=len(photos.get(f"{site.id}#unnamed", [])),
                        title=check, municipality=area.municipality, municipality_code=area.municipality_code)
    draft = review.create_draft(event.store, site_id, built.title, built.wikitext, author=review.GENERATED_BY,
                                role=role, summary=summary)
    return draft, check


def save(event, draft_id: int, wikitext: str, *, author: str, role: str, summary: str = "",
         base_revision_id: int | None = None, title: str | None = None):
    """Save a revision and check it. Returns (revision id, findings)."""
    from wikitown.drafts import review

    rev_id = review.save_revision(event.store, draft_id, wikitext, author=author, role=role, summary=summary,
                                  base_revision_id=base_revision_id, title=title)
    return rev_id, check_draft(event.store, draft_id, wikitext)


def act(event, draft_id: int, action: str, *, author: str, role: str, comment: str = "",
        override_reason: str = ""):
    """A review action (submit, approve, request_changes, withdraw) with the event's rules
    (``[review] approvals``). The app's buttons and ``python -m wikitown draft`` call this."""
    from wikitown.drafts import review

    return review.transition(event.store, draft_id, action, author=author, role=role, comment=comment,
                             override_reason=override_reason,
                             approvals_required=event.config.approvals_required)


def check_draft(store: Store, draft_id: int, wikitext: str | None = None):
    """Findings for a draft's text (current revision unless given), with its site's position.
    For an edit of an existing article, only the findings the edit brings."""
    from wikitown.drafts import review
    from wikitown.drafts.checks import check_wikitext

    from wikitown.drafts.edits import base_of, new_findings

    draft = review.get_draft(store, draft_id)
    if wikitext is None:
        wikitext = review.current_wikitext(store, draft_id)
    site = load_sites(store, [draft.site_id]) if draft else []
    lat, lon = (site[0].lat, site[0].lon) if site else (None, None)
    findings = check_wikitext(wikitext, site_lat=lat, site_lon=lon)
    base = base_of(store, draft_id) if draft else None
    if base is not None:  # an edit answers for what it adds, not for the article's older problems
        findings = new_findings(findings, check_wikitext(base.wikitext, site_lat=lat, site_lon=lon))
    return findings


def preview(wikitext: str, title: str, api) -> Preview:
    """Render through the wiki's parse API; offline, an empty preview that says why."""
    try:
        if api is None:
            raise ServiceUnavailable("wiki_api", "", "no wiki configured")
        parsed = api.parse(wikitext, title=title or "API")
    except (ServiceUnavailable, ServiceError) as exc:
        return Preview("", False, reason=getattr(exc, "reason", str(exc)))
    text = parsed.get("text", "")
    if isinstance(text, dict):  # formatversion 1
        text = text.get("*", "")
    warnings = parsed.get("warnings", "")
    warnings = "\n".join(map(str, warnings)) if isinstance(warnings, list) else str(warnings or "")
    # a template the wiki lacks shows as a red link to its page
    templates = sorted(set(urllib.parse.unquote(m).replace("_", " ") for m in
                           re.findall(r"title=Template:([^&\"]+)&amp;action=edit&amp;redlink=1", text)))
    cats = [c.get("category", c.get("*", "")) for c in parsed.get("categories", []) if c.get("missing")]
    return Preview(text, True, warnings, templates, cats)
