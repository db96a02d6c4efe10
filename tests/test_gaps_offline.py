"""Offline honesty (issue 15, point 8): when the wiki could not be asked, the sites say 未確認 with
the reason, the "no article" filter says why it is empty, and the progress does not end in 完了
after more than three failed requests."""
from __future__ import annotations

from tests.harness.apptest import signed_in


def _steps(event, **kw):
    from wikitown.gaps.collect import run_gaps

    steps = []
    report = run_gaps(event, progress=lambda step, done, total: steps.append(step), geocode=False, **kw)
    return report, steps


def test_progress_is_not_done_after_many_failures(demo_env, standin, monkeypatch):
    from wikitown.store.events import open_event
    from wikitown.store.sites import sites_frame

    server = standin()
    server.route("POST", "/sparql", (503, {"Content-Type": "text/plain"}, "Service Unavailable"))
    server.route("POST", "/api/interpreter", (504, {"Content-Type": "text/plain"}, "Gateway Timeout"))
    server.route("*", "/w/api.php", {"error": {"code": "internal_api_error_DBQueryError", "info": "Database error"}})
    monkeypatch.setenv("WIKITOWN_WIKIDATA_SPARQL_URL", f"{server.url}/sparql")
    monkeypatch.setenv("WIKITOWN_OVERPASS_URL", f"{server.url}/api/interpreter")
    monkeypatch.setenv("WIKITOWN_WIKI_API_URL", f"{server.url}/w/api.php")
    event = open_event(demo_env)
    report, steps = _steps(event)
    assert report.failed_requests > 3
    assert steps[-1] == "sites.progress.incomplete" and "sites.progress.done" not in steps
    assert {f.source for f in report.failures} == {"wikidata", "osm", "wiki"}
    frame = sites_frame(event.store)
    assert set(frame["article_status"]) == {"unchecked"}
    reasons = {d["article_evidence"]["reason_key"] for d in frame["data"]}
    assert reasons == {"error.service_error"}
    event.close()


def test_one_failure_is_still_done_and_named(demo_env, standin, monkeypatch):
    from wikitown.gaps.article_status import status_note
    from wikitown.store.events import open_event
    from wikitown.store.sites import sites_frame

    server = standin()
    server.close()  # nothing listens: the wiki cannot be reached
    monkeypatch.setenv("WIKITOWN_WIKI_API_URL", f"{server.url}/w/api.php")
    event = open_event(demo_env)
    report, steps = _steps(event, sources=())
    assert steps[-1] == "sites.progress.done" and report.failed_requests == 1
    assert [f.source for f in report.failures] == ["wiki"]
    frame = sites_frame(event.store)
    assert len(frame) > 100 and set(frame["article_status"]) == {"unchecked"}
    note = status_note("unchecked", frame["data"].iloc[0]["article_evidence"], "ja")
    assert note.startswith("ウィキペディアに確認できませんでした") and "接続できませんでした" in note
    event.close()


def test_missing_filter_says_why_it_is_empty(demo_env):
    at = signed_in("organizer", "ja", timeout=60)
    assert not at.exception
    next(c for c in at.checkbox if c.key == "sites_f_article").check().run()
    assert len(at.dataframe[0].value) == 0
    infos = [i.value for i in at.info]
    assert any(i.startswith("158 件はまだ記事の有無を確認できていません") and "まだウィキペディアに問い合わせていません" in i
               for i in infos)
    # the table says it per site, too
    next(c for c in at.checkbox if c.key == "sites_f_article").uncheck().run()
    assert set(at.dataframe[0].value["記事の確認"]) == {"まだウィキペディアに問い合わせていません。"}
