"""Does a site have an article on the target wiki? With the evidence for each answer.

* ``exists``: a Wikidata sitelink to the wiki, or a page with the site's title (the source's exact
  name or its NFKC form, redirects followed), or ``名前 (市町村)``, or, for a name that is a common
  noun (本堂, 山門 ...), ``owner + name`` (海蔵寺本堂); never a disambiguation page and never the
  general article on a common noun.
* ``ambiguous``: the title is a disambiguation page (page property ``disambiguation``, as
  Extension:Disambiguator sets it on jawiki, or a disambiguation category) and no more
  specific title such as ``常楽寺 (焼津市)`` exists.
* ``possible``: an article that may cover the site under another title, named in the evidence:
  the parent's article (``旧安田楠雄邸`` for ``旧安田楠雄邸庭園``, the temple for its 本堂), a title the
  wiki's prefix search gives (``X (文京区)``), or a geotagged article near the site with a similar
  title (GeoData's geosearch). A person should check.
* ``missing``: none of these; the evidence lists every title asked and why.
* ``unchecked``: the wiki could not be asked (for this site); ``reason``. Nothing is ever guessed.

Requests are batched: existence of up to 1,000 candidate titles a request (``action=parse`` of
their links, as the wiki shows red links), page details 50 titles a request
(``MediaWikiAPI.batch``), the area's geotagged articles in a few bounding boxes. The wiki's prefix
search takes one prefix a request, so it is asked only within the budget of ceil(N/50)+5 requests
for N sites, for the sites still without an answer, after Wikidata's sitelinks for the sites whose
Wikidata id came from a list (50 items a request); the others say so in their evidence.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from wikitown.core.errors import ServiceError, ServiceUnavailable, WikitownError
from wikitown.core.geo import GridIndex, degrees_for, haversine_m
from wikitown.gaps.merge import name_key
from wikitown.net.mwapi import BATCH, SCREEN_BATCH, MediaWikiAPI, chunks, title_key

STATUSES = ("exists", "ambiguous", "possible", "missing", "unchecked")
DISAMBIGUATION_CATEGORIES = ("Category:曖昧さ回避", "Category:すべての曖昧さ回避", "Category:Disambiguation pages",
                             "Category:All disambiguation pages")
NEAR_M = 300.0
SIMILAR = 70.0
TILE_KM = 10.0  # GeoData refuses boxes much bigger than its maximum radius (10 km by default)
GEOSEARCH_LIMIT = 500
PLACE_NEAR_M = 5000.0  # an article whose coordinates are further than this is about another place
FAILED_REQUESTS_LIMIT = 3  # above this, a run is not "done" (the progress display says so)
PREFIX_SEARCH_LIMIT = 100  # one request each: bounds the time a prefecture-wide list takes
_BAD_TITLE_CHARS = set("#<>[]|{}")

# Common nouns municipal lists use as names (a start, not the rule: the wiki's own answer, a page
# with no coordinates near the site or in no place's category, decides too).
GENERIC_NAMES = frozenset("""
本堂 山門 仁王門 楼門 総門 中門 表門 裏門 四脚門 薬医門 鐘楼 鐘楼門 梵鐘 鰐口 経蔵 庫裏 庫裡 書院 客殿 方丈 開山堂 観音堂 薬師堂
地蔵堂 阿弥陀堂 大師堂 不動堂 釈迦堂 護摩堂 御影堂 祖師堂 三重塔 五重塔 多宝塔 宝塔 石塔 層塔 宝篋印塔 五輪塔 板碑 石碑 石灯籠
灯籠 燈籠 常夜灯 手水鉢 狛犬 鳥居 石鳥居 本殿 拝殿 幣殿 神楽殿 社殿 神門 随身門 神輿 厨子 宮殿 須弥壇 天蓋 絵馬 大絵馬 奉納額 扁額
棟札 守り本尊 本尊 脇侍 仏像 木像 石仏 磨崖仏 地蔵 石造地蔵 道祖神 庚申塔 馬頭観音 供養塔 墓 墓所 墓碑 古文書 文書 掛軸 屏風 襖絵
天井画 獅子頭 山車 屋台 庭園 庭 境内 社叢 大杉 大楠 大銀杏 大イチョウ 大ケヤキ 大松 夫婦杉 一里塚 道標 石橋 井戸
""".split())
# What the parent of a name ending in these may be called: 海蔵寺本堂 -> 海蔵寺, 花沢城跡 -> 花沢城.
PARENT_TAILS = tuple(sorted(GENERIC_NAMES | {"跡", "旧跡", "遺構", "旧宅", "住宅", "主屋", "附属屋", "境内地"},
                            key=len, reverse=True))
# Place words in category titles (Category:焼津市の建築物, Category:静岡県の寺院): the page is about a place.
_PLACE_CATEGORY_RE = re.compile(r"((都|道|府|県|市|区|町|村|郡)の|(都|府|県|市|区|町|村|郡|北海道)$)")
_OWNER_FIELDS = ("owner", "parent", "place")
_OWNER_KEYS = ("所有者", "所有者等", "所有者名", "管理者", "管理団体", "場所名称", "placeName", "寺社名", "所在寺社")
_OWNER_DROP = re.compile(r"^(宗教法人|学校法人|一般財団法人|公益財団法人|財団法人|一般社団法人|公益社団法人|株式会社|有限会社)\s*")
_NOT_OWNERS = {"個人", "個人所有", "個人蔵", "国", "県", "市", "町", "村", "民有地", "私有地", "共有", "不明", "なし"}
_BUILDING_END = ("寺", "院", "庵", "坊", "神社", "神宮", "大社", "宮", "社", "堂", "城", "館", "邸", "家")

PAGE_PROPS = {"prop": "info|pageprops|categories|langlinks|pageimages|coordinates",
              "ppprop": "disambiguation|wikibase_item", "clshow": "!hidden", "cllimit": "max", "lllimit": "max",
              "piprop": "name", "pilimit": "max", "coprimary": "primary", "colimit": "max"}


@dataclass
class ArticleStatus:
    site_id: str
    status: str
    title: str = ""
    evidence: dict = field(default_factory=dict)
    other_articles: dict = field(default_factory=dict)
    has_photo: bool | None = None


@dataclass
class Candidate:
    """A title asked for a site, and why it was asked."""
    title: str
    by: str  # wikidata_sitelink, title, title_normalized, title_nospace, qualified_title, owner_title,
    #          parent_title, owner_article
    why: str  # for the organizer, e.g. "owner 海蔵寺 + name"
    finds: str = "exists"  # what the site's status is when it is the site's article: exists or possible


def usable_title(text: str) -> str:
    text = " ".join((text or "").split())
    if not text or any(c in _BAD_TITLE_CHARS for c in text) or len(text.encode("utf-8")) > 255:
        return ""
    return text


def disambiguation_mark(page: dict) -> str:
    """How a page is marked as a disambiguation page: "pageprops", "category" or ""."""
    if "disambiguation" in (page.get("pageprops") or {}):
        return "pageprops"
    cats = {c.get("title", "") for c in page.get("categories") or []}
    if cats & set(DISAMBIGUATION_CATEGORIES):
        return "category"
    return ""


def _exists(page: dict | None) -> bool:
    return bool(page) and not page.get("missing") and not page.get("invalid") and page.get("ns", 0) == 0


def _langlinks(page: dict | None) -> dict:
    out = {}
    for link in (page or {}).get("langlinks") or []:
        title = link.get("title") or link.get("*")
        if link.get("lang") and title:
            out[link["lang"]] = title
    return out


# ---------------------------------------------------------------------------------------------
# the titles asked for a site

def name_forms(site: dict) -> list[str]:
    """The site's name as the source wrote it (``name``, e.g. with full-width brackets) and its NFKC
    form, usable as titles, the source's own first. A site without its original text gives what it
    has (``name``, else ``name_key``); a ``name_key`` that is a matching key (no brackets, lower case)
    is never asked as a title: it names another page as often as the same one."""
    original = site.get("name") or site.get("name_key") or ""
    forms = [usable_title(original), usable_title(unicodedata.normalize("NFKC", original))]
    return [f for f in dict.fromkeys(forms) if f]


def is_generic_name(name: str) -> bool:
    """A name that is a common noun by the word list (本堂, 山門 ...)."""
    return unicodedata.normalize("NFKC", name or "").strip() in GENERIC_NAMES


def owner_names(site: dict) -> list[str]:
    """The owner or parent the source gives (所有者, 場所名称, or a temple or shrine in the address):
    what a common-noun name belongs to. At most three."""
    texts: list[tuple[str, bool]] = []  # (text, any name goes) -- an address gives only building names
    for key in _OWNER_FIELDS:
        if isinstance(site.get(key), str):
            texts.append((site[key], True))
    raw_sources = [site.get("data")] + list(site.get("source_values") or [])
    for raw in raw_sources:
        if isinstance(raw, dict):
            for key in _OWNER_KEYS:
                if isinstance(raw.get(key), str):
                    texts.append((raw[key], True))
    if isinstance(site.get("address"), str):
        texts.append((site["address"], False))
    names: list[str] = []
    for text, any_name in texts:
        for token in re.split(r"[\s、，,・/／;；\n]+", unicodedata.normalize("NFKC", text)):
            token = _OWNER_DROP.sub("", token.strip("()「」『』"))
            if len(token) < 2 or token in _NOT_OWNERS or re.search(r"\d", token):
                continue
            if not any_name and not token.endswith(_BUILDING_END):
                continue
            if re.search(r"(都|道|府|県|市|区|町|村|郡)$", token) or \
                    (not any_name and re.search(r"(都|道|府|県|市|区|町|村|郡|丁目|番地)", token)):
                continue  # a town or an address is no owner a hall is named after
            if usable_title(token) and token not in names:
                names.append(token)
    return names[:3]


def parent_titles(name: str) -> list[tuple[str, str]]:
    """Shorter titles an article covering the site may have: the name without a bracketed part
    (旧安田楠雄邸（庭園） -> 旧安田楠雄邸) or without a tail word (海蔵寺本堂 -> 海蔵寺, 旧安田楠雄邸庭園 ->
    旧安田楠雄邸). [(title, the part dropped)]"""
    text = unicodedata.normalize("NFKC", name or "").strip()
    out = []
    m = re.match(r"^(.{2,}?)\s*\(([^()]+)\)$", text)
    if m:
        out.append((m.group(1).strip(), m.group(2)))
        text = m.group(1).strip()
    for tail in PARENT_TAILS:
        if text.endswith(tail) and len(text) - len(tail) >= 2:
            head = text[: -len(tail)].rstrip(" の")
            if len(head) >= 2:
                out.append((head, tail))
            break
    return [(usable_title(t), tail) for t, tail in out if usable_title(t)]


def primary_candidates(site: dict, lang: str) -> list[Candidate]:
    out = []
    sitelink = usable_title((site.get("other_articles") or {}).get(lang, ""))
    if sitelink:
        out.append(Candidate(sitelink, "wikidata_sitelink", "Wikidata sitelink"))
    for i, form in enumerate(name_forms(site)):
        out.append(Candidate(form, "title" if i == 0 else "title_normalized",
                             "name in the source" if i == 0 else "normalised name"))
    return out


def secondary_candidates(site: dict, generic: bool) -> list[Candidate]:
    """Other titles for a site whose own title is missing, a disambiguation page, or the general
    article on a common noun; the strongest first."""
    out = []
    forms = name_forms(site)
    name = forms[-1] if forms else ""
    # 海蔵寺　本堂 in a list is 海蔵寺本堂 on jawiki: Japanese titles do not space words apart
    if name and " " in name and re.search(r"[\u3040-\u30ff\u3400-\u9fff]", name):
        t = usable_title(name.replace(" ", ""))
        if t:
            out.append(Candidate(t, "title_nospace", "name without spaces"))
    municipality = (site.get("municipality") or "").strip()
    if name and municipality:
        for form in forms:
            t = usable_title(f"{unicodedata.normalize('NFKC', form)} ({municipality})")
            if t:
                out.append(Candidate(t, "qualified_title", f"name + municipality {municipality}"))
                break
    owners = owner_names(site) if name else []
    if generic:
        for owner in owners:
            if not name.startswith(owner):
                t = usable_title(owner + name)
                if t:
                    out.append(Candidate(t, "owner_title", f"owner {owner} + name"))
    for parent, tail in parent_titles(site.get("name") or ""):
        out.append(Candidate(parent, "parent_title", f"name without {tail}", finds="possible"))
    if generic:  # the temple's or shrine's own article may cover its hall (not a town's or a person's)
        for owner in owners:
            if owner.endswith(_BUILDING_END):
                out.append(Candidate(owner, "owner_article", f"the owner {owner}", finds="possible"))
    seen = set()
    return [c for c in out if not (c.title in seen or seen.add(c.title))]


# ---------------------------------------------------------------------------------------------
# is a page the site's article?

def place_verdict(page: dict, site: dict) -> tuple[str, dict]:
    """Whether a page is about the site's place: ("same" | "elsewhere" | "no_place" | "unknown", why).

    same: its Wikidata item is the site's, its coordinates lie within 5 km, or a category names the
    site's municipality; elsewhere: its item is another one, or its coordinates lie further; no_place:
    no coordinates and categories that name no place (the article on a common noun)."""
    why: dict = {}
    item = (page.get("pageprops") or {}).get("wikibase_item", "")
    site_item = site.get("wikidata_id") or ""
    if item and site_item:
        if item == site_item:
            return "same", {"wikidata_item": item}
        why["wikidata_item"] = item
    coords = [c for c in page.get("coordinates") or [] if isinstance(c.get("lat"), (int, float))]
    lat, lon = site.get("lat"), site.get("lon")
    if coords and lat is not None and lon is not None and lat == lat and lon == lon and \
            site.get("coord_status") in ("ok", "geocoded", None):
        d = haversine_m(lat, lon, coords[0]["lat"], coords[0]["lon"])
        why["distance_m"] = round(d)
        if d <= PLACE_NEAR_M:
            return "same", why
        return "elsewhere", why
    cats = [c.get("title", "").split(":", 1)[-1] for c in page.get("categories") or []]
    municipality = (site.get("municipality") or "").strip()
    if municipality and any(municipality in c for c in cats):
        return "same", {"category_names": municipality}
    if "wikidata_item" in why:
        return "elsewhere", why
    if cats and not coords and not any(_PLACE_CATEGORY_RE.search(c) for c in cats):
        return "no_place", {"categories": cats[:5]}
    return "unknown", why


# ---------------------------------------------------------------------------------------------
# the check

class _Run:
    """Asks the wiki, keeping every failed request; once the wiki could not be reached (retries
    done) nothing more is asked, and the titles not asked carry that error."""

    def __init__(self, api: MediaWikiAPI, failures: list):
        self.api = api
        self.failures = failures
        self.exists: dict[str, bool | None] = {}
        self.pages: dict[str, dict] = {}
        self.failed_titles: dict[str, WikitownError] = {}
        self.down: WikitownError | None = None

    def _ask(self, titles: list[str], size: int, fetch: Callable[[list[str]], dict], into: dict) -> None:
        for part in chunks(titles, size):
            if self.down is not None or len(self.failures) > FAILED_REQUESTS_LIMIT:
                self.failed_titles.update({t: self.down or self.failures[-1] for t in part})
                continue
            try:
                into.update(fetch(part))
            except WikitownError as exc:
                self.failures.append(exc)
                self.failed_titles.update({t: exc for t in part})
                if isinstance(exc, ServiceUnavailable):
                    self.down = exc

    def screen(self, titles: list[str]) -> None:
        todo = [t for t in dict.fromkeys(titles) if t not in self.exists and t not in self.failed_titles]
        self._ask(todo, SCREEN_BATCH, lambda part: self.api.existing_titles(part, batch=len(part)), self.exists)

    def details(self, titles: list[str]) -> None:
        todo = [t for t in dict.fromkeys(titles) if t not in self.pages and t not in self.failed_titles]
        self._ask(todo, getattr(self.api, "batch", BATCH),
                  lambda part: self.api.pages_by_titles(part, **PAGE_PROPS), self.pages)

    def may_exist(self, title: str) -> bool:
        return self.exists.get(title, None) is not False and title not in self.failed_titles


def _reason(exc: WikitownError) -> dict:
    return {"reason": exc.message("en"), "reason_key": exc.key,
            "reason_params": {k: str(v) for k, v in exc.params.items()}}


def check_sites(sites: list[dict], api: MediaWikiAPI, *, lang: str = "ja", geosearch: bool = True,
                near_m: float = NEAR_M, progress: Callable[[int, int], None] | None = None,
                geo_api: MediaWikiAPI | None = None, failures: list | None = None,
                budget: int | None = None, wikidata_api: MediaWikiAPI | None = None) -> list[ArticleStatus]:
    """The article status of each site (dicts with id, name, optionally name_key, municipality,
    owner/place/address, other_articles, image, wikidata_id, lat, lon, coord_status). ``geo_api``
    answers geosearch when another endpoint does. Each failed request is appended to ``failures``
    (the sites it concerned are ``unchecked``). ``budget``: requests at most (default ceil(N/50)+5);
    only the last lookups are cut to it: Wikidata's sitelinks for the sites still missing that
    have an item (``wikidata_api``, 50 items a request), then the prefix search."""
    failures = failures if failures is not None else []
    budget = budget if budget is not None else math.ceil(len(sites) / BATCH) + 5
    clients = {id(api.client): api.client}
    for other in (geo_api, wikidata_api):
        if other is not None:
            clients[id(other.client)] = other.client
    sent_before = {k: c.requests_sent for k, c in clients.items()}

    def sent() -> int:
        return sum(c.requests_sent - sent_before[k] for k, c in clients.items())

    out = {s["id"]: ArticleStatus(s["id"], "unchecked", other_articles={
        k: v for k, v in (s.get("other_articles") or {}).items() if k != lang},
        has_photo=True if s.get("image") else None) for s in sites}
    run = _Run(api, failures)
    checked: dict[str, list[dict]] = {s["id"]: [] for s in sites}  # every title asked, why, and what it was
    settled: set[str] = set()
    notes: dict[str, dict] = {s["id"]: {} for s in sites}

    def record(s, cand: Candidate, result: str, **extra) -> None:
        checked[s["id"]].append({"title": cand.title, "by": cand.by, "why": cand.why, "result": result, **extra})

    def accept(s, cand: Candidate, page: dict, status: str, **extra) -> None:
        st = out[s["id"]]
        st.status, st.title = status, page.get("title", cand.title)
        st.other_articles.update({k: v for k, v in _langlinks(page).items() if k != lang})
        if page.get("pageimage") and status == "exists":
            st.has_photo = True
        st.evidence = {"by": cand.by, "asked": cand.title, "title": st.title, "pageid": page.get("pageid"),
                       "why": cand.why, **extra}
        if page.get("redirected_from"):
            st.evidence["redirected_from"] = page["redirected_from"]
        item = (page.get("pageprops") or {}).get("wikibase_item")
        if item:  # the article's Wikidata item, asked in the same request
            st.evidence["wikidata_item"] = item
        settled.add(s["id"])

    def judge(s, cands: list[Candidate]) -> None:
        """Take the first candidate that is the site's article; note the others."""
        for cand in cands:
            if s["id"] in settled:
                return
            if cand.title in run.failed_titles:
                record(s, cand, "request_failed")
                notes[s["id"]].setdefault("error", run.failed_titles[cand.title])
                continue
            if not run.may_exist(cand.title):
                record(s, cand, "missing")
                continue
            page = run.pages.get(cand.title)
            if page is None:
                continue  # not asked in detail yet (a later round)
            if not _exists(page):
                record(s, cand, "missing")
                continue
            own = cand.by in ("wikidata_sitelink", "title", "title_normalized", "title_nospace")
            mark = disambiguation_mark(page)
            if mark:
                record(s, cand, "disambiguation", title=page.get("title"))
                if own:
                    notes[s["id"]].setdefault("disambiguation", (cand, page, mark))
                continue
            if cand.by == "wikidata_sitelink":
                accept(s, cand, page, "exists")
                continue
            verdict, why = place_verdict(page, s)
            generic = is_generic_name(s.get("name", "")) and cand.by in ("title", "title_normalized", "title_nospace")
            if verdict == "elsewhere" or verdict == "no_place" or (generic and verdict != "same"):
                reason = "other_place" if verdict == "elsewhere" else "common_noun" if generic else "no_place"
                record(s, cand, "general_article" if verdict != "elsewhere" else "other_place",
                       title=page.get("title"), reason=reason, **why)
                if own:
                    notes[s["id"]].setdefault("general", (cand, page, reason))
                continue
            record(s, cand, "found", title=page.get("title"), **why)
            accept(s, cand, page, cand.finds, **({"place": why} if why else {}))

    # 1. Each site's own titles: the Wikidata sitelink, the source's name and its NFKC form.
    primaries = {s["id"]: primary_candidates(s, lang) for s in sites}
    run.screen([c.title for cs in primaries.values() for c in cs])
    if progress:
        progress(1, 4)
    # details for the first title of each site that exists (or could not be told apart)
    first = {}
    for s in sites:
        for c in primaries[s["id"]]:
            if run.may_exist(c.title) or c.title in run.failed_titles:
                first[s["id"]] = c.title
                break
    run.details([t for t in first.values() if t not in run.failed_titles])
    for s in sites:
        judge(s, primaries[s["id"]][: [c.title for c in primaries[s["id"]]].index(first[s["id"]]) + 1]
              if s["id"] in first else primaries[s["id"]])
    if progress:
        progress(2, 4)

    # 2. The sites without their article yet: the other titles (the rest of their own, name
    #    (municipality), owner + common noun, the parent's article), screened then read in batches.
    rest = [s for s in sites if s["id"] not in settled]
    seconds = {}
    for s in rest:
        own = primaries[s["id"]]
        asked = {c["title"] for c in checked[s["id"]]}
        generic = is_generic_name(s.get("name", "")) or "general" in notes[s["id"]]
        seconds[s["id"]] = [c for c in own if c.title not in asked] + secondary_candidates(s, generic)
    run.screen([c.title for cs in seconds.values() for c in cs])
    run.details([c.title for cs in seconds.values() for c in cs if run.may_exist(c.title)])
    for s in rest:
        judge(s, seconds[s["id"]])
    if progress:
        progress(3, 4)

    # 3. What is left: ambiguous, unchecked (a request failed) or missing.
    pending = []
    for s in sites:
        st = out[s["id"]]
        note = notes[s["id"]]
        if s["id"] in settled:
            pass
        elif "disambiguation" in note:
            cand, page, mark = note["disambiguation"]
            accept(s, cand, page, "ambiguous")
            st.evidence.update(by="disambiguation", marked_by=mark)
        elif "error" in note:
            st.status, st.title = "unchecked", ""
            st.evidence = _reason(note["error"])
        elif "general" in note and note["general"][2] == "no_place":
            # the wiki's page of that title belongs to no place, but the name is in no word list:
            # perhaps a common noun, perhaps the site's article badly categorised -- a person decides
            cand, page, reason = note["general"]
            accept(s, cand, page, "possible")
            st.evidence.update(by="no_place", general_article={"title": page.get("title"), "reason": reason})
        else:
            st.status, st.title = "missing", ""
            st.evidence = {"by": "none", "asked": [c["title"] for c in checked[s["id"]]]}
            sitelink = (s.get("other_articles") or {}).get(lang)
            if sitelink:
                st.evidence["sitelink_missing_on_wiki"] = sitelink
            if "general" in note:
                cand, page, reason = note["general"]
                st.evidence["general_article"] = {"title": page.get("title"), "reason": reason}
            pending.append(s)
        if checked[s["id"]]:
            st.evidence["checked"] = checked[s["id"]]
        if st.has_photo is None and st.status != "unchecked":
            st.has_photo = False

    # 4. Geotagged articles near the sites that still have none.
    located = [s for s in pending if s.get("lat") is not None and s.get("lon") is not None
               and s.get("coord_status") in ("ok", "geocoded", None)]
    if geosearch and located:
        try:
            nearby = geotagged_pages(geo_api or api, [(s["lat"], s["lon"]) for s in located], pad_m=near_m)
        except (ServiceError, ServiceUnavailable) as exc:
            if isinstance(exc, ServiceUnavailable):
                failures.append(exc)
            for s in pending:
                out[s["id"]].evidence["geosearch"] = f"unavailable: {exc.message('en')}"
            nearby = None
        if nearby is not None:
            for s in pending:
                out[s["id"]].evidence["geosearch"] = "checked" if s in located else "no coordinates"
            _match_nearby(located, nearby, out, near_m)

    # 5. Wikidata's sitelinks for sites with an item but no sitelink known (a list's own Q-ids),
    #    50 items a request, then the titles found read on the wiki, within the budget.
    with_item = [s for s in pending if out[s["id"]].status == "missing" and s.get("wikidata_id")
                 and not (s.get("other_articles") or {}).get(lang)
                 and "wikidata" not in str(s.get("sources") or "")]  # the SPARQL answer already said
    if wikidata_api is not None and with_item and run.down is None:
        asked_items = []
        for part in chunks(with_item, BATCH):
            if sent() + 2 > budget or len(failures) > FAILED_REQUESTS_LIMIT:
                break
            try:
                links = wikidata_api.sitelinks([s["wikidata_id"] for s in part], f"{lang}wiki")
            except WikitownError as exc:
                failures.append(exc)
                break
            asked_items.extend(part)
            titles = {s["id"]: usable_title(links.get(s["wikidata_id"], "")) for s in part}
            run.details([t for t in titles.values() if t])
            for s in part:
                out[s["id"]].evidence["wikidata_sitelink"] = "checked"
                if titles[s["id"]]:
                    cand = Candidate(titles[s["id"]], "wikidata_sitelink", "Wikidata sitelink (asked)")
                    judge(s, [cand])
                    if s["id"] in settled:
                        out[s["id"]].evidence["checked"] = checked[s["id"]]
        for s in with_item:
            if s not in asked_items:
                out[s["id"]].evidence["wikidata_sitelink"] = "not asked: request budget"

    # 6. The wiki's prefix search (X (文京区), X (寺院) ...), one prefix a request, within the budget.
    left = [s for s in pending if out[s["id"]].status == "missing" and name_forms(s)
            and not is_generic_name(s.get("name", ""))]
    left.sort(key=lambda s: s.get("lat") is not None)  # geosearch could not help the sites without coordinates
    asked_prefixes = 0
    for s in left:
        st = out[s["id"]]
        if sent() >= budget or asked_prefixes >= PREFIX_SEARCH_LIMIT or len(failures) > FAILED_REQUESTS_LIMIT \
                or run.down is not None:
            st.evidence["prefixsearch"] = ("not asked: the wiki failed" if run.down is not None or
                                           len(failures) > FAILED_REQUESTS_LIMIT else "not asked: request budget")
            continue
        prefix = unicodedata.normalize("NFKC", name_forms(s)[0])
        asked_prefixes += 1
        try:
            titles = api.prefix_search(prefix, limit=10)
        except WikitownError as exc:
            failures.append(exc)
            if isinstance(exc, ServiceUnavailable):
                run.down = exc
            st.evidence["prefixsearch"] = f"failed: {exc.message('en')}"
            continue
        st.evidence["prefixsearch"] = "checked"
        key = title_key(prefix)
        hits = [t for t in titles if (title_key(t).startswith(key + " (") or title_key(t).startswith(key + "("))
                and not re.search(r"\((曖昧さ回避|disambiguation)\)$", t)]
        if hits:
            st.status, st.title = "possible", hits[0]
            st.evidence.update(by="prefixsearch", title=hits[0], asked=st.evidence.get("asked", []),
                               why=f"a title beginning with {prefix}", others=hits[1:5])
    if progress:
        progress(4, 4)
    return [out[s["id"]] for s in sites]


def _tiles(points: list[tuple[float, float]], pad_m: float, tile_km: float) -> list[tuple]:
    """Boxes of at most tile_km a side covering the points (empty tiles dropped)."""
    if not points:
        return []
    mid_lat = (min(p[0] for p in points) + max(p[0] for p in points)) / 2
    dlat_pad, dlon_pad = degrees_for(pad_m, mid_lat)
    south = min(p[0] for p in points) - dlat_pad
    north = max(p[0] for p in points) + dlat_pad
    west = min(p[1] for p in points) - dlon_pad
    east = max(p[1] for p in points) + dlon_pad
    step_lat, step_lon = degrees_for(tile_km * 1000, mid_lat)
    ny = max(1, math.ceil((north - south) / step_lat))
    nx = max(1, math.ceil((east - west) / step_lon))
    hy, hx = (north - south) / ny, (east - west) / nx
    used = set()
    for lat, lon in points:
        used.add((min(ny - 1, int((lat - south) / hy)), min(nx - 1, int((lon - west) / hx))))
    return [(south + y * hy, west + x * hx, south + (y + 1) * hy, west + (x + 1) * hx) for y, x in sorted(used)]


def geotagged_pages(api: MediaWikiAPI, points: list[tuple[float, float]], *, pad_m: float = NEAR_M,
                    tile_km: float = TILE_KM, limit: int = GEOSEARCH_LIMIT) -> list[dict]:
    """The geotagged articles around the points, a few boxes at a time (a full box is split)."""
    pages: dict = {}
    queue = [(box, 0) for box in _tiles(points, pad_m, tile_km)]
    while queue:
        (s, w, n, e), depth = queue.pop(0)
        found = api.geosearch_bbox(s, w, n, e, limit=limit)
        if len(found) >= limit and depth < 3:
            ms, mw = (s + n) / 2, (w + e) / 2
            inside = [p for p in points if s <= p[0] <= n and w <= p[1] <= e]
            for box in ((s, w, ms, mw), (s, mw, ms, e), (ms, w, n, mw), (ms, mw, n, e)):
                if any(box[0] - 0.01 <= p[0] <= box[2] + 0.01 and box[1] - 0.01 <= p[1] <= box[3] + 0.01
                       for p in inside):
                    queue.append((box, depth + 1))
        for page in found:
            pages[page.get("pageid") or page.get("title")] = page
    return list(pages.values())


def _match_nearby(sites: list[dict], pages: list[dict], out: dict, near_m: float) -> None:
    grid = GridIndex(near_m)
    for p in pages:
        if isinstance(p.get("lat"), (int, float)) and isinstance(p.get("lon"), (int, float)):
            grid.add(p["lat"], p["lon"], p)
    for s in sites:
        key = name_key(s.get("name", ""))
        if not key:
            continue
        best = None
        for p in grid.near(s["lat"], s["lon"]):
            d = haversine_m(s["lat"], s["lon"], p["lat"], p["lon"])
            if d > near_m:
                continue
            score = fuzz.partial_ratio(key, name_key(p.get("title", "")))
            if score >= SIMILAR and (best is None or (score, -d) > (best[0], -best[1])):
                best = (score, d, p)
        if best:
            st = out[s["id"]]
            st.status, st.title = "possible", best[2].get("title", "")
            st.evidence.update(by="geosearch", title=st.title, distance_m=round(best[1]), score=round(best[0]))


def _translator(lang):
    """A language code, or a translator already bound to one (the app's ``ctx.t``)."""
    from wikitown.core.i18n import translator

    return lang if callable(lang) else translator(lang)


def status_note(status: str, evidence: dict | None, lang="ja") -> str:
    """The evidence behind a site's article status, in the user's language (a code or a bound
    translator): which title was found or checked and why, or why the wiki could not be asked."""
    return status_notes([status], [evidence], lang)[0]


def status_notes(statuses: list, evidences: list, lang="ja") -> list[str]:
    """:func:`status_note` for many sites (the app's table): the fixed phrases translated once."""
    bound = _translator(lang)
    fixed: dict[str, str] = {}

    def t(key: str, **params) -> str:
        if key not in fixed:
            fixed[key] = bound(key)  # the template, its {placeholders} unfilled
        if not params:
            return fixed[key]
        try:
            return fixed[key].format(**params)
        except (KeyError, IndexError, ValueError):
            return bound(key, **params)

    return [_note(st, ev, t) for st, ev in zip(statuses, evidences)]


def _note(status: str, evidence: dict | None, t) -> str:
    ev = evidence if isinstance(evidence, dict) else {}
    status = status or "unchecked"

    def how(by: str) -> str:
        return t(f"gaps.by.{by}", distance=ev.get("distance_m", "")) if by else ""

    if status == "unchecked":
        if not ev:
            return t("gaps.note.not_asked")
        params = ev.get("reason_params") or {}
        if str(ev.get("reason_key", "")).startswith("error.service_"):  # the service and reason in words
            from wikitown.core.errors import service_words

            params = service_words(params, t)
        reason = t(ev["reason_key"], **params) if ev.get("reason_key") else ""
        if not reason or reason == ev.get("reason_key"):
            reason = ev.get("reason", "")
        return t("gaps.note.unchecked", reason=reason)
    if status == "ambiguous":
        return t("gaps.note.ambiguous", title=ev.get("title", ""))
    if status in ("exists", "possible"):
        text = t(f"gaps.note.{status}", title=ev.get("title", ""), how=how(ev.get("by", "")))
        if ev.get("redirected_from"):
            text += " · " + t("gaps.note.redirect", asked=ev["redirected_from"])
        return text
    parts = []
    general = ev.get("general_article")
    if isinstance(general, dict):
        if general.get("reason") == "other_place":  # same name, another subject (its coordinates or item)
            parts.append(t("gaps.note.other_place", title=general.get("title", "")))
        else:
            parts.append(t("gaps.note.general", title=general.get("title", ""),
                           reason=t(f"gaps.reason.{general.get('reason', '')}")))
    checked = [c for c in ev.get("checked") or [] if isinstance(c, dict)]
    if checked:
        parts.append(t("gaps.note.missing", titles=", ".join(
            f"{c.get('title', '')} ({t('gaps.result.' + str(c.get('result', '')))})" for c in checked)))
    elif not general:
        parts.append(t("gaps.note.missing_none"))
    return " · ".join(parts)


def missing_filter_note(statuses: list[str], evidences: list, lang="ja") -> str:
    """Why the "no article" filter shows nothing or not everything: sites not checked yet, and why."""
    t = _translator(lang)

    unchecked = [ev for st, ev in zip(statuses, evidences) if (st or "unchecked") == "unchecked"]
    if unchecked:
        reasons = list(dict.fromkeys(status_note("unchecked", ev, lang) for ev in unchecked))
        return t("gaps.filter.missing_unchecked", count=len(unchecked), reason=" / ".join(reasons[:2]))
    if not any(st in ("missing", "possible") for st in statuses):
        return t("gaps.filter.missing_none")
    return ""


def apply_statuses(store, statuses: list[ArticleStatus]) -> int:
    """Write the statuses into the event's sites (one transaction)."""
    from wikitown.store.sites import set_article_statuses

    return set_article_statuses(store, statuses)
