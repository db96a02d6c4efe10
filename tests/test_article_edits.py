"""Sites that already have an article: the event's work is an edit of it, never a new page
(issue 12.5). Against the real loopback MediaWiki, read back through the wiki's own API."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.publish_data import EventBuilder
from wikitown.cli import main
from wikitown.core.errors import InputError
from wikitown.drafts import builder as drafts
from wikitown.drafts import edits, register, review
from wikitown.drafts.citations import Source
from wikitown.net.http import HttpClient
from wikitown.net.mwapi import MediaWikiAPI
from wikitown.publish import make_plan, run_apply, wiki_specs
from wikitown.report import build_report
from wikitown.store.db import sites

pytestmark = pytest.mark.wiki

DATASET_URL = "https://www.city.taito.lg.jp/opendata/bunkazai.csv"


@pytest.fixture
def specs(mediawiki, pywikibot_dir):
    def make(event):
        return wiki_specs(event, api_url=mediawiki.api_url, user=mediawiki.bot_user)
    return make


@pytest.fixture
def api(mediawiki):
    return MediaWikiAPI(mediawiki.api_url, HttpClient(retries=0))


def article_text(name: str) -> str:
    # The second paragraph has no footnote: an old problem of the article, not the event's.
    return (f"'''{name}'''（しきあん）は、東京都台東区根岸にある正岡子規の旧居。"
            "<ref>{{Cite web|url=https://example.org/shiki|title=子規庵|publisher=子規庵保存会}}</ref>\n\n"
            "庵は1945年に焼失し、1950年に再建された。\n\n"
            "== 脚注 ==\n<references />\n\n[[Category:東京都の史跡]]")


def revisions(wiki, title: str) -> list[dict]:
    res = wiki.api({"action": "query", "prop": "revisions", "titles": title, "rvlimit": 50,
                    "rvprop": "ids|user|content", "rvslots": "main", "rvdir": "newer"})
    return res["query"]["pages"][0].get("revisions", [])


def pages_with_prefix(wiki, prefix: str) -> list[str]:
    out = []
    for ns in (0, 2, 118):
        res = wiki.api({"action": "query", "list": "allpages", "apprefix": prefix, "apnamespace": ns,
                        "aplimit": 50})
        out += [p["title"] for p in res["query"]["allpages"]]
    return out


def exists_site(b: EventBuilder, name: str, title: str, status: str = "exists") -> str:
    site = b.site(name)
    with b.store.write() as conn:
        conn.execute(sites.update().where(sites.c.id == site).values(
            article_status=status, article_title=title, designation="台東区指定史跡", category="史跡",
            municipality="台東区"))
    register.add_source(b.store, Source("dataset", "台東区文化財一覧", publisher="台東区", url=DATASET_URL,
                                        access_date="2026-11-28",
                                        data={"file": "data/taito.csv", "licence": "CC BY 4.0"}), [site])
    return site


def test_exists_site_is_published_as_an_edit_of_its_article(tmp_path, mediawiki, specs, api):
    b = EventBuilder(tmp_path)
    name = f"子規庵 {b.tag}"
    base_rev = mediawiki.create_page(name, article_text(name), user="other")["newrevid"]
    site = exists_site(b, name, name)
    person = b.participant("山田花子", wiki_user="Hanako Y")
    b.photo(site, person)
    # A site whose title is a disambiguation page: the organizer chooses first.
    dab = f"常楽寺 {b.tag}"
    mediawiki.create_page(dab, "'''常楽寺'''は次の寺院を指す。\n* [[常楽寺 (焼津市)]]\n{{Aimai}}")
    other = exists_site(b, dab, dab, status="ambiguous")

    # The photos go to the wiki first: their names are then known to the draft.
    files, pages = specs(b.event)
    first = make_plan(b.event, files, pages)
    assert not run_apply(b.event, first, files, pages).failed
    photo = first.files[0].filename

    draft, check = drafts.open_draft(b.event, site, author="Aki", role="participant", api=api)
    assert (draft.title, check.status) == (name, "edit")
    base = edits.base_of(b.store, draft.id)
    assert (base.title, base.revid, base.wikitext) == (name, base_rev, article_text(name))
    text = review.current_wikitext(b.store, draft.id)
    cite = ("{{Cite web|和書|url=" + DATASET_URL + "|title=台東区文化財一覧|publisher=台東区|accessdate=2026-11-28"
            "|type=オープンデータ、CC BY 4.0}}")
    assert f"== ギャラリー ==\n<gallery>\nFile:{photo}|{name}\n</gallery>" in text
    assert "== 文化財 ==\n* 台東区指定史跡 史跡<ref name=" in text and cite in text
    # new sections go before the closing ones; nothing of the article is removed or changed
    assert text.index("== ギャラリー ==") < text.index("== 文化財 ==") < text.index("== 脚注 ==")
    diff = review.diff_text(base.wikitext, text)
    removed = [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert removed == [] and f"+File:{photo}|{name}" in diff
    assert drafts.check_draft(b.store, draft.id) == []  # the article's own unreferenced paragraph is not ours

    with pytest.raises(InputError) as err:
        drafts.open_draft(b.event, other, api=api)
    assert err.value.key == "drafts.error.choose_title" and dab in err.value.message("ja")
    edits.choose_title(b.store, other, f"{dab} (台東区)", "new", by="主催者")
    new_draft, new_check = drafts.open_draft(b.event, other, api=api)
    assert (new_draft.title, new_check.status) == (f"{dab} (台東区)", "chosen")
    assert edits.base_of(b.store, new_draft.id) is None

    for d in (draft, new_draft):
        review.transition(b.store, d.id, "submit", author="Aki", role="participant")
        drafts.act(b.event, d.id, "approve", author="司書 佐藤", role="librarian",
                   override_reason="" if d is draft else "歴史の節はイベント後に書く")

    files, pages = specs(b.event)
    plan = make_plan(b.event, files, pages)
    edit = next(a for a in plan.pages if a.draft_id == draft.id)
    assert (edit.title, edit.base_revid, edit.status) == (name, base_rev, "todo")
    assert "publish.notice.edit_article" in [n.key for n in edit.notices]
    result = run_apply(b.event, plan, files, pages)
    assert not result.failed, [(i.target, i.reason, i.detail) for i in result.failed]

    # The wiki's own record: one more revision of the same page, on top of the base; no new page.
    history = revisions(mediawiki, name)
    assert [r["revid"] for r in history][0] == base_rev and len(history) == 2
    assert history[1]["parentid"] == base_rev and history[1]["user"] == mediawiki.bot_user
    content = history[1]["slots"]["main"]["content"]
    assert f"File:{photo}" in content and cite in content and "庵は1945年に焼失し" in content
    assert pages_with_prefix(mediawiki, name) == [name]
    assert not mediawiki.page_exists(f"Draft:{name}")
    assert mediawiki.page_exists(f"Draft:{dab} (台東区)")
    published = review.get_draft(b.store, draft.id)
    assert (published.state, published.published_title, published.published_revid) == \
        ("published", name, history[1]["revid"])

    # The report tells the edit from the draft, by namespace, as the wiki confirms them.
    report = build_report(b.event, confirm_with_wiki=True, wiki_api=api, commons_api=api)
    assert (report.total.articles_improved, report.total.articles_created, report.total.drafts_published) == \
        (1, 0, 1)
    assert report.pages_by_namespace == {0: 1, 118: 1}
    assert report.wiki.checked and report.wiki.pages_by_namespace == {0: 1, 118: 1}


def test_article_changed_after_the_draft_is_an_edit_conflict_not_an_overwrite(tmp_path, mediawiki, specs, api,
                                                                              monkeypatch):
    b = EventBuilder(tmp_path)
    name = f"子規庵 {b.tag}"
    mediawiki.create_page(name, article_text(name), user="other")
    site = exists_site(b, name, name)
    draft, _ = drafts.open_draft(b.event, site, api=api)
    review.transition(b.store, draft.id, "submit", author="Aki", role="participant")
    drafts.act(b.event, draft.id, "approve", author="司書 佐藤", role="librarian")
    files, pages = specs(b.event)
    plan = make_plan(b.event, files, pages)
    assert plan.pages[0].status == "todo"
    # Someone improves the article between the plan and the publish.
    theirs = article_text(name) + "\n\n[[Category:正岡子規]]"
    mediawiki.create_page(name, theirs, user="other")
    result = run_apply(b.event, plan, files, pages)
    assert [(i.target, i.reason) for i in result.failed] == [(name, "editconflict")]
    assert mediawiki.page_text(name) == theirs and len(revisions(mediawiki, name)) == 2
    assert review.get_draft(b.store, draft.id).state == "approved"
    # A new plan holds it back, naming both revisions.
    again = make_plan(b.event, files, pages)
    notice = next(n for n in again.pages[0].notices if n.key == "publish.notice.article_changed")
    assert again.pages[0].status == "blocked" and notice.params["latest"] != notice.params["base"]
    assert mediawiki.page_text(name) == theirs
    # Carried over to the article's current revision, reviewed again, then published on top of it.
    latest = revisions(mediawiki, name)[-1]["revid"]
    monkeypatch.setenv("WIKITOWN_WIKI_API_URL", mediawiki.api_url)  # the command reads the event's wiki
    assert main(["draft", str(b.event.dir), site, "--rebase", "--as", "司書 佐藤", "--role", "librarian"]) == 0
    assert edits.base_of(b.store, draft.id).revid == latest
    assert review.get_draft(b.store, draft.id).state == "in_review"  # other text: approve it again
    drafts.act(b.event, draft.id, "approve", author="司書 佐藤", role="librarian")
    plan = make_plan(b.event, files, pages)
    assert (plan.pages[0].status, plan.pages[0].base_revid) == ("todo", latest)
    assert not run_apply(b.event, plan, files, pages).failed
    history = revisions(mediawiki, name)
    assert len(history) == 3 and history[2]["parentid"] == latest
    content = history[2]["slots"]["main"]["content"]
    assert "[[Category:正岡子規]]" in content and "台東区指定史跡" in content and DATASET_URL in content


def test_an_edit_needs_the_wiki_and_an_article(tmp_path, mediawiki, api):
    b = EventBuilder(tmp_path)
    site = exists_site(b, f"消えた寺 {b.tag}", f"消えた寺 {b.tag}")
    with pytest.raises(InputError) as err:
        drafts.open_draft(b.event, site, check_wiki=False)
    assert err.value.key == "drafts.error.edit_offline"
    with pytest.raises(InputError) as err:
        drafts.open_draft(b.event, site, api=api)
    assert err.value.key == "drafts.error.article_missing"
    assert review.draft_for_site(b.store, site) is None
    with b.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sites)).scalar_one() == 1

