"""Issue 12, "Done when": an event run the way a new organizer would, published to two loopback
wikis, and what the wikis hold checked through their own API alone.

The municipal list is tests/data/opendata/tokyo_wards_constructed (Shift_JIS, the municipality
column empty, addresses in 台東区, 文京区 and 荒川区) plus one row of a fourth ward; the photos are
real camera and phone files from tests/data/photos (an iPhone 7 HEIC, a Nikon JPEG written with
Orientation 6, an unrotated JPEG from 焼津市's open data). The sites stay where the list puts them
(inside the event's area); each photo gets the GPS position of the site it is sent for with
exiftool, the camera data, date, maker notes and pixels staying as the camera wrote them, except
the one that must be held for distance, which keeps its own (Italian) position. Participants join
and send finds through ``wikitown.finds.capture``, librarians review through ``wikitown.drafts``,
and the organizer publishes photos through ``make_plan``/``run_apply`` (one photographer signed in
under her own account), then the drafts through ``python -m wikitown publish DIR --plan/--apply``.
The session wiki plays Commons (files), a fresh copy plays the Japanese Wikipedia (drafts and edits).
"""
from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import uuid

import pytest

from tests.harness.mediawiki import random_password
from tests.harness.requirements import need, shared_data
from tests.photo_samples import sample_photo
from wikitown.cli import main
from wikitown.core.config import save_config
from wikitown.core.errors import AccessDenied
from wikitown.drafts import builder as drafts
from wikitown.drafts import review
from wikitown.finds import capture
from wikitown.gaps.collect import import_files, run_gaps
from wikitown.net.wiki import SessionBotPassword, SessionLogin
from wikitown.publish import make_plan, run_apply, wiki_specs
from wikitown.store.events import create_event, open_event
from wikitown.store.sites import load_sites

pytestmark = [pytest.mark.wiki, pytest.mark.slow]

SOURCE = ("opendata", "tokyo_wards_constructed", "bunkazai_tokyo_sjis.csv")
# A fourth ward, and a reading with a long-vowel mark (ー) for the sort key.
EXTRA_ROW = ["T010", "", "モース博士記念碑", "もーすはかせきねんひ", "区指定史跡", "史跡",
             "東京都品川区大井六丁目21番6号", "35.589900", "139.734600", "", ""]
# The article that exists under the source's exact title (full-width brackets, as the list has it).
EXISTING = "寛永寺旧本坊表門（黒門）"


def _exiftool(path, *args: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", *args, str(path)], check=True)


def _photo_at(src, dest, lat: float, lon: float, *extra: str) -> bytes:
    """A copy of a real photo with the GPS position it is sent for (and any other tags given)."""
    shutil.copyfile(src, dest)
    _exiftool(dest, f"-GPSLatitude={lat}", "-GPSLatitudeRef=N", f"-GPSLongitude={lon}", "-GPSLongitudeRef=E",
              *extra)
    return dest.read_bytes()


def _municipal_list(tmp_path):
    """The constructed Tokyo list (Shift_JIS, empty municipality column) with one more row."""
    text = shared_data(*SOURCE).read_bytes().decode("cp932")
    rows = list(csv.reader(io.StringIO(text)))
    assert all(r[1] == "" for r in rows[1:]), "the municipality column must be empty"
    rows.append(EXTRA_ROW)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "bunkazai_tokyo_sjis.csv"
    path.write_bytes(out.getvalue().encode("cp932"))
    return path


# ------------------------------------------------------------------------------- reading the wikis


def _query(wiki, **params) -> dict:
    return wiki.api({"action": "query", **params})


def _page(wiki, title: str, **params) -> dict:
    return _query(wiki, titles=title, **params)["query"]["pages"][0]


def _revisions(wiki, title: str) -> list[dict]:
    page = _page(wiki, title, prop="revisions", rvlimit=50, rvprop="ids|user|content", rvslots="main",
                 rvdir="newer")
    return page.get("revisions", [])


def _parsed(wiki, title: str) -> dict:
    res = wiki.api({"action": "parse", "page": title, "prop": "categories|templates|wikitext"})["parse"]
    return {"categories": [c["category"] for c in res["categories"]],
            "templates": [t["title"] for t in res["templates"]],
            "wikitext": res["wikitext"]}


def _defaultsort(wiki, title: str) -> str:
    return _page(wiki, title, prop="pageprops").get("pageprops", {}).get("defaultsort", "")


def _all_pages(wiki, namespace: int, prefix: str = "") -> list[str]:
    more = {"apprefix": prefix} if prefix else {}
    res = _query(wiki, list="allpages", apnamespace=namespace, aplimit=500, **more)
    return [p["title"] for p in res["query"]["allpages"]]


def _image_info(wiki, title: str) -> tuple[dict, dict]:
    """(commonmetadata as a dict, the rest of imageinfo: user, width, height, sha1)."""
    page = _page(wiki, title, prop="imageinfo", iiprop="commonmetadata|metadata|sha1|size|user")
    info = page["imageinfo"][0]
    return {m["name"]: m["value"] for m in info.get("commonmetadata") or []}, info


def _files_with_sha1(wiki, sha1: str) -> list[str]:
    return [i["name"] for i in _query(wiki, list="allimages", aisha1=sha1)["query"]["allimages"]]


# ------------------------------------------------------------------------------------------ the test


def test_an_event_from_a_ward_list_and_phone_photos_survives_review_on_both_wikis(
        tmp_path, mediawiki, fresh_mediawiki, pywikibot_dir, monkeypatch, capsys):
    need("exiftool")
    commons = mediawiki
    jawiki = fresh_mediawiki()
    # "localhost" for the second wiki: pywikibot keeps cookies per host, and both wikis use the same names.
    ja_url = jawiki.api_url.replace("127.0.0.1", "localhost")

    # --- the organizer: an event in 台東区, the municipal list, the wiki checked for articles
    event = create_event(tmp_path / "yanesen", name="谷根千ウィキペディアタウン", lat=35.725, lon=139.775,
                         radius_km=20, municipality="台東区", municipality_code="131067")
    cfg = event.config
    cfg.services = {"wiki_api": ja_url, "commons_api": commons.api_url}
    cfg.event_category = "Wikipedia Town Yanesen proof"
    save_config(event.dir, cfg)
    event = open_event(event.dir)
    jawiki.create_page(EXISTING, f"'''{EXISTING}'''は、東京都台東区上野桜木にある寛永寺の旧本坊の表門。"
                                 "<ref>{{Cite web|url=https://example.org/kuromon|title=黒門}}</ref>\n\n"
                                 "== 脚注 ==\n<references />\n\n[[Category:台東区の文化財]]")
    # The plain title's NFKC form must not be what makes it exist.
    assert not jawiki.page_exists("寛永寺旧本坊表門(黒門)")
    report = import_files(event, [(_municipal_list(tmp_path), {})])
    assert not report.failures
    gaps = run_gaps(event, sources=(), geocode=False, check_articles=True)
    assert not gaps.failures
    sites = {s.name: s for s in load_sites(event.store)}
    # each site's ward from its own address, never the event's 台東区
    assert {n: sites[n].municipality for n in ("子規庵", "根津神社", "回向院", "モース博士記念碑", EXISTING)} == \
        {"子規庵": "台東区", "根津神社": "文京区", "回向院": "荒川区", "モース博士記念碑": "品川区", EXISTING: "台東区"}
    kuromon = sites[EXISTING]
    assert (kuromon.article_status, kuromon.article_title) == ("exists", EXISTING)
    assert sites["根津神社"].article_status == "missing"
    # Between the walk's planning and the event day, someone writes 根津神社 (the one in 山梨県).
    jawiki.create_page("根津神社", "'''根津神社'''は、山梨県にある神社。\n\n[[Category:山梨県の神社]]")

    # --- participants join and send photos from the sites (the library behind the phone page)
    hanako = capture.join_event(event, "山田花子", "cc-by-sa-4.0")
    # one participant has a Wikimedia account and signs in at the organizer's PC for their own upload
    own_user, own_password = f"Ichika {uuid.uuid4().hex[:6]}", random_password()
    commons.maintenance("createAndPromote.php", own_user, own_password)
    ichika = capture.join_event(event, "佐藤一花", "cc-by-sa-4.0", wiki_user=own_user)
    taro = capture.join_event(event, "鈴木太郎", "cc-by-4.0")
    photos = {
        "heic": _photo_at(sample_photo("exifr", "heic-iphone7.heic"), tmp_path / "IMG_0001.HEIC",
                          35.7202, 139.7607),
        "rotated": _photo_at(sample_photo("exif-py", "jpg_gps_DSCN0010.jpg"), tmp_path / "DSCN0010.JPG",
                             35.7237, 139.7811, "-Orientation#=6"),
        "plain": _photo_at(sample_photo("yaizu", "9_jorakuji_gps.jpg"), tmp_path / "kuromon.jpg",
                           35.7216, 139.7728),
        "own": _photo_at(sample_photo("yaizu", "9_jorakuji_gps.jpg"), tmp_path / "morse.jpg",
                         35.5900, 139.7347),
        # taken by someone else: the camera names its owner (EXIF Artist)
        "artist": _photo_at(sample_photo("yaizu", "9_jorakuji_gps.jpg"), tmp_path / "ekoin.jpg",
                            35.7327, 139.7980, "-Artist=Ian Britton", "-Orientation#=1"),
        # taken in Italy (its own GPS kept), sent for a garden in 文京区
        "far": sample_photo("exif-py", "jpg_gps_DSCN0010.jpg").read_bytes(),
    }
    sent = {}
    for key, person, site_name in (("heic", hanako, "根津神社"), ("rotated", hanako, "子規庵"),
                                   ("plain", taro, EXISTING), ("artist", taro, "回向院"),
                                   ("own", ichika, "モース博士記念碑")):
        res = capture.submit_find(event, person, files=[(f"{key}.jpg" if key != "heic" else "IMG_0001.HEIC",
                                                         photos[key])],
                                  note=f"{site_name}の正面", site_id=sites[site_name].id)
        assert [f.status for f in res.files] == ["accepted"], res.files
        sent[key] = res
    queued = capture.submit_find(event, taro, files=[("DSCN0010.JPG", photos["far"])], note="庭園")
    assert [f.status for f in queued.files] == ["accepted"]
    capture.assign_find(event, queued.find_id, sites["旧安田楠雄邸庭園"].id)  # the organizer, from the queue

    # --- publish the photos first (so the drafts know their Commons names), as `publish DIR --plan/--apply`
    files_spec, pages_spec = wiki_specs(event, api_url=ja_url, files_api_url=commons.api_url,
                                        user=commons.bot_user)
    login = SessionBotPassword(commons.bot_login_name, commons.bot_secret)  # both wikis: one organizer
    own_login = SessionLogin(own_user, own_password)
    plan = make_plan(event, files_spec, pages_spec, bot_password=login, own_accounts=[own_login])
    assert not plan.offline, plan.unchecked
    assert plan.pages == []  # nothing approved yet
    by_find = {a.find_id: a for a in plan.files}
    held = {"artist": by_find[sent["artist"].find_id], "far": by_find[queued.find_id]}
    assert held["artist"].status == "held" and \
        [n.key for n in held["artist"].holds] == ["publish.hold.embedded_author"]
    assert held["far"].status == "held" and [n.key for n in held["far"].holds] == ["publish.hold.far"]
    going = {key: by_find[sent[key].find_id] for key in ("heic", "rotated", "plain", "own")}
    assert {k: (a.status, a.holds) for k, a in going.items()} == {k: ("todo", []) for k in going}
    assert [k for k, a in going.items() if a.own_work] == ["own"]
    result = run_apply(event, plan, files_spec, pages_spec, bot_password=login, author_logins=[own_login])
    assert not result.failed, [(i.target, i.reason, i.detail) for i in result.failed]
    assert sorted(i.target for i in result.items if i.status == "done") == \
        sorted(f"File:{a.filename}" for a in going.values())

    # --- drafts: written, submitted, reviewed by librarians
    d_shiki, check = drafts.open_draft(event, sites["子規庵"].id, author="Aki", role="participant")
    assert check.status == "free"
    text = review.current_wikitext(event.store, d_shiki.id)
    placeholder = re.search(r"== 歴史 ==\n(<!-- wikitown:placeholder .*?-->)", text).group(1)
    written = text.replace(placeholder, "正岡子規が晩年を過ごした家で、1950年に再建された。"
                                        "<ref>{{Cite web|url=https://example.org/shiki|title=子規庵の歴史"
                                        "|publisher=子規庵保存会}}</ref>")
    drafts.save(event, d_shiki.id, written, author="Aki", role="participant", summary="歴史の節")
    drafts.act(event, d_shiki.id, "submit", author="Aki", role="participant")
    # The librarian who tidies the draft becomes one of its writers: she may not approve it herself.
    tidied = review.current_wikitext(event.store, d_shiki.id).replace("正岡子規が晩年", "正岡子規が晩年まで")
    drafts.save(event, d_shiki.id, tidied, author="司書 佐藤", role="librarian", summary="表現")
    with pytest.raises(AccessDenied) as err:
        drafts.act(event, d_shiki.id, "approve", author="司書 佐藤", role="librarian",
                   override_reason="節は後で")
    assert err.value.key == "drafts.review.own_draft"
    assert review.get_draft(event.store, d_shiki.id).state == "in_review"

    built = {}
    for name in ("根津神社", "回向院", "モース博士記念碑", EXISTING):
        built[name] = drafts.open_draft(event, sites[name].id, author="Aki", role="participant")
    # the plain title is taken: the site's own ward qualifies it, not the event's 台東区
    assert (built["根津神社"][0].title, built["根津神社"][1].status) == ("根津神社 (文京区)", "disambiguated")
    assert (built[EXISTING][0].title, built[EXISTING][1].status) == (EXISTING, "edit")
    d_nezu = built["根津神社"][0]
    drafts.act(event, d_nezu.id, "submit", author="Aki", role="participant")
    assert drafts.check_draft(event.store, d_nezu.id), "a generated draft has open sections"
    with pytest.raises(AccessDenied) as err:  # open findings: refused without a written reason
        drafts.act(event, d_nezu.id, "approve", author="司書 鈴木", role="librarian")
    assert err.value.key == "drafts.review.checks_fail"
    assert review.get_draft(event.store, d_nezu.id).state == "in_review"

    for name in ("根津神社", "回向院", "モース博士記念碑", EXISTING):
        draft = built[name][0]
        if name != "根津神社":
            drafts.act(event, draft.id, "submit", author="Aki", role="participant")
        findings = drafts.check_draft(event.store, draft.id)
        drafts.act(event, draft.id, "approve", author="司書 鈴木", role="librarian",
                   override_reason="歴史の節はイベント後に書く" if findings else "")
    assert drafts.check_draft(event.store, d_shiki.id) == []  # written through: no reason needed
    drafts.act(event, d_shiki.id, "approve", author="司書 鈴木", role="librarian")  # another librarian
    assert {d.state for d in review.list_drafts(event.store)} == {"approved"}

    # --- publish the drafts: the same calls again; the photos are not sent twice, the held ones still wait
    plan = make_plan(event, files_spec, pages_spec, bot_password=login)
    assert not plan.offline, plan.unchecked
    again = {a.find_id: a for a in plan.files}
    assert {k: again[sent[k].find_id].status for k in going} == {k: "done" for k in going}
    assert {again[sent["artist"].find_id].status, again[queued.find_id].status} == {"held"}
    assert sorted(a.title for a in plan.pages) == sorted(
        ["Draft:子規庵", "Draft:根津神社 (文京区)", "Draft:回向院", "Draft:モース博士記念碑", EXISTING])
    # ... and the command line on the same library: `publish DIR --apply` with a BotPassword on stdin
    uploads_before = _query(commons, list="logevents", letype="upload", lelimit=500)["query"]["logevents"]
    wikis = ["--api-url", ja_url, "--files-api-url", commons.api_url]
    monkeypatch.setenv("WIKITOWN_LANG", "en")  # the messages below are read in English
    capsys.readouterr()
    assert main(["publish", str(event.dir), "--plan", *wikis]) == 0
    shown = capsys.readouterr().out
    for key, site_name in (("artist", "回向院"), ("far", "旧安田楠雄邸庭園")):  # what waits, where, and why
        line = next(x for x in shown.splitlines() if f"--release {held[key].media_sha1}" in x)
        assert f"site: {site_name}" in line
    # 佐藤一花's photo went up under her own account: no declaration of consent is asked of her,
    # though she has not signed in for this run (the journal knows how the file went up)
    consent = sorted(p.name for p in (event.dir / "publish" / "consent").iterdir())
    assert consent == ["山田花子.en.txt", "山田花子.ja.txt", "鈴木太郎.en.txt", "鈴木太郎.ja.txt"]
    monkeypatch.setattr("sys.stdin", io.StringIO(commons.bot_secret + "\n"))
    assert main(["publish", str(event.dir), "--apply", *wikis, "--user", commons.bot_login_name,
                 "--bot-password-stdin"]) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    waiting = [x for x in err.splitlines() if x.startswith("WAITING ")]  # still waiting, with the reason
    assert len(waiting) == 2 and any(held["artist"].title in x and 'credit is "鈴木太郎"' in x for x in waiting) and \
        any(held["far"].title in x and "km from the site" in x for x in waiting), err
    uploads_after = _query(commons, list="logevents", letype="upload", lelimit=500)["query"]["logevents"]
    assert len(uploads_after) == len(uploads_before)  # no photo sent twice
    assert {d.state for d in review.list_drafts(event.store)} == {"published"}

    # ------------------------------------------------------------ what Commons holds (its API only)
    # where each photo was sent for (the GPS exiftool gave it); the camera's date as it wrote it
    expected = {"heic": (35.7202, 139.7607, "2019:10:20 18:34:30"),
                "rotated": (35.7237, 139.7811, "2008:10:22 16:28:39"),
                "plain": (35.7216, 139.7728, "2024:09:04 13:16:38"),
                "own": (35.5900, 139.7347, "2024:09:04 13:16:38")}
    authors = {"heic": "山田花子", "rotated": "山田花子", "plain": "鈴木太郎", "own": "佐藤一花"}
    for key, action in going.items():
        title = f"File:{action.filename}"
        common, info = _image_info(commons, title)
        lat, lon, taken = expected[key]
        assert abs(float(common["GPSLatitude"]) - lat) < 1e-4 and abs(float(common["GPSLongitude"]) - lon) < 1e-4, \
            (key, common)
        assert common["DateTimeOriginal"] == taken, (key, common)
        assert not [k for k in common if "serial" in k.lower()], (key, common)
        page = _revisions(commons, title)[-1]["slots"]["main"]["content"]
        used = _parsed(commons, title)["templates"]
        assert authors[key] in page
        if key == "own":  # the photographer's own account: {{self}} is true here
            assert info["user"] == own_user and "Template:Self" in used
            assert f"|author=[[User:{own_user}|佐藤一花]]" in page and "Template:Permission pending" not in used
            continue
        # the organizer's account uploaded someone else's photo: the VRT route, never own work
        assert info["user"] == commons.bot_user
        assert "Template:Self" not in used and "Template:Own" not in used, (key, used)
        assert "{{self" not in page.lower() and "{{own}}" not in page.lower()
        assert "Template:Permission pending" in used
    # the phone's HEIC arrives as a JPEG of the same size; the camera's Orientation 6 is applied, not left over
    heic = _image_info(commons, f"File:{going['heic'].filename}")
    assert (heic[1]["width"], heic[1]["height"]) == (4032, 3024)
    rotated = _image_info(commons, f"File:{going['rotated'].filename}")
    assert (rotated[1]["width"], rotated[1]["height"]) == (480, 640)
    assert str(rotated[0].get("Orientation", 1)) == "1"
    nezu_file = _revisions(commons, f"File:{going['heic'].filename}")[-1]["slots"]["main"]["content"]
    assert "文京区" in nezu_file and "台東区" not in nezu_file
    assert going["heic"].filename.startswith("根津神社 (文京区) ")
    assert going["rotated"].filename.startswith("子規庵 (台東区) ")
    # held photos: neither their bytes nor any file for their sites on Commons
    for key, site_name in (("artist", "回向院"), ("far", "旧安田楠雄邸庭園")):
        assert held[key].sha1 and _files_with_sha1(commons, held[key].sha1) == [], key
        assert _all_pages(commons, 6, site_name) == [], key

    # ------------------------------------------------------ what the Japanese Wikipedia holds
    drafts_ns = _all_pages(jawiki, 118)
    assert "Draft:根津神社 (文京区)" in drafts_ns and "Draft:根津神社 (台東区)" not in drafts_ns
    assert "Draft:子規庵" in drafts_ns and "Draft:回向院" in drafts_ns and "Draft:モース博士記念碑" in drafts_ns
    assert not any(EXISTING in t or "寛永寺" in t for t in drafts_ns)
    # the exists site: an edit of the article, its history one revision longer, no new page
    kuromon_history = _revisions(jawiki, EXISTING)
    assert len(kuromon_history) == 2 and kuromon_history[1]["user"] == commons.bot_user
    edited = kuromon_history[1]["slots"]["main"]["content"]
    assert edited.startswith(kuromon_history[0]["slots"]["main"]["content"].split("== 脚注 ==")[0])
    assert f"File:{going['plain'].filename}|" in edited  # the event's photo, in a gallery
    # the fact the event adds cites the list it came from (imported with `sites import`, no [[opendata]])
    assert "* 区指定有形文化財 寺院<ref" in edited and "title=bunkazai_tokyo_sjis.csv" in edited
    assert [t for t in _all_pages(jawiki, 0) if "寛永寺" in t] == [EXISTING]
    # the kind from the source: 回向院 is a 史跡 in the list, however much its name sounds like a temple
    ekoin = _parsed(jawiki, "Draft:回向院")
    assert "Template:日本の寺院" not in ekoin["templates"]
    assert not any("寺院" in c for c in ekoin["categories"]), ekoin["categories"]
    nezu = _parsed(jawiki, "Draft:根津神社 (文京区)")
    assert "Template:神社" in nezu["templates"]  # the source says 神社: that kind is the source's
    # the draft is about the shrine in 文京区, with the event's photo (its Commons name) in the infobox
    assert "東京都文京区根津一丁目28番9号" in nezu["wikitext"] and "台東区" not in nezu["wikitext"], nezu["wikitext"]
    assert f"|画像={going['heic'].filename}\n" in nezu["wikitext"]
    assert f"File:{going['own'].filename}|" in _parsed(jawiki, "Draft:モース博士記念碑")["wikitext"]
    # sort keys folded the jawiki way: 濁音→清音, small kana→直音, ー→the vowel
    assert _defaultsort(jawiki, "Draft:根津神社 (文京区)") == "ねつしんしや"
    assert _defaultsort(jawiki, "Draft:モース博士記念碑") == "もおすはかせきねんひ"
    assert _defaultsort(jawiki, "Draft:子規庵") == "しきあん"
    event.close()

