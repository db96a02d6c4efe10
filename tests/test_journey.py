"""The whole event in a real browser (issue 8): Debian's Chromium against the real app, the loopback
MediaWiki, a pyoxigraph SPARQL endpoint and stand-ins for Overpass, Nominatim and NDL Search.

organizer (laptop) creates an event -> imports a municipal CSV (Shift_JIS) -> finds the gaps -> picks
targets -> plans two teams; participant (iPhone 13) joins by the QR link -> a photo with GPS and one
without (matched by the emulated position); librarian (laptop) adds a book by ISBN, writes, submits
and approves a draft; organizer publishes; the report's figures are checked against the wiki's API.

Screenshots: test-artifacts/screenshots/journey-NN-*.png
"""
from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import pytest

from tests.harness.app import goto_app, shot, wait_for_app
from tests.photo_samples import jpeg
from tests.sparql_standin import sparql_standin
from wikitown.finds.access import DEMO_PASSPHRASES
from wikitown.store.events import open_event
from wikitown.core.paths import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.wiki, pytest.mark.slow]

CENTRE = (34.8669, 138.3236)  # Yaizu city hall
ORGANIZER_PW = "journey-organizer-passphrase"
LIBRARIAN_PW = "journey-librarian-passphrase"
SLUG = "journey-town"
LAPTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False,
          "device_scale_factor": 1}
RSS = Path(__file__).with_name("fixtures") / "ndl_opensearch_isbn.xml"
ISBN = "978-4-04-893065-9"  # the NDL record in the fixture (any valid ISBN the stand-in knows would do)
BOOK_TITLE = "焼津の文化財 : 史跡と民俗をたずねて"
SECRET_LABEL = "BotPassword（このセッションの間だけ保持し、保存しません）"

# The municipal list, as the 推奨データセット 文化財一覧 lays it out. {t} keeps titles apart from other
# tests' pages on the session wiki. Coordinates around Yaizu city hall; one row has only an address.
HEADER = "NO,名称,名称_カナ,名称_英語,文化財分類,種類,場所名称,住所,緯度,経度"
ROWS = [
    ("焼津神社{t}", "やいづじんじゃ", "Yaizu Shrine", "市指定", "建造物", "焼津神社", "焼津市焼津2-7-2", 34.8697, 138.3260),
    ("旧焼津港灯台{t}", "きゅうやいづこうとうだい", "", "市指定", "史跡", "焼津港", "焼津市本町", 34.8655, 138.3300),
    ("八幡神社{t}", "はちまんじんじゃ", "", "市指定", "建造物", "", "焼津市八楠", 34.8620, 138.3180),
    ("当目砦跡{t}", "とうめとりでのあと", "", "市指定", "史跡", "虚空蔵山", "焼津市浜当目", 34.8600, 138.3250),
    ("石津の道標{t}", "いしづのみちしるべ", "", "市指定", "有形民俗", "", "焼津市石津", 34.8700, 138.3150),
    ("小川城跡{t}", "こがわじょうあと", "", "市指定", "史跡", "", "焼津市西小川", 34.8580, 138.3120),
    ("浜当目の大楠{t}", "はまとうめのおおくす", "", "市指定", "天然記念物", "", "焼津市浜当目", 34.8690, 138.3330),
    ("海蔵寺山門{t}", "かいぞうじさんもん", "", "市指定", "建造物", "海蔵寺", "焼津市本町2丁目", None, None),
]
GEOCODED = (34.8672, 138.3275)  # where the Nominatim stand-in puts 本町2丁目

TTL = """@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix p: <http://www.wikidata.org/prop/> .
@prefix ps: <http://www.wikidata.org/prop/statement/> .
@prefix wikibase: <http://wikiba.se/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <http://schema.org/> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix s: <http://www.wikidata.org/entity/statement/> .
wd:Q43113623 rdfs:label "市指定文化財"@ja .
wd:Q980001 rdfs:label "焼津神社{t}"@ja ; wdt:P1435 wd:Q43113623 ; p:P1435 s:Q980001-a ;
    wdt:P625 "Point(138.3260 34.8697)"^^geo:wktLiteral .
s:Q980001-a ps:P1435 wd:Q43113623 ; wikibase:rank wikibase:NormalRank .
<https://ja.wikipedia.org/wiki/{t_url}> schema:about wd:Q980001 ; schema:isPartOf <https://ja.wikipedia.org/> ;
    schema:name "焼津神社{t}"@ja .
wd:Q980002 rdfs:label "当目砦跡{t}"@ja ; wdt:P1435 wd:Q43113623 ; p:P1435 s:Q980002-a ;
    wdt:P625 "Point(138.3250 34.8600)"^^geo:wktLiteral .
s:Q980002-a ps:P1435 wd:Q43113623 ; wikibase:rank wikibase:NormalRank .
wd:Q980003 rdfs:label "花沢の里{t}"@ja ; wdt:P1435 wd:Q43113623 ; p:P1435 s:Q980003-a ;
    wdt:P625 "Point(138.3100 34.8750)"^^geo:wktLiteral .
s:Q980003-a ps:P1435 wd:Q43113623 ; wikibase:rank wikibase:NormalRank .
"""


def _csv_bytes(t: str) -> bytes:
    lines = [HEADER]
    for i, (name, kana, en, cls, kind, place, addr, lat, lon) in enumerate(ROWS, 1):
        coords = f"{lat},{lon}" if lat is not None else ","
        lines.append(f"{i},{name.format(t=t)},{kana},{en},{cls},{kind},{place},{addr},{coords}")
    return ("\r\n".join(lines) + "\r\n").encode("shift_jis")


def _services(standin, tmp_path, t):
    from urllib.parse import quote

    ttl = tmp_path / "wikidata.ttl"
    ttl.write_text(TTL.replace("{t_url}", quote(f"焼津神社{t}")).replace("{t}", t), encoding="utf-8")
    sparql = sparql_standin(standin, ttl)
    other = standin()
    other.route("POST", "/api/interpreter", {"version": 0.6, "elements": []})

    def search(req):
        if "本町2丁目" not in req.query.get("q", ""):
            return []
        lat, lon = GEOCODED
        return [{"place_id": 1, "licence": "Data © OpenStreetMap contributors, ODbL 1.0.", "osm_type": "way",
                 "osm_id": 2, "lat": str(lat), "lon": str(lon), "class": "place", "type": "quarter",
                 "place_rank": 22, "importance": 0.1, "addresstype": "quarter", "name": "本町",
                 "display_name": "本町2丁目, 焼津市, 静岡県, 日本",
                 "boundingbox": [str(lat - 0.001), str(lat + 0.001), str(lon - 0.001), str(lon + 0.001)]}]

    other.route("GET", "/search", search)
    # NDL's real answer for an ISBN (tests/fixtures), retitled as the local-history book a library would lend.
    rss = RSS.read_text(encoding="utf-8")
    for old, new in (("Clean Architecture : 達人に学ぶソフトウェアの構造と設計", BOOK_TITLE),
                     ("クリーン アーキテクチャ : タツジン ニ マナブ ソフトウェア ノ コウゾウ ト セッケイ",
                      "ヤイズ ノ ブンカザイ"), ("Martin, Robert C", "焼津市教育委員会")):
        rss = rss.replace(old, new)
    other.route("GET", "/api/opensearch", lambda req: (200, {"Content-Type": "application/xml"}, rss.encode()))
    return sparql, other


def _laptop(phone_context):
    return phone_context(geolocation=None, **LAPTOP).new_page()


def _sign_in(page, passphrase: str) -> None:
    page.get_by_label("パスフレーズ").fill(passphrase)
    page.get_by_role("button", name="ログイン").click()
    wait_for_app(page)


def _choose(page, label: str, option: str) -> None:
    """Pick one option of a Streamlit selectbox or multiselect by its label."""
    box = page.locator("[data-testid='stSelectbox'], [data-testid='stMultiSelect']").filter(
        has=page.get_by_text(label, exact=True)).first
    field = box.locator("input").first
    field.click()
    field.press("ArrowDown")  # opens the list (a click alone leaves a multiselect in a form closed)
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()
    wait_for_app(page)


def _open(expander) -> None:
    if expander.locator("details").first.get_attribute("open") is None:
        expander.locator("summary").first.click()


def _fill(page, label: str, value: str) -> None:
    box = page.get_by_role("textbox", name=label, exact=True)
    box.fill(value)
    box.press("Enter")
    wait_for_app(page)


def test_the_whole_event(tmp_path, start_app, phone_context, standin, mediawiki, pywikibot_dir):
    t = uuid.uuid4().hex[:4]
    names = [r[0].format(t=t) for r in ROWS]
    shrine, lighthouse, hachiman, toride, michishirube = names[:5]
    # The wiki as it stands before the event: one article, one redirect, one disambiguation page.
    mediawiki.create_page(shrine, f"'''{shrine}'''は焼津市にある神社。")
    mediawiki.create_page(f"焼津港灯台{t}", "焼津港の灯台。")
    mediawiki.create_page(lighthouse, f"#REDIRECT [[焼津港灯台{t}]]")
    mediawiki.create_page(hachiman, f"'''{hachiman}'''\n* [[{hachiman} (静岡市)]]\n{{{{Aimai}}}}")
    sparql, other = _services(standin, tmp_path, t)
    events = tmp_path / "events"
    shutil.copytree(PROJECT_ROOT / "events" / "demo-yaizu", events / "demo-yaizu",
                    ignore=shutil.ignore_patterns("store.sqlite*", "media"))
    app = start_app(events, env={
        "WIKITOWN_WIKI_API_URL": mediawiki.api_url, "WIKITOWN_COMMONS_API_URL": mediawiki.api_url,
        "WIKITOWN_WIKIDATA_SPARQL_URL": f"{sparql.url}/sparql", "WIKITOWN_OVERPASS_URL": f"{other.url}/api/interpreter",
        "WIKITOWN_NOMINATIM_URL": other.url, "WIKITOWN_NDL_SEARCH_URL": f"{other.url}/api",
        "PYWIKIBOT_DIR": str(pywikibot_dir)})

    # 1. Organizer: a new event from the demo's sign-in ---------------------------------------------
    org = _laptop(phone_context)
    goto_app(org, f"{app}/organizer")
    _sign_in(org, DEMO_PASSPHRASES["organizer"])
    org.get_by_role("tab", name="イベント", exact=True).click()
    wait_for_app(org)  # a tab opens its view on the server
    form = org.get_by_test_id("stForm")
    for label, value in (("イベント名", "焼津まち歩きウィキペディアタウン"), ("フォルダー名", SLUG),
                         ("中心の緯度,経度", f"{CENTRE[0]},{CENTRE[1]}"), ("市区町村名", "焼津市"),
                         ("主催者のパスフレーズ", ORGANIZER_PW), ("司書のパスフレーズ", LIBRARIAN_PW)):
        form.get_by_label(label, exact=True).fill(value)
    shot(org, "journey-01-new-event", tall=True)
    org.get_by_role("button", name="作成する").click()
    wait_for_app(org)
    event = open_event(events / SLUG)
    code = event.config.code
    org.get_by_text(f"参加コードは {code} です").wait_for()

    # Sites tab: the municipal CSV, then the sources and the wiki
    org.get_by_role("tab", name="文化財・スポット").click()
    wait_for_app(org)  # a tab opens its view on the server
    sources = org.get_by_test_id("stExpander").filter(has_text="情報源")
    _open(sources)
    sources.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        {"name": "bunkazai_ichiran.csv", "mimeType": "text/csv", "buffer": _csv_bytes(t)})
    wait_for_app(org)
    _open(sources)  # the rerun after the upload may draw the panel afresh, closed
    org.get_by_role("button", name="ファイルを取り込む").click()
    wait_for_app(org)
    org.get_by_text(re.compile(r"bunkazai_ichiran\.csv: 8 件、報告 0 行（文字コード (shift_jis|cp932)）", re.I)).first.wait_for()
    _open(sources)
    org.get_by_role("button", name="情報源に問い合わせて記事を確認する").click()
    wait_for_app(org, timeout=90_000)
    statuses = org.get_by_text(re.compile("^記事: "))
    statuses.wait_for()
    for label in ("記事あり", "記事なし", "曖昧さ回避"):
        assert label in statuses.inner_text()
    shot(org, "journey-02-gaps", tall=True)
    from wikitown.store.sites import sites_frame

    frame = sites_frame(event.store).set_index("name")
    assert frame.loc[shrine, "article_status"] == "exists"
    assert frame.loc[lighthouse, "article_status"] == "exists"  # through the redirect
    assert frame.loc[hachiman, "article_status"] == "ambiguous"
    assert frame.loc[toride, "article_status"] == "missing"
    assert {"wikidata" in str(s) for s in frame.loc[[shrine, toride], "sources"]} == {True}
    kaizoji = frame.loc[names[7]]
    assert (kaizoji["lat"], kaizoji["lon"]) == pytest.approx(GEOCODED)

    # Targets: the sites with no article, all at once
    org.get_by_text("記事なし", exact=True).first.click()  # the filter checkbox
    wait_for_app(org)
    org.get_by_role("button", name=re.compile("表示中の .* 件をすべて対象にする")).click()
    wait_for_app(org)
    org.get_by_text(re.compile(r"\d+ 件の変更を保存しました")).wait_for()
    frame = sites_frame(event.store)
    chosen = set(frame[frame["selected"].fillna(False).astype(bool)]["name"])
    assert chosen == set(frame[frame["article_status"] == "missing"]["name"]) and {toride, michishirube} <= chosen

    # Plan: two teams
    org.get_by_role("tab", name="班分け・ルート").click()
    wait_for_app(org)  # a tab opens its view on the server
    org.get_by_text(f"選んだ文化財 {len(chosen)} 件を計画します。").wait_for()
    org.get_by_label("チーム数", exact=True).fill("2")
    org.get_by_role("button", name="計画する").click()
    wait_for_app(org)
    org.get_by_text("計画を作って保存しました。").wait_for()
    shot(org, "journey-03-plan", tall=True)
    from wikitown.walk.planner import load_plan

    plan = load_plan(event.store)
    assert len([r for r in plan.routes if r.stops]) == 2
    assert {s.site.id for r in plan.routes for s in r.stops} == set(frame[frame["name"].isin(chosen)]["id"])

    # 2. Participant at phone size: QR link, consent, two photos ------------------------------------
    sites_at = {r[0].format(t=t): (r[7], r[8]) for r in ROWS}
    phone = phone_context(geolocation=(sites_at[michishirube][0] + 0.0001, sites_at[michishirube][1])).new_page()
    goto_app(phone, f"{app}/participant?event={SLUG}&code={code}&lang=en")
    phone.get_by_text("Before you start").wait_for()
    phone.get_by_role("textbox", name="Name to be credited by").fill("焼津 花子")
    phone.get_by_text("I took these photos myself").click()
    phone.get_by_role("button", name="Start").click()
    wait_for_app(phone)
    phone.get_by_text("Sending as 焼津 花子").wait_for()
    shot(phone, "journey-04-participant-joined", tall=True)
    lat, lon = sites_at[toride]
    with_gps = jpeg(size=(640, 480), seed=1, lat=lat + 0.0002, lon=lon + 0.0001)
    phone.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        {"name": "toride.jpg", "mimeType": "image/jpeg", "buffer": with_gps})
    wait_for_app(phone)
    phone.get_by_text("Location: from the photo's GPS.").wait_for()
    phone.get_by_test_id("stText").filter(has_text=toride).first.wait_for()
    phone.get_by_role("textbox", name="Note").fill("虚空蔵山の登り口に案内板")
    shot(phone, "journey-05-participant-gps-photo", tall=True)
    phone.get_by_role("button", name="Send", exact=True).click()
    wait_for_app(phone)
    phone.get_by_text("Saved. Thank you!").wait_for()
    no_gps = jpeg(size=(640, 480), seed=2)
    phone.get_by_text("Location: from your phone").wait_for(timeout=30_000)
    phone.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        {"name": "michishirube.jpg", "mimeType": "image/jpeg", "buffer": no_gps})
    wait_for_app(phone)
    phone.get_by_test_id("stText").filter(has_text=michishirube).first.wait_for()
    shot(phone, "journey-06-participant-browser-location", tall=True)
    phone.get_by_role("button", name="Send", exact=True).click()
    wait_for_app(phone)
    phone.get_by_text("michishirube.jpg: received.").wait_for()
    from wikitown.finds.capture import list_finds

    finds = {f["site_name"]: f for f in list_finds(event)}
    assert set(finds) == {toride, michishirube}
    assert finds[toride]["location_source"] == "exif" and finds[michishirube]["location_source"] == "browser"
    assert all(f["match_status"] == "matched" and f["credit"] == "焼津 花子" for f in finds.values())

    # 3. Librarian: a book by ISBN, a draft written, submitted and approved --------------------------
    lib = _laptop(phone_context)
    goto_app(lib, f"{app}/librarian")
    _choose(lib, "イベント", SLUG)
    _sign_in(lib, LIBRARIAN_PW)
    _fill(lib, "ISBN", ISBN)
    lib.get_by_role("button", name="国立国会図書館サーチで調べる").click()
    wait_for_app(lib)
    lib.get_by_text("の書誌を入力しました").wait_for()
    _choose(lib, "関係する文化財", toride)
    lib.keyboard.press("Escape")
    lib.get_by_role("button", name="登録する").click()
    wait_for_app(lib)
    # The citation the app shows for the book is what goes into the article.
    citation = lib.get_by_test_id("stCode").first.inner_text().strip()
    assert citation.startswith("{{Cite book") and BOOK_TITLE in citation and ISBN in citation, citation
    shot(lib, "journey-07-librarian-book", tall=True)
    from wikitown.drafts.register import list_sources

    books = list_sources(event.store)
    assert [(b.isbn, b.title) for b in books] == [(ISBN, BOOK_TITLE)]

    lib.get_by_role("tab", name="下書き").click()
    _fill(lib, "あなたの名前（履歴に残ります）", "市立図書館 司書")
    _choose(lib, "文化財", toride)
    lib.get_by_role("button", name="下書きを作る").click()
    wait_for_app(lib)
    text = (f"'''{toride}'''（とうめとりでのあと）は、静岡県焼津市浜当目にある砦の跡。"
            f"虚空蔵山の登り口に案内板がある。<ref>{citation}</ref>\n\n"
            "== 脚注 ==\n<references />\n")
    area = lib.get_by_role("textbox", name="ウィキテキスト")
    area.fill(text)
    area.press("Control+Enter")
    wait_for_app(lib)
    lib.get_by_role("button", name="保存する").click()
    wait_for_app(lib)
    lib.get_by_text(re.compile(r"版 r\d+ を保存しました")).wait_for()
    lib.get_by_role("button", name="レビューを依頼する").click()
    wait_for_app(lib)
    # The writer cannot approve their own draft: a second librarian does (issue 12.7).
    lib.get_by_role("button", name="承認する").click()
    wait_for_app(lib)
    lib.get_by_text("レビューを依頼した人なので承認できません").first.wait_for()
    _fill(lib, "あなたの名前（履歴に残ります）", "市立図書館 館長")
    lib.get_by_role("button", name="承認する").click()
    wait_for_app(lib)
    lib.get_by_text("承認済み").first.wait_for()
    shot(lib, "journey-08-librarian-approved", tall=True)
    from wikitown.drafts import review

    drafts = review.list_drafts(event.store)
    assert [(d.state, d.title) for d in drafts] == [("approved", toride)]
    assert [r["author"] for r in review.review_log(event.store, drafts[0].id) if r["action"] == "approve"] == \
        ["市立図書館 館長"]

    # 4. Organizer publishes to the loopback wiki ------------------------------------------------------
    org.get_by_role("tab", name="公開").click()
    wait_for_app(org)  # a tab opens its view on the server
    for label, value in (("写真の送り先", mediawiki.api_url), ("下書きの送り先", mediawiki.api_url),
                         ("BotPassword のログイン名（利用者名@アプリ名）", mediawiki.bot_login_name),
                         (SECRET_LABEL, mediawiki.bot_secret)):
        _fill(org, label, value)
    org.get_by_role("button", name="計画を作る").click()
    wait_for_app(org)
    org.get_by_text(re.compile("アップロード: 2 ・ リンク: 0 ・ ページ編集: 1")).wait_for()
    shot(org, "journey-09-publish-plan", tall=True)
    org.get_by_role("button", name="公開する").click()
    wait_for_app(org, timeout=90_000)
    org.get_by_text(re.compile("完了: 3、失敗: 0")).wait_for()
    shot(org, "journey-10-published", tall=True)

    # 5. The report, confirmed by the wiki, against the wiki's own API ---------------------------------
    org.get_by_role("tab", name="報告").click()
    wait_for_app(org)  # a tab opens its view on the server
    org.get_by_role("button", name="ウィキで確認する").click()
    wait_for_app(org, timeout=60_000)
    confirmed = org.get_by_text(re.compile("^ウィキ上で確認：")).first
    confirmed.wait_for()
    shot(org, "journey-11-report", tall=True)
    from wikitown.report import build_report

    local = build_report(event)
    files = [f if f.startswith("File:") else f"File:{f}" for f in local.files]
    info = mediawiki.api({"action": "query", "titles": "|".join(files + local.pages), "prop": "imageinfo|info",
                          "iiprop": "size", "formatversion": "2"})
    pages = {p["title"]: p for p in info["query"]["pages"]}
    on_wiki_files = [f for f in files if not pages[f].get("missing")]
    on_wiki_pages = [p for p in local.pages if not pages[p].get("missing")]
    assert len(on_wiki_files) == len(finds) and on_wiki_pages == local.pages and len(local.pages) == 1
    published = mediawiki.page_text(on_wiki_pages[0])
    assert toride in on_wiki_pages[0] and "虚空蔵山の登り口に案内板がある" in published and ISBN in published
    used = [(s["title"], s["isbn"], s["sites"]) for s in local.sources_used]
    assert used[0] == (BOOK_TITLE, ISBN, [toride])
    # the municipal list the organizer imported is cited too (the lead's facts come from it)
    assert [(title, isbn) for title, isbn, _ in used[1:]] == [("bunkazai_ichiran.csv", "")] and toride in used[1][2]
    assert org.get_by_text(BOOK_TITLE, exact=False).count() >= 1 and org.get_by_text("焼津 花子").count() >= 1
    kb = round(sum(pages[f]["imageinfo"][0]["size"] for f in on_wiki_files) / 1024)
    allimages = mediawiki.api({"action": "query", "list": "allimages", "aiprefix": toride, "formatversion": "2"})
    assert [i["title"] for i in allimages["query"]["allimages"]] == [f for f in on_wiki_files if toride in f]
    text = confirmed.inner_text()
    assert f"ファイル {len(on_wiki_files)} 件（{kb} KB）" in text, text
    assert f"ページ {len(on_wiki_pages)} 件" in text and "見つからないもの：0 件" in text, text
    assert mediawiki.bot_secret not in app.log()
    event.close()
