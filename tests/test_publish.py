"""Publishing against the real loopback MediaWiki: plan, apply, run again, faults, secrets."""
from __future__ import annotations

import hashlib
import io
import logging

import pytest
import sqlalchemy as sa

from tests.publish_data import EventBuilder, jpeg
from wikitown.publish import make_plan, run_apply, wiki_specs
from wikitown.publish.apply import journal
from wikitown.store.db import drafts, publish_journal, reviews, sites

pytestmark = pytest.mark.wiki


@pytest.fixture
def specs(mediawiki, pywikibot_dir):
    def make(event):
        return wiki_specs(event, api_url=mediawiki.api_url, user=mediawiki.bot_user)
    return make


def files_with_sha1(wiki, sha1: str) -> list[str]:
    res = wiki.api({"action": "query", "list": "allimages", "aisha1": sha1, "ailimit": 50})
    return [i["name"] for i in res["query"]["allimages"]]


def recent_state(wiki) -> tuple:
    rc = wiki.api({"action": "query", "list": "recentchanges", "rclimit": 1, "rcprop": "ids"})
    top = rc["query"]["recentchanges"][0]["rcid"] if rc["query"]["recentchanges"] else 0
    stats = wiki.api({"action": "query", "meta": "siteinfo", "siprop": "statistics"})["query"]["statistics"]
    return top, stats["images"], stats["edits"]


def plan_and_apply(b: EventBuilder, specs, **kw):
    files, pages = specs(b.event)
    plan = make_plan(b.event, files, pages)
    return plan, run_apply(b.event, plan, files, pages, **kw)


def test_uploads_and_draft_read_back_exactly(tmp_path, mediawiki, specs):
    b = EventBuilder(tmp_path)
    site = b.site(f"常楽寺 {b.tag}", name_en="Jorakuji", commons_category=f"Jōraku-ji {b.tag}",
                  wikidata_id="Q123456")
    # The publishing account's own photos: {{self}} is true (others' photos: test_publish_permission.py).
    person = b.participant("山田花子", wiki_user=mediawiki.bot_user)
    b.photo(site, person, note="本堂の正面。")
    b.photo(site, person, taken="2026-11-28T11:00:00")
    draft_text = f"'''常楽寺 {b.tag}'''は焼津市にある寺院。<ref>焼津市史</ref>\n== 脚注 ==\n<references />\n"
    draft_id = b.draft(site, f"常楽寺 {b.tag}", draft_text)

    plan, result = plan_and_apply(b, specs)
    assert not result.failed, [(i.target, i.reason, i.detail) for i in result.failed]
    assert [a.filename for a in plan.files] == [f"常楽寺 {b.tag} (焼津市) 2026-11-28 01.jpg",
                                                 f"常楽寺 {b.tag} (焼津市) 2026-11-28 02.jpg"]
    for a in plan.files:
        assert mediawiki.page_text(a.title) == a.text
        assert files_with_sha1(mediawiki, a.sha1) == [a.filename.replace(" ", "_")]
        info = mediawiki.page_info(a.title)
        assert info["revisions"][0]["user"] == mediawiki.bot_user
    text = plan.files[0].text
    assert "{{Location|34.894450|138.322333}}" in text
    assert "{{Object location|34.894452|138.322446}}" in text
    assert f"|author=[[User:{mediawiki.bot_user}|山田花子]]" in text
    assert "{{self|cc-by-sa-4.0}}" in text and "{{According to Exif data|2026-11-28}}" in text
    assert f"[[Category:Jōraku-ji {b.tag}]]" in text and f"[[Category:Wikipedia Town Test {b.tag}]]" in text
    # The uploaded bytes carry GPS and date, not the phone's identifiers.
    from PIL import Image

    stored = b.event.path(plan.files[0].path).read_bytes()
    exif = Image.open(io.BytesIO(stored)).getexif()
    assert exif.get_ifd(0x8825) and 0xA431 not in exif.get_ifd(0x8769) and b"SERIAL-123456" not in stored

    page = plan.pages[0]
    assert page.title == f"Draft:常楽寺 {b.tag}"
    assert mediawiki.page_text(page.title) == page.text == draft_text.rstrip()
    with b.store.read() as conn:
        d = conn.execute(sa.select(drafts).where(drafts.c.id == draft_id)).mappings().one()
        review = conn.execute(sa.select(reviews).where(reviews.c.draft_id == draft_id)).mappings().one()
        has_photo = conn.execute(sa.select(sites.c.has_photo).where(sites.c.id == site)).scalar_one()
    assert d["state"] == "published" and d["published_title"] == page.title
    assert d["published_revid"] == mediawiki.page_info(page.title)["revisions"][0]["revid"]
    assert review["action"] == "publish" and review["to_state"] == "published"
    assert has_photo is True

    from wikitown.publish.links import site_links
    from wikitown.publish.quickstatements import p18_lines

    links = site_links(b.store)[site]
    assert links["files"] == [a.title for a in plan.files] and links["draft"] == page.title
    assert p18_lines(b.store) == [f'Q123456\tP18\t"{plan.files[0].filename}"']

    # Running again does nothing: no second upload, no second edit.
    before = recent_state(mediawiki)
    plan2, result2 = plan_and_apply(b, specs)
    assert {a.status for a in plan2.actions()} == {"done"}
    assert result2.counts() == {"done": 0, "failed": 0, "skipped": 3}
    assert recent_state(mediawiki) == before


def test_plan_writes_nothing_and_finds_name_clash(tmp_path, mediawiki, specs, capsys):
    b = EventBuilder(tmp_path)
    site = b.site(f"法華寺 {b.tag}")
    person = b.participant()
    b.photo(site, person)
    b.photo(site, person)
    b.draft(site, f"法華寺 {b.tag}", "本文")
    taken = f"法華寺 {b.tag} (焼津市) 2026-11-28 01.jpg"
    mediawiki.upload(taken, jpeg(), text="someone else's photo")
    before = recent_state(mediawiki)

    from wikitown.cli import main

    assert main(["publish", str(b.event.dir), "--plan", "--api-url", mediawiki.api_url,
                 "--user", mediawiki.bot_user]) == 0
    out = capsys.readouterr().out
    assert recent_state(mediawiki) == before  # the plan wrote nothing to the wiki
    with b.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(publish_journal)).scalar_one() == 0
    files, pages = specs(b.event)
    plan = make_plan(b.event, files, pages)
    names = [a.filename for a in plan.files]
    assert names == [f"法華寺 {b.tag} (焼津市) 2026-11-28 02.jpg", f"法華寺 {b.tag} (焼津市) 2026-11-28 03.jpg"]
    assert any(n.key == "publish.notice.name_taken" and n.params["name"] == taken for n in plan.files[0].notices)
    for a in plan.files:  # the whole plan is printed: names, file pages and summaries
        assert a.filename in out and a.text.strip() in out and a.summary in out
    assert f"Draft:法華寺 {b.tag}" in out and "本文" in out
    assert recent_state(mediawiki) == before


def test_duplicate_by_sha1_is_linked_not_uploaded(tmp_path, mediawiki, specs):
    b = EventBuilder(tmp_path)
    site = b.site(f"宝積寺 {b.tag}", wikidata_id="Q777")
    person = b.participant()
    ready = jpeg()
    b.photo(site, person, publish=ready)
    existing = f"Someone else {b.tag}.jpg"
    mediawiki.upload(existing, ready, text="already here")
    sha1 = hashlib.sha1(ready).hexdigest()

    plan, result = plan_and_apply(b, specs)
    action = plan.files[0]
    assert action.kind == "link" and action.existing == existing
    assert not result.failed
    assert files_with_sha1(mediawiki, sha1) == [existing.replace(" ", "_")]
    rows = journal(b.store)
    assert [(r["kind"], r["target"], r["status"]) for r in rows] == [("link", existing, "done")]
    from wikitown.publish.quickstatements import p18_lines

    assert p18_lines(b.store) == [f'Q777\tP18\t"{existing}"']


def test_wiki_stopped_mid_batch_then_every_photo_exactly_once(tmp_path, mediawiki, specs):
    b = EventBuilder(tmp_path)
    site = b.site(f"石脇 {b.tag}")
    person = b.participant()
    for _ in range(5):
        b.photo(site, person)
    uploads = []

    def stop_after_two(done, total, item):
        if item.status == "done":
            uploads.append(item.target)
            if len(uploads) == 2:
                mediawiki.stop()

    plan, result = plan_and_apply(b, specs, progress=stop_after_two)
    assert len([i for i in result.items if i.status == "done"]) == 2
    assert result.failed and {i.reason for i in result.failed} == {"connection"}
    statuses = {r["action_key"]: r["status"] for r in journal(b.store)}
    assert sorted(statuses.values()) == ["done", "done", "failed", "failed", "failed"]

    mediawiki.start()
    plan2, result2 = plan_and_apply(b, specs)
    assert not result2.failed, [(i.target, i.reason, i.detail) for i in result2.failed]
    assert all(r["status"] == "done" for r in journal(b.store))
    for a in plan.files:
        assert len(files_with_sha1(mediawiki, a.sha1)) == 1, a.filename
    assert [a.filename for a in plan2.files] == [a.filename for a in plan.files]


def test_upload_that_reached_the_wiki_before_a_crash_is_not_repeated(tmp_path, mediawiki, specs):
    """The process died after the wiki stored the file but before the journal said done."""
    b = EventBuilder(tmp_path)
    site = b.site(f"焼津神社 {b.tag}")
    b.photo(site, b.participant())
    files, pages = specs(b.event)
    plan = make_plan(b.event, files, pages)
    a = plan.files[0]
    # What a crash leaves: a pending row with one attempt, and the file on the wiki.
    from wikitown.publish.apply import _start_attempt, record_pending

    record_pending(b.store, a, "upload", a.filename, {"site_id": site})
    _start_attempt(b.store, a.key)
    mediawiki.upload(a.filename, b.event.path(a.path).read_bytes(), text=a.text, user="bot")
    before = recent_state(mediawiki)

    plan2, result = plan_and_apply(b, specs)
    assert plan2.files[0].filename == a.filename and plan2.files[0].kind == "upload"
    assert not result.failed and result.items[0].reason == "found"
    assert recent_state(mediawiki) == before
    assert files_with_sha1(mediawiki, a.sha1) == [a.filename.replace(" ", "_")]
    assert journal(b.store)[0]["status"] == "done"


def test_page_by_someone_else_is_left_untouched_and_conflicts_are_recorded(tmp_path, mediawiki, specs):
    b = EventBuilder(tmp_path)
    s1, s2 = b.site(f"A寺 {b.tag}"), b.site(f"B寺 {b.tag}")
    theirs = f"Draft:A寺 {b.tag}"
    mediawiki.create_page(theirs, "Someone else's draft.", user="other")
    b.draft(s1, f"A寺 {b.tag}", "wikitown's text A")
    d2 = b.draft(s2, f"B寺 {b.tag}", "wikitown's text B")

    plan, result = plan_and_apply(b, specs)
    blocked = plan.pages[0]
    assert blocked.status == "blocked"
    assert [n.key for n in blocked.notices] == ["publish.notice.exists_not_ours"]
    assert mediawiki.page_text(theirs) == "Someone else's draft."
    assert mediawiki.page_info(theirs)["revisions"][0]["user"] == mediawiki.other_user
    failed = {i.target: i.reason for i in result.failed}
    assert failed == {theirs: "blocked"}
    mine = f"Draft:B寺 {b.tag}"
    assert mediawiki.page_text(mine) == "wikitown's text B"

    # A new approved revision of wikitown's own page: updated, with the base revision kept...
    b.new_revision(d2, "wikitown's text B, revised")
    plan2 = make_plan(b.event, *specs(b.event))
    own = [p for p in plan2.pages if p.title == mine][0]
    assert own.status == "todo" and own.base_revid == mediawiki.page_info(mine)["revisions"][0]["revid"]
    # ... but someone edits it between plan and apply: an edit conflict, not an overwrite.
    mediawiki.create_page(mine, "Someone improved it.", user="other")
    result2 = run_apply(b.event, plan2, *specs(b.event))
    assert {i.target: i.reason for i in result2.failed} == {theirs: "blocked", mine: "editconflict"}
    assert mediawiki.page_text(mine) == "Someone improved it."
    # A fresh plan now holds it back as changed since wikitown wrote it.
    plan3 = make_plan(b.event, *specs(b.event))
    assert [n.key for n in [p for p in plan3.pages if p.title == mine][0].notices] == \
        ["publish.notice.changed_since"]


def test_hostile_participant_text_is_escaped_on_the_wiki(tmp_path, mediawiki, specs):
    b = EventBuilder(tmp_path)
    site = b.site(f"地蔵 {b.tag}")
    person = b.participant(display_name="Evil ]] [[Category:Spam]] {{Delete}}", wiki_user="Bad|User]]")
    b.photo(site, person, note="<script>alert(1)</script> {{Delete}} [[Category:Spam]] ~~~~ __NOTOC__\n* x",
            credit="}} {{Delete|now}} <!-- ")
    plan, result = plan_and_apply(b, specs)
    assert not result.failed
    a = plan.files[0]
    assert mediawiki.page_text(a.title) == a.text
    parsed = mediawiki.api({"action": "parse", "page": a.title, "prop": "text|categories|templates"})["parse"]
    cats = {c["category"] for c in parsed["categories"]}
    assert "Spam" not in cats and f"Wikipedia_Town_Test_{b.tag}" in cats
    assert not any("Delete" in t["title"] for t in parsed["templates"])
    html = parsed["text"]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{Delete|now}}" in html.replace("&#123;", "{").replace("&#125;", "}").replace("&#124;", "|")
    assert any(n.key == "publish.notice.bad_username" for n in a.notices)


def test_session_bot_password_never_written_anywhere(tmp_path, mediawiki, specs, caplog, capsys, monkeypatch,
                                                      request):
    b = EventBuilder(tmp_path)
    site = b.site(f"秘密 {b.tag}")
    b.photo(site, b.participant())
    b.draft(site, f"秘密 {b.tag}", "text")
    secret = mediawiki.bot_secret
    caplog.set_level(logging.DEBUG)
    from wikitown.net.wiki import SessionBotPassword, WikiError, connect

    files, pages = specs(b.event)
    connect(files).site.logout()  # so the session's password really is used to log in
    # pywikibot logs whole request bodies (the login's too) at debug level: record all of it.
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    # pywikibot sets up its logging once per process and clears the handlers of "pywiki" then;
    # have that done now, and undo whatever an earlier test left (a disabled logger), before listening.
    import pywikibot.bot

    pywikibot.bot.init_handlers()
    for name in [n for n in logging.root.manager.loggerDict if n == "pywiki" or n.startswith("pywiki.")]:
        logging.getLogger(name).disabled = False
    pwb_logger = logging.getLogger("pywiki")
    handler, old_level = Keep(logging.DEBUG), pwb_logger.level
    pwb_logger.addHandler(handler)
    pwb_logger.setLevel(logging.DEBUG)
    request.addfinalizer(lambda: (pwb_logger.removeHandler(handler), pwb_logger.setLevel(old_level)))
    wrong = SessionBotPassword(f"{mediawiki.bot_user}@{mediawiki.bot_app}", "0" * 32)
    with pytest.raises(WikiError) as err:
        connect(files, wrong)
    assert "0" * 32 not in str(err.value) and "0" * 32 not in err.value.message("ja")

    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    from wikitown.cli import main

    code = main(["publish", str(b.event.dir), "--apply", "--api-url", mediawiki.api_url,
                 "--user", f"{mediawiki.bot_user}@{mediawiki.bot_app}", "--bot-password-stdin"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert all(r["status"] == "done" for r in journal(b.store))
    assert secret not in out.out + out.err
    logged = "\n".join(records) + caplog.text
    assert "action=login" in logged and "lgpassword=***" in logged  # the login was logged, masked
    assert secret not in logged and "0" * 32 not in logged
    b.event.close()
    for path in b.event.dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_real_photos_heic_converted_and_chunked(tmp_path, mediawiki, specs):
    from tests.harness.requirements import shared_data

    heic = shared_data("photos", "exifr", "heic-iphone7.heic")
    jorakuji = shared_data("photos", "yaizu", "9_jorakuji_gps.jpg")
    b = EventBuilder(tmp_path)
    site = b.site(f"常楽寺 {b.tag}", lat=34.86, lon=138.31)  # where the photo was taken (else it is held)
    person = b.participant()
    b.photo(site, person, heic.read_bytes(), ext="heic", taken="2019-10-20T18:34:30", lat=None, lon=None)
    b.photo(site, person, jorakuji.read_bytes(), taken="2024-09-04T13:16:38", lat=34.86, lon=138.31)
    plan, result = plan_and_apply(b, specs, chunk_size=512 * 1024)
    assert not result.failed, [(i.target, i.reason, i.detail) for i in result.failed]
    for a in plan.files:
        info = mediawiki.api({"action": "query", "titles": a.title, "prop": "imageinfo",
                              "iiprop": "sha1|mime|size"})["query"]["pages"][0]["imageinfo"][0]
        assert info["mime"] == "image/jpeg" and info["sha1"] == a.sha1
        assert mediawiki.page_text(a.title) == a.text
    heic_action = [a for a in plan.files if "2019-10-20" in a.filename][0]
    assert heic_action.size > 512 * 1024  # went up in chunks
    assert "{{Location" not in heic_action.text  # no GPS recorded for it, so no camera location


def test_cli_apply_reports_failures_and_user_subpage_drafts(tmp_path, mediawiki, specs, capsys, monkeypatch):
    monkeypatch.setenv("WIKITOWN_LANG", "en")
    b = EventBuilder(tmp_path, draft_location="user")
    s1, s2 = b.site(f"C寺 {b.tag}"), b.site(f"D寺 {b.tag}", wikidata_id="Q99")
    b.photo(s2, b.participant())
    taken = f"User:{mediawiki.bot_user}/C寺 {b.tag}"
    mediawiki.create_page(taken, "Someone wrote here first.", user="other")
    b.draft(s1, f"C寺 {b.tag}", "text C")
    b.draft(s2, f"D寺 {b.tag}", "text D")
    from wikitown.cli import main

    args = ["publish", str(b.event.dir), "--api-url", mediawiki.api_url, "--user", mediawiki.bot_user]
    assert main(args + ["--apply", "--quickstatements", str(tmp_path / "p18.txt")]) == 1
    out = capsys.readouterr()
    assert f"FAILED {taken}: blocked {taken} already exists and wikitown did not create it" in out.err
    error = [r["error"] for r in journal(b.store) if r["target"] == taken][0]
    assert error == f"blocked: {taken} already exists and wikitown did not create it: it is left untouched."
    assert "[1/3] done File:" in out.err and "Done: 2, failed: 1" in out.out
    assert mediawiki.page_text(taken) == "Someone wrote here first."
    assert mediawiki.page_text(f"User:{mediawiki.bot_user}/D寺 {b.tag}") == "text D"
    name = [r["target"] for r in journal(b.store) if r["kind"] == "upload"][0]
    assert (tmp_path / "p18.txt").read_text() == f'Q99\tP18\t"{name}"\n'


def test_any_wiki_by_api_url_with_a_session_bot_password(tmp_path, fresh_mediawiki, pywikibot_dir):
    """A wiki that pywikibot's user-config does not name: reached by its API URL alone."""
    wiki = fresh_mediawiki()
    # "localhost", not 127.0.0.1: browsers and pywikibot keep cookies per host, not per port, and both
    # wikis use the same cookie names; another host keeps the session wiki's login apart.
    api_url = wiki.api_url.replace("127.0.0.1", "localhost")
    b = EventBuilder(tmp_path)
    site = b.site(f"別の寺 {b.tag}")
    b.photo(site, b.participant())
    from wikitown.net.wiki import SessionBotPassword

    files, pages = wiki_specs(b.event, api_url=api_url, user=wiki.bot_user)
    bp = SessionBotPassword(wiki.bot_login_name, wiki.bot_secret)
    plan = make_plan(b.event, files, pages, bot_password=bp)
    result = run_apply(b.event, plan, files, pages, bot_password=bp)
    assert not result.failed, [(i.target, i.reason, i.detail) for i in result.failed]
    assert wiki.page_text(plan.files[0].title) == plan.files[0].text
    assert files_with_sha1(wiki, plan.files[0].sha1) == [plan.files[0].filename.replace(" ", "_")]


def test_lost_session_logs_in_again_with_the_session_bot_password(tmp_path, mediawiki, specs, monkeypatch):
    """The wiki forgets the login mid-run (an expired session); no password file to fall back on."""
    import pywikibot
    from pywikibot.comms import http

    from wikitown.publish.apply import apply_plan
    from wikitown.net.wiki import SessionBotPassword, connect

    b = EventBuilder(tmp_path)
    site = b.site(f"再ログイン {b.tag}")
    person = b.participant()
    b.photo(site, person)
    b.photo(site, person)
    files, pages = specs(b.event)
    plan = make_plan(b.event, files, pages)
    wiki = connect(files, SessionBotPassword(mediawiki.bot_login_name, mediawiki.bot_secret))
    monkeypatch.setattr(pywikibot.config, "password_file", None)

    def forget_login(done, total, item):
        http.cookie_jar.clear()  # the server-side session is gone for this client

    forget_login(0, 0, None)
    result = apply_plan(b.event, plan, wiki, wiki, progress=forget_login)
    assert not result.failed, [(i.target, i.reason, i.detail) for i in result.failed]
    for a in plan.files:
        assert files_with_sha1(mediawiki, a.sha1) == [a.filename.replace(" ", "_")]
        assert mediawiki.page_info(a.title)["revisions"][0]["user"] == mediawiki.bot_user


def test_user_subpage_draft_needs_a_known_account(tmp_path, mediawiki):
    from wikitown.net.http import HttpClient
    from wikitown.net.mwapi import MediaWikiAPI
    from wikitown.publish.plan import build_plan

    b = EventBuilder(tmp_path, draft_location="user")
    b.draft(b.site(f"E寺 {b.tag}"), f"E寺 {b.tag}", "text")
    api = MediaWikiAPI(mediawiki.api_url, HttpClient())
    plan = build_plan(b.event, api, account="")
    assert plan.pages[0].status == "blocked"
    assert "publish.notice.no_account" in [n.key for n in plan.pages[0].notices]
    plan = build_plan(b.event, api, account="TownBot")
    assert plan.pages[0].status == "todo" and plan.pages[0].title == f"User:TownBot/E寺 {b.tag}"
