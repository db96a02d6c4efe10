"""``python -m wikitown cite`` and ``draft``: what they print, and how they fail."""
from __future__ import annotations

from pathlib import Path

from tests.harness.cli import run_cli
from wikitown.store.events import create_event
from wikitown.store.sites import upsert_sites

RSS = Path(__file__).with_name("fixtures") / "ndl_opensearch_isbn.xml"


def run(*args, env=None):
    return run_cli(*args, env=env)


def test_cite_book_ja_and_en():
    r = run("cite", "--lang", "ja", "--isbn", "978-4-04-893065-9", "--title", "焼津市史|通史編", "--author", "委員会",
            "--publisher", "焼津市", "--year", "2007", "--page", "12")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ("{{Cite book|和書|author=委員会|title=焼津市史&#124;通史編|publisher=焼津市|date=2007"
                                "|isbn=978-4-04-893065-9|page=12}}")
    r = run("cite", "--lang", "en", "--url", "https://example.org/a", "--title", "Map", "--publisher", "Yaizu City")
    assert r.returncode == 0
    assert r.stdout.startswith("{{cite web|url=https://example.org/a|title=Map|website=Yaizu City|access-date=")


def test_invalid_isbn_exits_non_zero_naming_it():
    r = run("cite", "--isbn", "978-4-04-893065-0", "--title", "x")
    assert r.returncode == 1 and r.stdout == ""
    assert "978-4-04-893065-0" in r.stderr and "Traceback" not in r.stderr
    r = run("cite", "--isbn", "978-4-04-893065-0", "--title", "x", env={"WIKITOWN_LANG": "ja"})
    assert r.returncode == 1 and "978-4-04-893065-0" in r.stderr and "正しくありません" in r.stderr


def test_lookup_uses_ndl_standin_and_offline_is_a_message(standin):
    server = standin()
    server.route("GET", "/api/opensearch", lambda req: (200, {"Content-Type": "application/xml"}, RSS.read_bytes()))
    r = run("cite", "--isbn", "9784048930659", "--lookup", env={"WIKITOWN_NDL_SEARCH_URL": server.url + "/api"})
    assert r.returncode == 0, r.stderr
    assert "title=Clean Architecture &#58; 達人に学ぶソフトウェアの構造と設計" in r.stdout or \
        "title=Clean Architecture : 達人に学ぶソフトウェアの構造と設計" in r.stdout
    assert "publisher=ドワンゴ" in r.stdout and "date=2018-07" in r.stdout
    url = server.url + "/api"
    server.close()
    r = run("cite", "--isbn", "9784048930659", "--lookup", env={"WIKITOWN_NDL_SEARCH_URL": url})
    assert r.returncode == 1 and "NDL Search" in r.stderr or "ndl_search" in r.stderr
    assert "Traceback" not in r.stderr


def test_draft_command_builds_then_prints_the_stored_draft(tmp_path, standin):
    event = create_event(tmp_path / "ev", name="t", lat=34.86, lon=138.32, radius_km=3, municipality="焼津市",
                         code="TEST-1")
    # the kind as a source gives it (a name alone picks no infobox: tests/test_sitemodel.py)
    upsert_sites(event.store, [{"id": "s1", "name": "常楽寺", "lat": 34.86, "lon": 138.32, "kind": "temple",
                                "kind_origin": "source"}])
    event.close()
    server = standin()
    dead = server.url + "/api.php"
    server.close()
    r = run("draft", str(event.dir), "s1", "--check", env={"WIKITOWN_WIKI_API_URL": dead})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("{{日本の寺院") and "{{DEFAULTSORT:" in r.stdout
    assert "could not check" in r.stderr.lower() and "placeholder" in r.stderr.lower()
    again = run("draft", str(event.dir), "s1", "--offline")
    assert again.stdout == r.stdout
    missing = run("draft", str(event.dir), "nope", "--offline")
    assert missing.returncode == 1 and "nope" in missing.stderr


def test_sources_import_and_list(tmp_path):
    from tests.harness.requirements import shared_data

    sample = shared_data("wikitext", "shintowiki-scripts_need_translation_Kehi_Shrine.wiki")
    event = create_event(tmp_path / "ev", name="t", lat=34.86, lon=138.32, radius_km=3, code="TEST-1")
    r = run("sources", "import-wikitext", str(event.dir), str(sample))
    assert r.returncode == 0, r.stderr
    listed = run("sources", "list", str(event.dir)).stdout
    assert "昭和天皇御召列車全記録" in listed and "978-4-10-320523-4" in listed
