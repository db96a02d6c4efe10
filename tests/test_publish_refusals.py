"""Refusals by a real MediaWiki: an AbuseFilter filter and a rate limit.

Each test has a private wiki (``fresh_mediawiki``) with its own LocalSettings: AbuseFilter loaded
(tables made by update.php, the filter written into the wiki's database), or a rate limit that
applies to the bot. One refused item is recorded as failed with its reason; the rest of the same
apply is done; running apply again never repeats what is done.
"""
from __future__ import annotations

import pytest

from tests.harness import mediawiki as mw
from tests.publish_data import EventBuilder
from wikitown.publish import make_plan, run_apply, wiki_specs
from wikitown.publish.apply import journal
from wikitown.net.wiki import SessionBotPassword

pytestmark = pytest.mark.wiki

MARKER = "WIKITOWN-TEST-REFUSE-ME"


def files_with_sha1(wiki, sha1: str) -> list[str]:
    res = wiki.api({"action": "query", "list": "allimages", "aisha1": sha1, "ailimit": 50})
    return [i["name"] for i in res["query"]["allimages"]]


def edit_count(wiki) -> int:
    stats = wiki.api({"action": "query", "meta": "siteinfo", "siprop": "statistics"})
    return stats["query"]["statistics"]["edits"]


def bot_edits(wiki) -> list[str]:
    """Titles of every change TownBot made (pages and file pages), oldest first."""
    res = wiki.api({"action": "query", "list": "usercontribs", "ucuser": wiki.bot_user,
                    "uclimit": 500, "ucdir": "newer"})
    return [c["title"] for c in res["query"]["usercontribs"]]


class Publisher:
    """Plan and apply against a private wiki by its API URL, logged in with the BotPassword."""

    def __init__(self, wiki: mw.TestWiki, builder: EventBuilder):
        # "localhost", not 127.0.0.1: pywikibot keeps cookies per host, not per port, and every
        # copy of the wiki uses the same cookie names; the session wiki's login stays apart.
        self.api_url = wiki.api_url.replace("127.0.0.1", "localhost")
        self.builder = builder
        self.bot_password = SessionBotPassword(wiki.bot_login_name, wiki.bot_secret)
        self.user = wiki.bot_user

    def apply(self):
        event = self.builder.event
        files, pages = wiki_specs(event, api_url=self.api_url, user=self.user)
        plan = make_plan(event, files, pages, bot_password=self.bot_password)
        return plan, run_apply(event, plan, files, pages, bot_password=self.bot_password)


def failures(result) -> dict[str, str]:
    return {i.target: i.reason for i in result.failed}


def test_abuse_filter_refusal_is_recorded_and_the_rest_are_done(tmp_path, fresh_mediawiki,
                                                                  pywikibot_dir):
    wiki = fresh_mediawiki(settings=mw.ABUSEFILTER_SETTINGS, update=True)
    wiki.add_abuse_filter(f'(action == "edit" | action == "upload") & new_wikitext contains "{MARKER}"',
                          description="wikitown test: refuse the marker")
    b = EventBuilder(tmp_path)
    temple, shrine, hall = b.site(f"円光寺 {b.tag}"), b.site(f"八幡宮 {b.tag}"), b.site(f"公民館 {b.tag}")
    person = b.participant()
    b.photo(temple, person, note="山門。")
    b.photo(temple, person, note=f"本堂。{MARKER}")  # its file description page trips the filter
    b.photo(shrine, person)
    b.draft(temple, f"円光寺 {b.tag}", f"'''円光寺 {b.tag}'''は焼津市の寺院。")
    b.draft(shrine, f"八幡宮 {b.tag}", f"'''八幡宮 {b.tag}'''は神社。{MARKER}")
    b.draft(hall, f"公民館 {b.tag}", f"'''公民館 {b.tag}'''は公民館。")
    pub = Publisher(wiki, b)

    plan, result = pub.apply()
    refused_file = next(a for a in plan.files if MARKER in a.text)
    refused_page = f"Draft:八幡宮 {b.tag}"
    assert failures(result) == {refused_file.title: "abusefilter", refused_page: "abusefilter"}, \
        [(i.target, i.reason, i.detail) for i in result.failed]
    assert result.counts() == {"done": 4, "failed": 2, "skipped": 0}
    detail = {i.target: i.detail for i in result.failed}[refused_page]
    assert "wikitown test: refuse the marker" in detail  # the filter's public description

    # The journal: the refused items failed with their reason, everything else done.
    rows = {r["target"]: r for r in journal(b.store)}
    assert rows[refused_page]["status"] == "failed"
    assert rows[refused_page]["error"].startswith("abusefilter: ")
    assert rows[refused_file.filename]["status"] == "failed"
    assert rows[refused_file.filename]["error"].startswith("abusefilter: ")
    assert sorted(r["status"] for r in rows.values()) == ["done"] * 4 + ["failed"] * 2

    # The wiki: the refused ones are not there, the others are, once each.
    assert not wiki.page_exists(refused_page) and not wiki.page_exists(refused_file.title)
    for a in plan.files:
        if a is not refused_file:
            assert files_with_sha1(wiki, a.sha1) == [a.filename.replace(" ", "_")]
            assert wiki.page_text(a.title) == a.text
    for p in plan.pages:
        if p.title != refused_page:
            assert wiki.page_text(p.title) == p.text
    done_on_wiki = bot_edits(wiki)
    assert len(done_on_wiki) == 4 and len(set(done_on_wiki)) == 4
    edits = edit_count(wiki)

    # Again: what is done is not redone; the refused ones are tried once more and refused again.
    _, result2 = pub.apply()
    assert failures(result2) == {refused_file.title: "abusefilter", refused_page: "abusefilter"}
    assert result2.counts() == {"done": 0, "failed": 2, "skipped": 4}
    assert bot_edits(wiki) == done_on_wiki and edit_count(wiki) == edits
    rows2 = {r["target"]: r for r in journal(b.store)}
    assert {t: r["status"] for t, r in rows2.items()} == {t: r["status"] for t, r in rows.items()}
    assert rows2[refused_page]["attempts"] == 2
    assert all(r["attempts"] == 1 for t, r in rows2.items() if r["status"] == "done")


def test_rate_limit_refuses_the_edits_past_the_limit_and_the_rest_are_done(
        tmp_path, fresh_mediawiki, pywikibot_dir, monkeypatch):
    import pywikibot

    # Two page edits an hour; uploads are not counted as edits, so the photos are not limited.
    wiki = fresh_mediawiki(settings=mw.rate_limit_settings("edit", 2, 3600))
    # pywikibot waits and retries a refused edit itself (config.max_retries, retry_max seconds
    # between tries); only then does wikitown see the refusal. Keep the wait short here.
    monkeypatch.setattr(pywikibot.config, "retry_max", 0.2)
    b = EventBuilder(tmp_path)
    person = b.participant()
    # Four edits past the limit: more than the MAX_CONNECTION_FAILURES that would stop the batch
    # if a refusal were mistaken for a lost connection.
    names = [f"{n} {b.tag}" for n in ("一の寺", "二の寺", "三の寺", "四の寺", "五の寺", "六の寺")]
    sites = [b.site(n) for n in names]
    b.photo(sites[0], person)
    b.photo(sites[1], person)
    for site, name in zip(sites, names):
        b.draft(site, name, f"'''{name}'''は焼津市の寺院。")
    pub = Publisher(wiki, b)

    plan, result = pub.apply()
    titles = [p.title for p in plan.pages]
    assert sorted(titles) == sorted(f"Draft:{n}" for n in names)
    limited = {t: "ratelimited" for t in titles[2:]}
    assert failures(result) == limited, [(i.target, i.reason, i.detail) for i in result.failed]
    assert result.counts() == {"done": 4, "failed": 4, "skipped": 0}
    rows = {r["target"]: r for r in journal(b.store)}
    for title in titles[2:]:
        assert rows[title]["status"] == "failed" and rows[title]["error"].startswith("ratelimited: ")
        assert rows[title]["attempts"] == 1  # sent to the wiki and refused, not left untried
        assert not wiki.page_exists(title)
    for p in plan.pages[:2]:
        assert rows[p.title]["status"] == "done" and wiki.page_text(p.title) == p.text
    for a in plan.files:
        assert rows[a.filename]["status"] == "done"
        assert files_with_sha1(wiki, a.sha1) == [a.filename.replace(" ", "_")]
    done_on_wiki = bot_edits(wiki)
    assert len(done_on_wiki) == 4

    # Again, still within the hour: nothing done is redone, the limited ones are limited again.
    _, result2 = pub.apply()
    assert failures(result2) == limited
    assert result2.counts() == {"done": 0, "failed": 4, "skipped": 4}
    assert bot_edits(wiki) == done_on_wiki
