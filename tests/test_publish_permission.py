"""Against the real loopback MediaWiki: others' photos go up without {{self}}/{{own}}, named and
licensed, with {{Permission pending}}; the VRT ticket replaces it on every file of that author
(safe to run again); a photographer's own account gets {{self}}; held photos are not uploaded;
missing categories are listed; the plan needs no pywikibot configuration and works offline;
no live login is left on disk after publishing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.harness.mediawiki import random_password
from tests.publish_data import EventBuilder, jpeg
from wikitown.publish import make_plan, run_apply, run_vrt_ticket, wiki_specs
from wikitown.publish.apply import journal
from wikitown.store.db import finds, publish_journal

pytestmark = pytest.mark.wiki

TICKET = "2026120210001234"
PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def specs(mediawiki, pywikibot_dir):
    def make(event):
        return wiki_specs(event, api_url=mediawiki.api_url, user=mediawiki.bot_user)
    return make


def templates_on_wiki(wiki, title: str) -> set[str]:
    """The templates the wiki's parser says the page uses (prop=templates)."""
    res = wiki.api({"action": "query", "titles": title, "prop": "templates", "tllimit": "max"})
    page = res["query"]["pages"][0]
    return {t["title"].split(":", 1)[1] for t in page.get("templates", [])}


def rendered(wiki, title: str) -> str:
    return wiki.api({"action": "parse", "page": title, "prop": "text"})["parse"]["text"]


def revisions(wiki, title: str) -> list[dict]:
    res = wiki.api({"action": "query", "titles": title, "prop": "revisions", "rvprop": "ids|user",
                    "rvlimit": "max"})
    return res["query"]["pages"][0].get("revisions", [])


def files_with_sha1(wiki, sha1: str) -> list[str]:
    res = wiki.api({"action": "query", "list": "allimages", "aisha1": sha1, "ailimit": 50})
    return [i["name"] for i in res["query"]["allimages"]]


def no_login_left(pywikibot_dir: Path, host: str = "127.0.0.1") -> None:
    from pywikibot import config
    from pywikibot.comms import http

    assert not list(Path(config.base_dir).glob("*.lwp")), list(Path(config.base_dir).glob("*.lwp"))
    assert not [c for c in http.cookie_jar if host in c.domain]


def test_others_photos_need_permission_and_the_ticket_replaces_it(tmp_path, mediawiki, specs, pywikibot_dir,
                                                                     capsys):
    mediawiki.create_page("Template:Permission pending", "Permission pending[[Category:VRT pending]]",
                          user="admin")
    mediawiki.create_page("Template:PermissionTicket", "VRT ticket {{{id}}}[[Category:VRT permission]]",
                          user="admin")
    b = EventBuilder(tmp_path)
    site = b.site(f"許諾寺 {b.tag}")
    hanako = b.participant("山田花子", wiki_user=f"Hanako {b.tag}")  # has an account, but does not sign in
    taro = b.participant("佐藤太郎")  # no account at all
    b.photo(site, hanako)
    b.photo(site, hanako, taken="2026-11-28T11:00:00")
    b.photo(site, taro, taken="2026-11-28T12:00:00")
    files, pages = specs(b.event)
    plan = make_plan(b.event, files, pages)
    result = run_apply(b.event, plan, files, pages)
    assert not result.failed, [(i.target, i.reason, i.detail) for i in result.failed]
    assert len(plan.files) == 3 and all(not a.own_work and a.uploader == mediawiki.bot_user for a in plan.files)
    for a in plan.files:
        used = templates_on_wiki(mediawiki, a.title)
        assert not used & {"Self", "Own"}, used
        assert {"Cc-by-sa-4.0", "Permission pending", "Information"} <= used, used
        text = mediawiki.page_text(a.title)
        author = "山田花子" if a.author == "山田花子" else "佐藤太郎"
        assert "{{cc-by-sa-4.0|1=" + author + "}}" in text and "{{self" not in text and "{{own}}" not in text
        assert revisions(mediawiki, a.title)[0]["user"] == mediawiki.bot_user
        assert "Permission pending" in rendered(mediawiki, a.title)
    no_login_left(pywikibot_dir)

    # The declarations of consent, one per photographer, in both languages, listing their files.
    from wikitown.publish.permission import declarations

    written = {entry.author: paths for entry, paths in declarations(b.event, plan)}
    assert set(written) == {"山田花子", "佐藤太郎"}
    ja = written["山田花子"]["ja"].read_text()
    en = written["山田花子"]["en"].read_text()
    hanako_files = [a.filename for a in plan.files if a.author == "山田花子"]
    urls = [line.strip() for line in ja.splitlines() if line.strip().startswith("http")]
    assert len(urls) == 2 and urls == [line.strip() for line in en.splitlines() if line.strip().startswith("http")]
    for name, url in zip(hanako_files, urls):
        assert f"- File:{name}" in ja and f"- File:{name}" in en
        page = requests.get(url, timeout=30)  # the address in the declaration opens that file's page
        assert page.status_code == 200 and f"File:{name}" in page.text
    assert "私、山田花子 は" in ja and "CC BY-SA 4.0" in ja and "I, 山田花子, am the creator" in en
    assert plan.files[2].filename.replace(" ", "_") not in ja  # 佐藤太郎's photo is not in 山田花子's declaration

    # The ticket arrives for 山田花子: her two files get it, 佐藤太郎's keeps the pending tag.
    before = {a.title: revisions(mediawiki, a.title)[0]["revid"] for a in plan.files}
    code = _cli(["publish", str(b.event.dir), "--vrt-ticket", "山田　花子", TICKET, "--api-url", mediawiki.api_url])
    out = capsys.readouterr()
    assert code == 0, out.err
    for a in plan.files:
        used = templates_on_wiki(mediawiki, a.title)
        if a.author == "山田花子":
            assert "PermissionTicket" in used and "Permission pending" not in used, used
            assert "{{PermissionTicket|id=" + TICKET + "}}" in mediawiki.page_text(a.title)
            assert revisions(mediawiki, a.title)[0]["user"] == mediawiki.bot_user
        else:
            assert "Permission pending" in used and "PermissionTicket" not in used
    no_login_left(pywikibot_dir)
    # Run again: nothing changes on the wiki.
    after = {a.title: revisions(mediawiki, a.title)[0]["revid"] for a in plan.files}
    assert [t for t in after if after[t] != before[t]] == [a.title for a in plan.files if a.author == "山田花子"]
    again = run_vrt_ticket(b.event, files, "山田花子", TICKET)
    assert again.counts() == {"done": 0, "failed": 0, "skipped": 2}
    assert {a.title: revisions(mediawiki, a.title)[0]["revid"] for a in plan.files} == after
    # Her next photo goes up with the ticket already on it.
    b.photo(site, hanako, taken="2026-11-29T09:00:00")
    plan2 = make_plan(b.event, files, pages)
    new = [a for a in plan2.files if a.status == "todo"]
    assert len(new) == 1 and new[0].vrt_ticket == TICKET and "{{PermissionTicket|id=" + TICKET + "}}" in new[0].text


def _cli(argv: list[str]) -> int:
    from wikitown.cli import main

    return main(argv)


def test_photographer_uploads_under_their_own_account(tmp_path, mediawiki, specs, pywikibot_dir):
    b = EventBuilder(tmp_path)
    user, password = f"Photographer{b.tag}", random_password()
    mediawiki.maintenance("createAndPromote.php", user, password)  # a second account on the wiki
    site = b.site(f"自分寺 {b.tag}")
    own = b.participant("鈴木一花", wiki_user=user)
    other = b.participant("高橋次郎")
    b.photo(site, own)
    b.photo(site, other, taken="2026-11-28T12:00:00")
    from wikitown.net.wiki import SessionLogin

    files, pages = specs(b.event)
    # Without the photographer signed in, their photo is not own work: the organizer uploads it for VRT.
    assert [a.own_work for a in make_plan(b.event, files, pages).files] == [False, False]
    login = SessionLogin(user, password)
    plan = make_plan(b.event, files, pages, own_accounts=[login])
    mine = [a for a in plan.files if a.author == "鈴木一花"][0]
    theirs = [a for a in plan.files if a.author == "高橋次郎"][0]
    assert mine.own_work and mine.uploader == user and not theirs.own_work

    # The photographer's own-work file is never uploaded under another account.
    refused = run_apply(b.event, plan, files, pages)
    assert [(i.target, i.reason) for i in refused.failed] == [(mine.title, "not_own_account")]
    assert files_with_sha1(mediawiki, mine.sha1) == []

    plan = make_plan(b.event, files, pages, own_accounts=[login])
    result = run_apply(b.event, plan, files, pages, author_logins=[login])
    assert not result.failed, [(i.target, i.reason, i.detail) for i in result.failed]
    mine = [a for a in plan.files if a.author == "鈴木一花"][0]
    assert revisions(mediawiki, mine.title)[0]["user"] == user
    used = templates_on_wiki(mediawiki, mine.title)
    assert {"Self", "Own"} <= used and "Permission pending" not in used
    assert f"|author=[[User:{user}|鈴木一花]]" in mediawiki.page_text(mine.title)
    assert "{{self|cc-by-sa-4.0}}" in mediawiki.page_text(mine.title)
    no_login_left(pywikibot_dir)
    from wikitown.net import wiki as wiki_module

    assert password not in wiki_module._SECRETS  # held no longer than the publish


def test_held_photos_wait_for_the_organizer(tmp_path, mediawiki, specs, pywikibot_dir, capsys):
    b = EventBuilder(tmp_path)
    tokyo = b.site(f"谷中の墓 {b.tag}", lat=35.7250, lon=139.7700)
    madrid_site = b.site(f"Plaza Mayor {b.tag}", lat=40.4155, lon=-3.7074)
    person = b.participant("山田花子")
    good = b.photo(tokyo, person, jpeg(gps=(35.7251, 139.7701)), lat=35.7251, lon=139.7701)
    madrid = b.photo(tokyo, person, jpeg(gps=(40.4168, -3.7038)), lat=40.4168, lon=-3.7038,
                     taken="2026-11-28T10:30:00")
    small = b.photo(tokyo, person, jpeg(40, 30, gps=(35.7251, 139.7701)), lat=35.7251, lon=139.7701,
                    taken="2026-11-28T10:40:00")
    undated = b.photo(tokyo, person, jpeg(taken="", gps=(35.7251, 139.7701)), lat=35.7251, lon=139.7701, taken="")
    artist_file = tmp_path / "artist.jpg"
    artist_file.write_bytes(jpeg(gps=(35.7251, 139.7701)))
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-EXIF:Artist=Juan García",
                    "-EXIF:Copyright=(c) 2019 Juan García", str(artist_file)], check=True)
    borrowed = b.photo(tokyo, person, artist_file.read_bytes(), lat=35.7251, lon=139.7701,
                       taken="2026-11-28T10:50:00")
    files, pages = specs(b.event)
    plan = make_plan(b.event, files, pages)
    by_media = {a.media_sha1: a for a in plan.files}
    reasons = {sha1: [n.key for n in by_media[sha1].holds] for sha1 in by_media}
    assert reasons == {good: [], madrid: ["publish.hold.far"], small: ["publish.hold.small"],
                       undated: ["publish.hold.no_date"], borrowed: ["publish.hold.embedded_author"]}
    assert [by_media[s].status for s in (madrid, small, undated, borrowed)] == ["held"] * 4
    far = by_media[madrid].holds[0]
    assert far.params["limit_km"] == "1" and float(far.params["distance_km"]) > 10000
    assert "Juan García" in by_media[borrowed].holds[0].message("ja")
    result = run_apply(b.event, plan, files, pages)
    assert not result.failed
    assert result.counts()["held"] == 4 and result.counts()["done"] == 1
    assert files_with_sha1(mediawiki, by_media[good].sha1)
    for sha1 in (madrid, small, undated, borrowed):
        assert files_with_sha1(mediawiki, by_media[sha1].sha1) == []
    assert {r["action_key"] for r in journal(b.store)} == {by_media[good].key}  # held: nothing recorded

    # The organizer decides: the Madrid photo belongs to another site; the undated one is released.
    code = _cli(["finds", "assign", str(b.event.dir), by_media[madrid].find_id, madrid_site])
    assert code == 0
    with b.store.read() as conn:
        assert conn.execute(sa.select(finds.c.site_id).where(finds.c.id == by_media[madrid].find_id)
                            ).scalar_one() == madrid_site
    assert _cli(["publish", str(b.event.dir), "--release", undated]) == 0
    capsys.readouterr()
    plan2 = make_plan(b.event, files, pages)
    by_media = {a.media_sha1: a for a in plan2.files}
    assert by_media[madrid].holds == [] and by_media[madrid].status == "todo"
    assert by_media[undated].status == "todo" and by_media[undated].released
    # No date anywhere: none in the file name either.
    assert by_media[undated].filename == f"谷中の墓 {b.tag} (焼津市) 01.jpg"
    assert "|date=\n" in by_media[undated].text
    assert [by_media[s].status for s in (small, borrowed)] == ["held", "held"]
    result2 = run_apply(b.event, plan2, files, pages)
    assert not result2.failed and result2.counts()["done"] == 2
    assert files_with_sha1(mediawiki, by_media[undated].sha1) == [by_media[undated].filename.replace(" ", "_")]
    assert files_with_sha1(mediawiki, by_media[small].sha1) == []


def test_missing_categories_listed_then_dropped_or_renamed(tmp_path, mediawiki, specs, pywikibot_dir, capsys):
    b = EventBuilder(tmp_path)
    mediawiki.create_page(f"Category:Wikipedia Town Test {b.tag}", "event category")
    mediawiki.create_page(f"Category:台東区の史跡 {b.tag}", "exists")
    site = b.site(f"分類寺 {b.tag}", commons_category=f"No such category {b.tag}")
    b.photo(site, b.participant())
    b.draft(site, f"分類寺 {b.tag}", f"本文\n[[Category:東京都の寺院 {b.tag}]]\n[[Category:台東区の史跡 {b.tag}]]\n")
    files, pages = specs(b.event)
    plan = make_plan(b.event, files, pages)
    state = {(c.wiki, c.name): c.exists for c in plan.categories}
    assert state == {("files", f"No such category {b.tag}"): False,
                     ("files", f"Wikipedia Town Test {b.tag}"): True,
                     ("files", "Yaizu, Shizuoka"): False,
                     ("pages", f"東京都の寺院 {b.tag}"): False,
                     ("pages", f"台東区の史跡 {b.tag}"): True}
    assert sorted(c.name for c in plan.missing_categories()) == sorted(
        [f"No such category {b.tag}", "Yaizu, Shizuoka", f"東京都の寺院 {b.tag}"])
    assert "publish.notice.missing_categories" in [n.key for n in plan.notices]
    # The organizer drops two and renames one (command line), then the plan has none missing.
    code = _cli(["publish", str(b.event.dir), "--category-drop", f"No such category {b.tag}",
                 "--category-drop", "Yaizu, Shizuoka",
                 "--category-rename", f"東京都の寺院 {b.tag}", f"台東区の史跡 {b.tag}",
                 "--plan", "--api-url", mediawiki.api_url])
    out = capsys.readouterr().out
    assert code == 0
    assert f"東京都の寺院 {b.tag} → 台東区の史跡 {b.tag}" in out or f"東京都の寺院 {b.tag} -> 台東区の史跡 {b.tag}" in out
    plan = make_plan(b.event, files, pages)
    assert plan.missing_categories() == []
    assert f"No such category {b.tag}" not in plan.files[0].text and "Yaizu" not in plan.files[0].text
    assert f"[[Category:台東区の史跡 {b.tag}]]" in plan.pages[0].text
    assert f"東京都の寺院 {b.tag}" not in plan.pages[0].text
    result = run_apply(b.event, plan, files, pages)
    assert not result.failed
    cats = mediawiki.api({"action": "query", "titles": plan.files[0].title, "prop": "categories"})
    on_wiki = {c["title"] for c in cats["query"]["pages"][0]["categories"]}
    assert f"Category:Wikipedia Town Test {b.tag}" in on_wiki  # (the licence template adds its own)
    assert not {f"Category:No such category {b.tag}", "Category:Yaizu, Shizuoka"} & on_wiki
    draft = mediawiki.api({"action": "query", "titles": plan.pages[0].title, "prop": "categories"})
    assert {c["title"] for c in draft["query"]["pages"][0]["categories"]} == {f"Category:台東区の史跡 {b.tag}"}


def _plan_in_a_clean_process(event_dir: Path, api_url: str, tmp_path: Path, *extra: str):
    """``python -m wikitown publish --plan`` as a new user runs it: no PYWIKIBOT_DIR, an empty home."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYWIKIBOT")}
    env.update(PYTHONPATH=str(PROJECT), HOME=str(home), WIKITOWN_LANG="ja", LANG="ja_JP.UTF-8", WIKITOWN_CONNECT_TIMEOUT="2")
    proc = subprocess.run([sys.executable, "-m", "wikitown", "publish", str(event_dir), "--api-url", api_url,
                           *extra], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert not (home / ".pywikibot").exists() and not list(tmp_path.glob("*.lwp"))
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_plan_needs_no_pywikibot_configuration_and_shows_offline(tmp_path, mediawiki):
    from tests.harness.mediawiki import reserve_port

    b = EventBuilder(tmp_path)
    site = b.site(f"計画寺 {b.tag}")
    b.photo(site, b.participant("山田花子"))
    b.draft(site, f"計画寺 {b.tag}", "本文\n[[Category:Some category]]\n")
    b.event.close()
    online = _plan_in_a_clean_process(b.event.dir, mediawiki.api_url, tmp_path, "--plan")
    assert online.returncode == 0, online.stderr
    assert f"計画寺 {b.tag} (焼津市) 2026-11-28 01.jpg" in online.stdout
    assert "{{Permission pending}}" in online.stdout and "[ない] Some category" in online.stdout
    assert "未確認" not in online.stdout
    assert "PYWIKIBOT_DIR" not in online.stdout + online.stderr and "user-config" not in online.stderr

    port, reservation = reserve_port()  # nothing answers there: offline
    reservation.close()
    offline = _plan_in_a_clean_process(b.event.dir, f"http://127.0.0.1:{port}/api.php", tmp_path, "--plan")
    assert offline.returncode == 0, offline.stderr
    assert f"計画寺 {b.tag} (焼津市) 2026-11-28 01.jpg" in offline.stdout
    assert "未確認: このファイル名がウィキで空いているか" in offline.stdout
    assert "[未確認] Some category" in offline.stdout
    assert "ウィキに接続できなかったため" in offline.stdout

    # Writing asks for a login, in plain Japanese, with where to make a BotPassword.
    apply = _plan_in_a_clean_process(b.event.dir, mediawiki.api_url, tmp_path, "--apply")
    assert apply.returncode == 1
    assert "BotPassword" in apply.stderr and "Special:BotPasswords" in apply.stderr
    assert "ログインが必要" in apply.stderr and "PYWIKIBOT_DIR" not in apply.stderr
    with b.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(publish_journal)).scalar_one() == 0


def test_apply_with_a_typed_bot_password_needs_no_pywikibot_configuration(tmp_path, mediawiki):
    """A new organizer with no user-config.py types a BotPassword: publishing works, and nothing
    of pywikibot's is left behind (no ~/.pywikibot, no cookie file, no private folder)."""
    b = EventBuilder(tmp_path)
    site = b.site(f"設定なし寺 {b.tag}")
    b.photo(site, b.participant("山田花子"))
    b.event.close()
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYWIKIBOT")}
    env.update(PYTHONPATH=str(PROJECT), HOME=str(home), TMPDIR=str(tmp), WIKITOWN_LANG="ja")
    proc = subprocess.run([sys.executable, "-m", "wikitown", "publish", str(b.event.dir), "--apply",
                           "--api-url", mediawiki.api_url, "--user", mediawiki.bot_login_name,
                           "--bot-password-stdin"], input=mediawiki.bot_secret + "\n", env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert mediawiki.bot_secret not in proc.stdout + proc.stderr
    name = f"File:設定なし寺 {b.tag} (焼津市) 2026-11-28 01.jpg"
    assert mediawiki.page_exists(name) and revisions(mediawiki, name)[0]["user"] == mediawiki.bot_user
    assert not (home / ".pywikibot").exists() and not list(tmp_path.rglob("*.lwp"))
    assert list(tmp.iterdir()) == []  # pywikibot's private folder went with the process
