"""The event report: figures per event and team, exports, and what the wiki confirms."""

import csv
import io
import subprocess
import sys
import uuid

import mwparserfromhell
import pytest

from wikitown.store.events import create_event
from wikitown.net.mwapi import MediaWikiAPI
from wikitown.report import build_report, to_csv, to_html, to_markdown, to_wikitext, write_exports
from wikitown.store.sites import upsert_sites
from wikitown.store.db import (drafts, finds, media, participants, plan_assignments, publish_journal, source_sites,
                            sources)

HOSTILE = "<script>alert(1)</script>{{Delete}}[[Category:Spam]]|"


@pytest.fixture
def event(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    ev = create_event(tmp_path / "ev", name="テスト町", lat=34.86, lon=138.32, radius_km=3)
    upsert_sites(ev.store, [
        {"id": "a", "name": "常楽寺", "lat": 34.8640, "lon": 138.3240},
        {"id": "b", "name": "八幡神社", "lat": 34.8700, "lon": 138.3300},
        {"id": "c", "name": HOSTILE, "lat": 34.8600, "lon": 138.3200},
    ])
    with ev.store.write() as conn:
        conn.execute(plan_assignments.insert(), [
            {"site_id": "a", "team": 1, "seq": 1}, {"site_id": "b", "team": 2, "seq": 1},
            {"site_id": "c", "team": 2, "seq": 2}])
        conn.execute(participants.insert(), [
            {"id": "p1", "display_name": "山田花子", "wiki_user": "Hanako", "licence": "cc-by-sa-4.0",
             "consent_at": "t"},
            {"id": "p2", "display_name": HOSTILE, "wiki_user": "", "licence": "cc0", "consent_at": "t"}])
        conn.execute(finds.insert(), [
            {"id": "f1", "participant_id": "p1", "site_id": "a", "lat": 34.8641, "lon": 138.3241},
            {"id": "f2", "participant_id": "p2", "site_id": "a", "lat": 34.8642, "lon": 138.3242},
            {"id": "f3", "participant_id": "p2", "site_id": "b", "lat": 34.8701, "lon": 138.3301},
            {"id": "f4", "participant_id": "p1", "site_id": None, "lat": None, "lon": None}])
        conn.execute(media.insert(), [
            {"sha1": "1" * 40, "find_id": "f1"}, {"sha1": "2" * 40, "find_id": "f2"},
            {"sha1": "3" * 40, "find_id": "f3"}])
        conn.execute(drafts.insert(), [
            {"id": 1, "site_id": "a", "title": "常楽寺 (テスト町)", "state": "published",
             "published_title": "Draft:常楽寺 (テスト町)"},
            {"id": 2, "site_id": "b", "title": "八幡神社 (テスト町)", "state": "in_review",
             "published_title": None}])
        conn.execute(sources.insert(), [{"id": 1, "kind": "book", "title": "焼津市史", "authors": "焼津市",
                                         "isbn": "9784000000002"}])
        conn.execute(source_sites.insert(), [{"source_id": 1, "site_id": "a"}])
        conn.execute(publish_journal.insert(), [
            # as wikitown.publish writes them: the key and "sha1" name the uploaded JPEG's bytes,
            # "media_sha1" the participant's original photo
            {"action_key": "upload:" + "a" * 40, "kind": "upload", "target": "Jorakuji test 01.jpg",
             "payload": {"sha1": "a" * 40, "media_sha1": "1" * 40}, "status": "done"},
            {"action_key": "upload:" + "b" * 40, "kind": "upload", "target": "Jorakuji test 02.jpg",
             "payload": {"sha1": "b" * 40, "media_sha1": "2" * 40}, "status": "failed"},
            {"action_key": "edit:a", "kind": "edit", "target": "Draft:常楽寺 (テスト町)", "payload": {},
             "status": "done"}])
    return ev


def test_figures_per_event_and_team(event):
    r = build_report(event)
    assert (r.total.sites_planned, r.total.sites_visited, r.total.photos_collected) == (3, 2, 3)
    assert (r.total.photos_published, r.total.drafts_written, r.total.drafts_approved,
            r.total.drafts_published) == (1, 2, 1, 1)
    team1, team2 = r.teams
    assert (team1.team, team1.sites_planned, team1.photos_collected, team1.photos_published) == (1, 1, 2, 1)
    assert (team2.team, team2.sites_planned, team2.sites_visited, team2.drafts_written) == (2, 2, 1, 1)
    assert r.participants == sorted([HOSTILE, "山田花子 (Hanako)"])
    assert r.sources_used == [{"title": "焼津市史", "authors": "焼津市", "kind": "book", "isbn": "9784000000002",
                               "sites": ["常楽寺"]}]
    assert len(r.finds_points) == 3
    assert not r.wiki.checked


def test_exports_escape_hostile_text(event, tmp_path):
    r = build_report(event)
    page = to_html(r, "en")
    assert "<script>" not in page and "&lt;script&gt;" in page
    wikitext = to_wikitext(r, "ja")
    code = mwparserfromhell.parse(wikitext)
    assert not code.filter_templates() and not [l for l in code.filter_wikilinks() if "Spam" in str(l)]
    assert "[[Draft:常楽寺 (テスト町)]]" in wikitext
    md = to_markdown(r, "ja")
    assert "予定した文化財 | 3" in md and "<script>" not in md
    rows = list(csv.DictReader(io.StringIO(to_csv(r))))
    assert {row["site_id"] for row in rows} == {"a", "b", "c"}
    files = write_exports(r, tmp_path / "out", "ja")
    assert files["csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert all(p.exists() for p in files.values())


def test_unreachable_wiki_is_reported_not_invented(event, monkeypatch):
    monkeypatch.setenv("WIKITOWN_WIKI_API_URL", "http://127.0.0.1:9/api.php")
    monkeypatch.setenv("WIKITOWN_COMMONS_API_URL", "http://127.0.0.1:9/api.php")
    r = build_report(event, confirm_with_wiki=True)
    assert not r.wiki.checked and r.wiki.error
    assert r.wiki.files_found == 0


@pytest.mark.wiki
def test_figures_confirmed_by_the_wiki(event, mediawiki):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 10, 10)).save(buf, "JPEG")
    name = f"Report {uuid.uuid4().hex[:8]}.jpg"
    mediawiki.upload(name, buf.getvalue())
    page = f"Draft:Report {uuid.uuid4().hex[:8]}"
    mediawiki.create_page(page, "本文です。" * 20)
    with event.store.write() as conn:
        conn.execute(publish_journal.update().where(publish_journal.c.action_key == "upload:" + "a" * 40)
                     .values(target=name))
        conn.execute(publish_journal.update().where(publish_journal.c.kind == "edit").values(target=page))
        # marked done here, but never reached the wiki: the report must say so
        conn.execute(publish_journal.insert().values(action_key="upload:" + "c" * 40, kind="upload",
                                                     target="Never uploaded.jpg",
                                                     payload={"sha1": "c" * 40, "media_sha1": "3" * 40},
                                                     status="done"))
    api = MediaWikiAPI(mediawiki.api_url)
    r = build_report(event, confirm_with_wiki=True, wiki_api=api, commons_api=api)
    assert r.wiki.checked
    assert r.wiki.files_found == 1 and r.wiki.files_missing == ["File:Never uploaded.jpg"]
    assert r.wiki.files_bytes == len(buf.getvalue())
    assert r.wiki.pages_found == 1 and r.wiki.pages_bytes == len(("本文です。" * 20).encode("utf-8"))


def test_cli_report(event, tmp_path):
    out = subprocess.run([sys.executable, "-m", "wikitown", "report", str(event.dir), "--out", str(tmp_path / "r")],
                         capture_output=True, text=True, env={"WIKITOWN_LANG": "ja", "PATH": "/usr/bin:/bin",
                                                              "WIKITOWN_HOME": str(tmp_path / "home")},
                         cwd=str(__import__("wikitown.core.paths").core.paths.PROJECT_ROOT), timeout=60)
    assert out.returncode == 0, out.stderr
    # The one published page is in the Draft namespace: a draft on the wiki, not an article (issue 12.10).
    assert "ウィキに載せた下書き | 1" in out.stdout and "新しく公開した記事 | 0" in out.stdout
    assert "| Draft（下書き） | 1 | - |" in out.stdout
    assert (tmp_path / "r" / "results.wiki").exists()


def test_participant_sees_what_their_finds_became(event):
    from wikitown.report import participant_outcomes

    mine = {o.find_id: o for o in participant_outcomes(event.store, "p1")}
    assert set(mine) == {"f1", "f4"}
    assert mine["f1"].files == ["File:Jorakuji test 01.jpg"] and mine["f1"].site_name == "常楽寺"
    assert mine["f1"].draft_state == "published" and mine["f1"].draft_title == "Draft:常楽寺 (テスト町)"
    assert mine["f4"].site_name == "" and mine["f4"].files == []
    theirs = participant_outcomes(event.store, "p2")
    assert {o.find_id for o in theirs} == {"f2", "f3"}
    assert next(o for o in theirs if o.find_id == "f2").photos_waiting == 1  # its upload failed
