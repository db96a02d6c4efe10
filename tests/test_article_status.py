"""Article status against the real loopback MediaWiki (pages, a redirect, disambiguation pages
marked by page property and by category) and a GeoData stand-in for geosearch."""
from __future__ import annotations

import io
import re
import math
import uuid

import pytest

from wikitown.gaps.article_status import check_sites, geotagged_pages
from wikitown.net.http import HttpClient
from wikitown.net.mwapi import MediaWikiAPI


def geodata_standin(standin, pages: list[dict]):
    """A stand-in answering list=geosearch with gsbbox as Extension:GeoData does (formatversion=2):
    the pages inside the box, at most gslimit of them, primary coordinates only."""
    server = standin()

    def handle(req):
        p = req.params
        if p.get("list") != "geosearch":
            return {"batchcomplete": True, "warnings": {"main": {"warnings": "unexpected"}}}
        north, west, south, east = (float(x) for x in p["gsbbox"].split("|"))
        limit = int(p.get("gslimit", 10))
        inside = [{"pageid": pg["pageid"], "ns": 0, "title": pg["title"], "lat": pg["lat"], "lon": pg["lon"],
                   "primary": True}
                  for pg in pages if south <= pg["lat"] <= north and west <= pg["lon"] <= east]
        return {"batchcomplete": True, "query": {"geosearch": inside[:limit]}}

    server.route("GET", "/w/api.php", handle)
    return server


@pytest.fixture(scope="module")
def tag():
    return uuid.uuid4().hex[:6]


@pytest.fixture
def wiki_pages(mediawiki, tag):
    """Pages on the loopback wiki, titles unique to this test module."""
    t = tag
    made = {}
    if not mediawiki.page_exists(f"常楽寺本堂{t}"):
        mediawiki.create_page(f"常楽寺本堂{t}", "'''常楽寺本堂'''は焼津市にある寺院の本堂。")
        mediawiki.create_page(f"焼津灯台跡{t}", "焼津灯台の跡。")
        mediawiki.create_page(f"旧焼津灯台{t}", f"#REDIRECT [[焼津灯台跡{t}]]")
        # jawiki's way: {{Aimai}} carries __DISAMBIG__, which sets the page property.
        mediawiki.create_page(f"八幡神社{t}", f"'''八幡神社{t}'''\n* [[八幡神社{t} (焼津市)]]\n{{{{Aimai}}}}")
        mediawiki.create_page(f"八幡神社{t} (焼津市)", "焼津市の八幡神社。")
        # A disambiguation page marked only by its category (a wiki without Disambiguator).
        mediawiki.create_page(f"天神社{t}", f"* [[天神社{t} (静岡市)]]\n[[Category:曖昧さ回避]]")
        mediawiki.create_page(f"稲荷神社{t}", "{{Aimai}}")
    made["tag"] = t
    return made


def _site(i, name, **kw):
    return {"id": f"s{i}", "name": name, "municipality": "", "other_articles": {}, "image": "", "lat": None,
            "lon": None, "coord_status": "missing", **kw}


def test_statuses_on_the_real_wiki(mediawiki, wiki_pages):
    t = wiki_pages["tag"]
    client = HttpClient(retries=0)
    api = MediaWikiAPI(mediawiki.api_url, client)
    sites = [
        _site(1, f"常楽寺本堂{t}"),
        _site(2, f"旧焼津灯台{t}"),
        _site(3, f"八幡神社{t}", municipality="焼津市"),
        _site(4, f"天神社{t}", municipality="焼津市"),
        _site(5, f"法華寺{t}"),
        _site(6, "どこにもない寺", other_articles={"ja": f"常楽寺本堂{t}", "en": "Jorakuji Main Hall"}),
        _site(7, f"稲荷神社{t}"),
        _site(8, "名前に[角括弧]がある"),
        _site(9, f"法華寺{t}", image="Hokkeji.jpg"),
    ]
    got = {s.site_id: s for s in check_sites(sites, api, lang="ja", geosearch=False)}

    assert got["s1"].status == "exists" and got["s1"].title == f"常楽寺本堂{t}"
    assert got["s1"].evidence["by"] == "title" and got["s1"].has_photo is False
    assert got["s2"].status == "exists" and got["s2"].title == f"焼津灯台跡{t}"
    assert got["s2"].evidence["redirected_from"] == f"旧焼津灯台{t}"
    # 八幡神社 is a disambiguation page, but "八幡神社 (焼津市)" exists: that is the article.
    assert got["s3"].status == "exists" and got["s3"].title == f"八幡神社{t} (焼津市)"
    # 天神社: marked by category only, and no specific article: ambiguous.
    assert got["s4"].status == "ambiguous" and got["s4"].evidence["marked_by"] == "category"
    assert got["s7"].status == "ambiguous" and got["s7"].evidence["marked_by"] == "pageprops"
    assert got["s5"].status == "missing" and got["s5"].title == ""
    # A Wikidata sitelink is checked on the wiki too; other languages become translation candidates.
    assert got["s6"].status == "exists" and got["s6"].evidence["by"] == "wikidata_sitelink"
    assert got["s6"].other_articles == {"en": "Jorakuji Main Hall"}
    assert got["s8"].status == "missing"  # an impossible title is never found, and does not break the batch
    assert got["s9"].status == "missing" and got["s9"].has_photo is True  # P18 image


def test_page_image_on_the_real_wiki(mediawiki, wiki_pages):
    """PageImages (loaded on the test wiki, as on Wikipedia) names the article's lead image."""
    from PIL import Image

    t = wiki_pages["tag"]
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 160, 90)).save(buf, "JPEG")
    mediawiki.upload(f"Kusu{t}.jpg", buf.getvalue(), text="test photo")
    mediawiki.create_page(f"浜当目の大楠{t}", f"[[File:Kusu{t}.jpg|thumb|大楠]]\n浜当目の大楠は天然記念物。")
    api = MediaWikiAPI(mediawiki.api_url, HttpClient(retries=0))
    (got,) = check_sites([_site(1, f"浜当目の大楠{t}")], api, geosearch=False)
    assert got.status == "exists" and got.has_photo is True


def test_unchecked_when_the_wiki_is_down(mediawiki):
    api = MediaWikiAPI(mediawiki.api_url, HttpClient(retries=0))
    with mediawiki.down():
        got = check_sites([_site(1, "常楽寺"), _site(2, "法華寺", image="a.jpg")], api)
    assert [s.status for s in got] == ["unchecked", "unchecked"]
    assert "could not be reached" in got[0].evidence["reason"] or "connection" in got[0].evidence["reason"]
    assert got[0].title == "" and got[0].has_photo is None and got[1].has_photo is True


def test_batches_titles_50_a_request(mediawiki, wiki_pages):
    """130 sites: 3 requests (every title screened in one, the one page read in one, and one
    prefix search as the budget of 3 allows), never one per site."""
    t = wiki_pages["tag"]
    client = HttpClient(retries=0)
    api = MediaWikiAPI(mediawiki.api_url, client)
    sites = [_site(i, f"存在しない史跡{t}-{i}") for i in range(129)] + [_site(999, f"常楽寺本堂{t}")]
    got = check_sites(sites, api, geosearch=False, budget=3)
    assert client.requests_sent == 3
    assert sum(s.status == "missing" for s in got) == 129 and got[-1].status == "exists"
    assert [g.evidence.get("prefixsearch") for g in got[:2]] == ["checked", "not asked: request budget"]
    # the default budget, ceil(N/50)+5, is spent on prefix searches and never exceeded
    client = HttpClient(retries=0)
    check_sites(sites, MediaWikiAPI(mediawiki.api_url, client), geosearch=False)
    assert client.requests_sent == math.ceil(130 / 50) + 5


def test_real_wiki_has_no_geosearch_and_says_so(mediawiki, wiki_pages):
    t = wiki_pages["tag"]
    api = MediaWikiAPI(mediawiki.api_url, HttpClient(retries=0))
    got = check_sites([_site(1, f"法華寺{t}", lat=34.85, lon=138.30, coord_status="ok")], api)
    assert got[0].status == "missing"
    assert got[0].evidence["geosearch"].startswith("unavailable")


def test_possible_from_geosearch(mediawiki, wiki_pages, standin):
    t = wiki_pages["tag"]
    geo = geodata_standin(standin, [
        {"pageid": 11, "title": "法華寺 (焼津市)", "lat": 34.90860, "lon": 138.33130},  # ~10 m away
        {"pageid": 12, "title": "高草山", "lat": 34.90900, "lon": 138.33100},  # near, other name
        {"pageid": 13, "title": "花沢の里", "lat": 34.95, "lon": 138.40},  # similar? no, and far
        {"pageid": 14, "title": "焼津神社", "lat": 34.8700, "lon": 138.3190},
    ])
    api = MediaWikiAPI(mediawiki.api_url, HttpClient(retries=0))
    geo_api = MediaWikiAPI(f"{geo.url}/w/api.php", HttpClient(retries=0))
    sites = [_site(1, "法華寺", lat=34.908575, lon=138.331239, coord_status="ok"),
             _site(2, f"花沢城跡{t}", lat=34.9050, lon=138.3301, coord_status="ok"),
             _site(3, "焼津神社", lat=34.8800, lon=138.3190, coord_status="ok")]  # 1.1 km from its article
    got = {s.site_id: s for s in check_sites(sites, api, geo_api=geo_api)}
    assert got["s1"].status == "possible" and got["s1"].title == "法華寺 (焼津市)"
    assert got["s1"].evidence["distance_m"] < 30
    assert got["s2"].status == "missing" and got["s2"].evidence["geosearch"] == "checked"
    assert got["s3"].status == "missing"  # a similar title too far away is not evidence
    # One box covers the town: one geosearch request for all sites.
    assert len(geo.requests) == 1


def test_geosearch_tiles_and_splits_full_boxes(standin):
    from wikitown.core.geo import haversine_m

    # A grid of geotagged articles every ~550 m over 11 km, and a dense cluster by the first site.
    pages = [{"pageid": i * 100 + j, "title": f"G{i}-{j}", "lat": 34.78 + i * 0.005, "lon": 138.22 + j * 0.006}
             for i in range(20) for j in range(20)]
    pages += [{"pageid": 90000 + k, "title": f"C{k}", "lat": 34.8100 + (k % 8) * 0.0002,
               "lon": 138.2600 + (k // 8) * 0.0002} for k in range(40)]
    points = [(34.8105, 138.2605), (35.17, 138.26)]  # 40 km apart: separate boxes, not one huge one
    geo = geodata_standin(standin, pages)
    api = MediaWikiAPI(f"{geo.url}/w/api.php", HttpClient(retries=0))
    found = {p["pageid"] for p in geotagged_pages(api, points, pad_m=300, tile_km=10, limit=50)}
    near = {p["pageid"] for p in pages if any(haversine_m(p["lat"], p["lon"], *pt) <= 300 for pt in points)}
    assert len(near) > 40 and near <= found
    boxes = [r.params["gsbbox"] for r in geo.requests]
    for box in boxes:
        north, west, south, east = (float(x) for x in box.split("|"))
        assert north - south <= 10 / 111.32 + 1e-6
    # full boxes were split (more than the 2 first boxes), but only around the sites
    assert 2 < len(boxes) <= 2 + 4 * 3 * 2


def test_pageprops_disambiguation_jawiki_shape(standin):
    """jawiki marks disambiguation pages with the page property; a stand-in in its exact shape."""
    server = standin()

    def handle(req):
        if req.params.get("action") == "parse":  # the existence screen: the links, red or blue
            asked = re.findall(r"\[\[:([^\]]+)\]\]", req.params["text"])
            return {"parse": {"title": "API", "pageid": 0, "links": [
                {"ns": 0, "title": t, "exists": t in ("大師堂", "浜当目の大楠")} for t in asked]}}
        if req.params.get("list") == "prefixsearch":
            return {"batchcomplete": True, "query": {"prefixsearch": []}}
        titles = req.params["titles"].split("|")
        pages = []
        for i, title in enumerate(titles):
            if title == "大師堂":
                pages.append({"pageid": 100, "ns": 0, "title": "大師堂", "contentmodel": "wikitext",
                              "pageprops": {"disambiguation": ""}})
            elif title == "浜当目の大楠":
                pages.append({"pageid": 101, "ns": 0, "title": title, "contentmodel": "wikitext",
                              "langlinks": [{"lang": "en", "title": "Great camphor of Hamatōme"},
                                            {"lang": "zh", "title": "濱當目大樟"}],
                              "pageimage": "Hamatome_kusu.jpg"})
            else:
                pages.append({"ns": 0, "title": title, "missing": True})
        return {"batchcomplete": True, "query": {"pages": pages}}

    server.route("*", "/w/api.php", handle)
    api = MediaWikiAPI(f"{server.url}/w/api.php", HttpClient(retries=0))
    got = check_sites([_site(1, "大師堂"), _site(2, "無い寺"), _site(3, "浜当目の大楠")], api, geosearch=False)
    assert [g.status for g in got] == ["ambiguous", "missing", "exists"]
    assert got[0].evidence["marked_by"] == "pageprops"
    # langlinks are translation candidates; the article's page image means a photo exists
    assert got[2].other_articles == {"en": "Great camphor of Hamatōme", "zh": "濱當目大樟"}
    assert got[2].has_photo is True and got[1].has_photo is False
    details = [r for r in server.requests if "titles" in r.params]
    assert "disambiguation" in details[0].params["ppprop"].split("|")


@pytest.fixture(scope="module")
def letters(tag):
    """The module's tag in letters only (an owner name with digits is not taken for a name)."""
    return tag.translate(str.maketrans("0123456789", "ghijklmnop"))


@pytest.fixture
def other_title_pages(mediawiki, letters):
    t = letters
    pages = {
        # the general articles on common nouns (shared by every run; created once)
        "本堂": "'''本堂'''は寺院で本尊を安置する建物。\n[[Category:仏教建築]]",
        "厨子": "'''厨子'''は仏像などを納める仏具。\n[[Category:仏具]]",
        f"奉納額{t}": "社寺に奉納される額。\n[[Category:仏教美術]]\n[[Category:神道]]",
        f"石敢當{t}": "焼津の石敢當。\n[[Category:静岡県の石造物]]",
        # the owner's articles
        f"海蔵{t}寺": "焼津市の寺院。\n[[Category:焼津市の寺院]]",
        f"海蔵{t}寺本堂": "海蔵寺の本堂。",
        # articles under another title
        f"旧安田楠雄邸{t}": "文京区の邸宅と庭園。",
        f"根津教会{t} (文京区)": "文京区の教会。",
        f"大円寺{t} (寺院)": "寺院。",
        # names as the source writes them (full-width brackets) and as NFKC makes them
        f"田中家住宅{t}（主屋）": "全角括弧の題名。",
        f"鈴木家住宅{t}(旧宅)": "半角括弧の題名。",
    }
    for title, text in pages.items():
        if not mediawiki.page_exists(title):
            mediawiki.create_page(title, text)
    return t


def test_common_nouns_are_not_the_sites_article(mediawiki, other_title_pages):
    """本堂 on the wiki is the article on main halls in general: the site's article is the owner's
    hall (海蔵寺本堂), found from 所有者 or from the address; every title checked says why."""
    t = other_title_pages
    api = MediaWikiAPI(mediawiki.api_url, HttpClient(retries=0))
    sites = [
        _site(1, "本堂", data={"line": 5, "所有者": f"宗教法人海蔵{t}寺"}),
        _site(2, "本堂", address=f"焼津市浜当目 海蔵{t}寺"),
        _site(3, "厨子"),
        _site(4, "山門", owner=f"海蔵{t}寺"),
        _site(5, f"奉納額{t}"),  # not in the word list: the wiki says it belongs to no place
        _site(6, f"石敢當{t}"),  # in a place's category: that is a place's article
    ]
    got = {s.site_id: s for s in check_sites(sites, api, geosearch=False)}
    hall = got["s1"]
    assert hall.status == "exists" and hall.title == f"海蔵{t}寺本堂"
    assert hall.evidence["by"] == "owner_title" and hall.evidence["why"] == f"owner 海蔵{t}寺 + name"
    assert hall.evidence["checked"][0] == {"title": "本堂", "by": "title", "why": "name in the source",
                                           "result": "general_article", "reason": "common_noun",
                                           "categories": ["仏教建築"]}
    assert got["s2"].status == "exists" and got["s2"].title == f"海蔵{t}寺本堂"  # the temple from the address
    # 厨子 with no owner: no article, and the general one is named as what it is
    assert got["s3"].status == "missing" and got["s3"].title == ""
    assert got["s3"].evidence["general_article"] == {"title": "厨子", "reason": "common_noun"}
    # 山門 of 海蔵寺: no 海蔵寺山門, but the temple's article may cover its gate
    assert got["s4"].status == "possible" and got["s4"].title == f"海蔵{t}寺"
    assert got["s4"].evidence["by"] == "owner_article"
    assert [c["title"] for c in got["s4"].evidence["checked"]][:2] == ["山門", f"海蔵{t}寺山門"]
    # a page in no place's category and not in the word list: not counted as the site's article,
    # and not as missing either -- named for a person to check
    assert got["s5"].status == "possible" and got["s5"].title == f"奉納額{t}"
    assert got["s5"].evidence["by"] == "no_place" and got["s5"].evidence["general_article"]["reason"] == "no_place"
    assert got["s6"].status == "exists" and got["s6"].title == f"石敢當{t}"


def test_articles_under_another_title(mediawiki, other_title_pages):
    """The parent's article, name (municipality) and the prefix search: never 'missing'."""
    t = other_title_pages
    client = HttpClient(retries=0)
    api = MediaWikiAPI(mediawiki.api_url, client)
    sites = [
        _site(1, f"旧安田楠雄邸{t}庭園", municipality="文京区"),
        _site(2, f"旧安田楠雄邸{t}（庭園）"),
        _site(3, f"根津教会{t}", municipality="文京区"),
        _site(4, f"大円寺{t}"),  # only the wiki's prefix search finds "大円寺 (寺院)"
        _site(5, f"記事のない史跡{t}", municipality="文京区"),
    ]
    got = {s.site_id: s for s in check_sites(sites, api, geosearch=False)}
    assert got["s1"].status == "possible" and got["s1"].title == f"旧安田楠雄邸{t}"
    assert got["s1"].evidence["by"] == "parent_title" and got["s1"].evidence["why"] == "name without 庭園"
    assert got["s2"].status == "possible" and got["s2"].title == f"旧安田楠雄邸{t}"
    assert got["s3"].status == "exists" and got["s3"].title == f"根津教会{t} (文京区)"
    assert got["s3"].evidence["by"] == "qualified_title"
    assert got["s4"].status == "possible" and got["s4"].title == f"大円寺{t} (寺院)"
    assert got["s4"].evidence["by"] == "prefixsearch"
    assert got["s5"].status == "missing" and got["s5"].evidence["prefixsearch"] == "checked"
    assert set(got["s5"].evidence["asked"]) == {f"記事のない史跡{t}", f"記事のない史跡{t} (文京区)"}
    assert client.requests_sent <= math.ceil(5 / 50) + 5


def test_both_forms_of_the_name(mediawiki, other_title_pages):
    """The source's exact title (full-width brackets) and its NFKC form are both asked."""
    t = other_title_pages
    api = MediaWikiAPI(mediawiki.api_url, HttpClient(retries=0))
    sites = [
        _site(1, f"田中家住宅{t}（主屋）", name_key=f"田中家住宅{t}(主屋)"),  # sitemodel's two fields
        _site(2, f"鈴木家住宅{t}（旧宅）"),  # the wiki uses the half-width form
        _site(3, f"鈴木家住宅{t}(旧宅)", name_key=f"鈴木家住宅{t}(旧宅)"),
    ]
    got = {s.site_id: s for s in check_sites(sites, api, geosearch=False)}
    assert got["s1"].status == "exists" and got["s1"].title == f"田中家住宅{t}（主屋）"
    assert got["s1"].evidence["by"] == "title"
    assert got["s2"].status == "exists" and got["s2"].title == f"鈴木家住宅{t}(旧宅)"
    assert got["s2"].evidence["by"] == "title_normalized"
    assert got["s3"].status == "exists" and got["s3"].evidence["by"] == "title"


def test_coordinates_tell_a_place_article_from_another(standin):
    """GeoData's prop=coordinates (a stand-in in its formatversion=2 shape): 常楽寺 on the wiki lies
    in Shiga, 90 km from the site in Yaizu, so it is another temple's article; 常楽寺 (焼津市) is the
    site's. A same-named article 200 m away is the site's."""
    server = standin()
    pages = {"常楽寺": (35.0016, 136.0076, "Q111"), "常楽寺 (焼津市)": (34.8712, 138.3118, ""),
             "法華寺": (34.9088, 138.3315, "")}

    def handle(req):
        p = req.params
        if p.get("action") == "parse":
            asked = re.findall(r"\[\[:([^\]]+)\]\]", p["text"])
            return {"parse": {"links": [{"ns": 0, "title": a, "exists": a in pages} for a in asked]}}
        if p.get("list") == "prefixsearch":
            return {"query": {"prefixsearch": [{"ns": 0, "title": k} for k in pages if k.startswith(p["pssearch"])]}}
        assert "coordinates" in p["prop"].split("|") and p["coprimary"] == "primary"
        out = []
        for i, title in enumerate(p["titles"].split("|")):
            if title in pages:
                lat, lon, item = pages[title]
                page = {"pageid": 100 + i, "ns": 0, "title": title,
                        "coordinates": [{"lat": lat, "lon": lon, "primary": True, "globe": "earth"}],
                        "categories": [{"ns": 14, "title": "Category:寺院"}]}
                if item:
                    page["pageprops"] = {"wikibase_item": item}
                out.append(page)
            else:
                out.append({"ns": 0, "title": title, "missing": True})
        return {"batchcomplete": True, "query": {"pages": out}}

    server.route("*", "/w/api.php", handle)
    api = MediaWikiAPI(f"{server.url}/w/api.php", HttpClient(retries=0))
    sites = [_site(1, "常楽寺", municipality="焼津市", lat=34.8710, lon=138.3120, coord_status="ok"),
             _site(2, "常楽寺", lat=34.8710, lon=138.3120, coord_status="ok"),
             _site(3, "法華寺", lat=34.9075, lon=138.3330, coord_status="ok")]
    got = check_sites(sites, api, geosearch=False)
    assert got[0].status == "exists" and got[0].title == "常楽寺 (焼津市)"
    assert got[0].evidence["checked"][0]["result"] == "other_place" and got[0].evidence["checked"][0]["distance_m"] > 80_000
    # without the municipality, the prefix search still names the candidate
    assert got[1].status == "possible" and got[1].title == "常楽寺 (焼津市)"
    assert got[2].status == "exists" and got[2].evidence["place"]["distance_m"] < 300


def test_unchecked_sites_say_why(mediawiki):
    """The wiki down: every site unchecked with the reason in the user's language, the failed
    request counted once, nothing more asked."""
    from wikitown.gaps.article_status import missing_filter_note, status_note

    api = MediaWikiAPI(mediawiki.api_url, HttpClient(retries=0))
    failures: list = []
    with mediawiki.down():
        got = check_sites([_site(1, "常楽寺", municipality="焼津市"), _site(2, "本堂", owner="海蔵寺")], api,
                          failures=failures)
    assert [g.status for g in got] == ["unchecked", "unchecked"] and len(failures) == 1
    assert got[0].evidence["reason_key"] == "error.service_unavailable"
    note = status_note("unchecked", got[0].evidence, "ja")
    assert note.startswith("ウィキペディアに確認できませんでした") and "接続できませんでした" in note
    assert status_note("unchecked", None, "ja") == "まだウィキペディアに問い合わせていません。"
    why = missing_filter_note(["unchecked", "unchecked"], [g.evidence for g in got], "ja")
    assert why.startswith("2 件はまだ記事の有無を確認できていません")
    assert missing_filter_note(["exists", "missing"], [{}, {}], "ja") == ""


def test_owners_and_parents_read_from_the_source():
    """What a common noun belongs to, from the source's own fields; a town or a person is never
    taken for the temple whose article covers a hall."""
    from wikitown.gaps.article_status import name_forms, owner_names, parent_titles, secondary_candidates

    assert owner_names({"owner": "焼津市", "address": "焼津市本町2丁目 海蔵寺",
                        "data": {"所有者": "宗教法人 常楽寺"}}) == ["常楽寺", "海蔵寺"]
    assert owner_names({"source_values": [{"所有者等": "宗教法人常楽寺、個人"}]}) == ["常楽寺"]
    assert owner_names({"address": "静岡県焼津市浜当目三丁目"}) == []
    titles = [(c.title, c.by) for c in secondary_candidates(
        {"name": "本堂", "municipality": "焼津市", "owner": "山田太郎"}, True)]
    assert titles == [("本堂 (焼津市)", "qualified_title"), ("山田太郎本堂", "owner_title")]  # no 山田太郎 article
    assert parent_titles("旧安田楠雄邸（庭園）") == [("旧安田楠雄邸", "庭園")]
    assert parent_titles("花沢城跡") == [("花沢城", "跡")] and parent_titles("本堂") == []
    # the source's text first, then its NFKC form; a matching key is not a title
    assert name_forms({"name": "田中家住宅（主屋）", "name_key": "田中家住宅主屋"}) == ["田中家住宅（主屋）", "田中家住宅(主屋)"]
    assert name_forms({"name": "", "name_key": "常楽寺"}) == ["常楽寺"]


def test_wikidata_item_of_the_page_is_read_in_the_same_request(standin):
    """The page's Wikidata item (page property wikibase_item) comes with the page details: the
    same item confirms the article, another item means another subject of the same name."""
    server = standin()

    def handle(req):
        p = req.params
        if p.get("action") == "parse":
            asked = re.findall(r"\[\[:([^\]]+)\]\]", p["text"])
            return {"parse": {"links": [{"ns": 0, "title": a, "exists": a == "薬師寺"} for a in asked]}}
        if p.get("list") == "prefixsearch":
            return {"query": {"prefixsearch": []}}
        assert "wikibase_item" in p["ppprop"].split("|")
        return {"query": {"pages": [
            {"pageid": 7, "ns": 0, "title": t, "pageprops": {"wikibase_item": "Q333"}} if t == "薬師寺" else
            {"ns": 0, "title": t, "missing": True} for t in p["titles"].split("|")]}}

    server.route("*", "/w/api.php", handle)
    api = MediaWikiAPI(f"{server.url}/w/api.php", HttpClient(retries=0))
    got = check_sites([_site(1, "薬師寺", wikidata_id="Q333"), _site(2, "薬師寺", wikidata_id="Q999"),
                       _site(3, "薬師寺")], api, geosearch=False)
    assert got[0].status == "exists" and got[0].evidence["wikidata_item"] == "Q333"
    assert got[1].status == "missing"
    assert got[1].evidence["checked"][0]["result"] == "other_place" and got[1].evidence["checked"][0]["wikidata_item"] == "Q333"
    assert got[2].status == "exists" and got[2].evidence["wikidata_item"] == "Q333"
    details = [r for r in server.requests if "titles" in r.params]
    assert len(details) == 1  # one request for the three sites' page details


def test_status_notes_in_words():
    from wikitown.gaps.article_status import status_note

    missing = {"by": "none", "general_article": {"title": "本堂", "reason": "common_noun"},
               "checked": [{"title": "本堂", "result": "general_article"}, {"title": "海蔵寺本堂", "result": "missing"}]}
    assert status_note("missing", missing, "ja") == ("「本堂」は一般的な語の記事で、この文化財の記事ではありません（一般的な語）"
                                                     " · 確認した題名: 本堂 (一般的な語の記事), 海蔵寺本堂 (なし)")
    other = {"general_article": {"title": "薬師寺", "reason": "other_place"}, "checked": []}
    assert status_note("missing", other, "en").startswith('"薬師寺" is the article on another place')
    assert status_note("exists", {"by": "owner_title", "title": "海蔵寺本堂"}, "ja") == \
        "「海蔵寺本堂」（所有者・所在の寺社名 + 名称）"
    assert status_note("exists", {"by": "title", "title": "灯台跡", "redirected_from": "旧灯台"}, "en") == \
        '"灯台跡" (the name as title) · redirected from "旧灯台"'
    assert status_note("possible", {"by": "geosearch", "title": "法華寺 (焼津市)", "distance_m": 12}, "ja") == \
        "「法華寺 (焼津市)」が該当するかもしれません（近くの位置情報付き記事、12 m）"


def test_spaced_name_is_asked_without_spaces(mediawiki, other_title_pages):
    """A list's 海蔵寺　本堂 (U+3000) is jawiki's 海蔵寺本堂."""
    t = other_title_pages
    api = MediaWikiAPI(mediawiki.api_url, HttpClient(retries=0))
    (got,) = check_sites([_site(1, f"海蔵{t}寺　本堂")], api, geosearch=False)
    assert got.status == "exists" and got.title == f"海蔵{t}寺本堂" and got.evidence["by"] == "title_nospace"
    # MediaWiki reads U+3000 in a title as a space, so the name is asked once in that form, then without
    assert [c["title"] for c in got.evidence["checked"]] == [f"海蔵{t}寺 本堂", f"海蔵{t}寺本堂"]


def test_a_failed_request_leaves_only_its_sites_unchecked(standin):
    """Page details 50 titles a request: the batch the wiki fails on leaves its sites unchecked with
    the reason; the other batch's sites are answered."""
    server = standin()

    def handle(req):
        p = req.params
        if p.get("action") == "parse":
            asked = re.findall(r"\[\[:([^\]]+)\]\]", p["text"])
            return {"parse": {"links": [{"ns": 0, "title": a, "exists": a.startswith("寺")} for a in asked]}}
        if p.get("list") == "prefixsearch":
            return {"query": {"prefixsearch": []}}
        titles = p["titles"].split("|")
        if "寺60" in titles:
            return {"error": {"code": "internal_api_error_DBQueryError", "info": "Database query error"}}
        return {"query": {"pages": [{"pageid": i + 1, "ns": 0, "title": t} for i, t in enumerate(titles)]}}

    server.route("*", "/w/api.php", handle)
    failures: list = []
    api = MediaWikiAPI(f"{server.url}/w/api.php", HttpClient(retries=0))
    got = check_sites([_site(i, f"寺{i}") for i in range(80)] + [_site(99, "無い碑")], api, geosearch=False,
                      failures=failures)
    statuses = [g.status for g in got]
    assert statuses[:50] == ["exists"] * 50 and statuses[50:80] == ["unchecked"] * 30 and statuses[80] == "missing"
    assert "DBQueryError" in got[60].evidence["reason"] and got[60].evidence["checked"][0]["result"] == "request_failed"
    assert len(failures) == 1


def test_wikidata_sitelink_asked_for_a_lists_own_item(mediawiki, other_title_pages, standin):
    """A municipal list that gives Wikidata ids: the item's jawiki sitelink (wbgetentities, in its
    real shape) names the article the name did not find; asked 50 items a request, in the budget."""
    t = other_title_pages
    repo = standin()

    def handle(req):
        p = req.params
        assert p["action"] == "wbgetentities" and p["props"] == "sitelinks" and p["sitefilter"] == "jawiki"
        entities = {}
        for qid in p["ids"].split("|"):
            if qid == "Q900501":
                entities[qid] = {"type": "item", "id": qid, "sitelinks": {
                    "jawiki": {"site": "jawiki", "title": f"旧安田楠雄邸{t}", "badges": []}}}
            elif qid == "Q900599":
                entities[qid] = {"id": qid, "missing": ""}
            else:
                entities[qid] = {"type": "item", "id": qid, "sitelinks": {}}
        return {"entities": entities, "success": 1}

    repo.route("GET", "/w/api.php", handle)
    client = HttpClient(retries=0)
    api = MediaWikiAPI(mediawiki.api_url, client)
    wd_api = MediaWikiAPI(f"{repo.url}/w/api.php", client, service="Wikidata API")
    sites = [_site(1, f"安田邸{t}の門", wikidata_id="Q900501"),
             _site(2, f"無い門{t}", wikidata_id="Q900502"),
             _site(3, f"消えた門{t}", wikidata_id="Q900599"),
             _site(4, f"花沢城跡{t}", wikidata_id="Q900002", sources="opendata:x.csv;wikidata")]  # SPARQL said
    got = {s.site_id: s for s in check_sites(sites, api, geosearch=False, wikidata_api=wd_api)}
    assert got["s1"].status == "exists" and got["s1"].title == f"旧安田楠雄邸{t}"
    assert got["s1"].evidence["by"] == "wikidata_sitelink"
    assert got["s2"].status == "missing" and got["s2"].evidence["wikidata_sitelink"] == "checked"
    assert got["s3"].status == "missing"
    assert "wikidata_sitelink" not in got["s4"].evidence
    assert len(repo.requests) == 1 and repo.requests[0].params["ids"] == "Q900501|Q900502|Q900599"
    assert client.requests_sent <= math.ceil(4 / 50) + 5
