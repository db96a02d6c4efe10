"""Wikidata by SPARQL: the product's query and HTTP code against pyoxigraph over a fixture graph
in Wikidata's RDF shape (tests/data/wikidata_yaizu.ttl)."""
from __future__ import annotations

import pytest

from tests.sparql_standin import sparql_standin
from wikitown.core.config import Area
from wikitown.core.errors import ServiceError, ServiceUnavailable
from wikitown.net.http import HttpClient
from wikitown.sources import wikidata

YAIZU = Area(34.85, 138.30, 10.0)


def test_area_query_on_pyoxigraph(standin):
    server = sparql_standin(standin)
    result = wikidata.fetch(YAIZU, client=HttpClient(retries=0), endpoint=f"{server.url}/sparql")
    items = {r.source_id: r for r in result.records}
    # 屋島寺 (Takamatsu), 焼津駅 (no designation), a deprecated designation, and an item in the
    # bounding box's corner but outside the circle are all left out.
    assert set(items) == {"Q900001", "Q900002"}
    hall = items["Q900001"]
    assert (hall.name, hall.name_en, hall.wikidata_id) == ("常楽寺本堂", "Jorakuji Main Hall", "Q900001")
    assert (hall.lat, hall.lon, hall.coord_status) == (34.8712, 138.3118, "ok")
    assert hall.designation == "重要文化財" and hall.designation_level == "national"
    assert hall.articles == {"ja": "常楽寺本堂", "en": "Jorakuji Main Hall"}  # Commons is no Wikipedia
    assert hall.image == "Jorakuji hondo.jpg" and hall.commons_category == "Jorakuji (Yaizu)"
    castle = items["Q900002"]
    assert sorted(castle.data["designations"]) == ["Q1188622", "Q30834580"]
    assert castle.articles == {"en": "Hanazawa Castle"} and castle.image == ""
    req = server.requests[0]
    assert req.method == "POST" and "application/sparql-results+json" in req.headers["Accept"]
    assert req.headers["User-Agent"].startswith("wikitown/")


def test_municipality_query_finds_items_without_coordinates(standin):
    server = sparql_standin(standin)
    area = Area(34.85, 138.30, 10.0, wikidata_id="Q900100")
    result = wikidata.fetch(area, client=HttpClient(retries=0), endpoint=f"{server.url}/sparql")
    items = {r.source_id: r for r in result.records}
    assert set(items) == {"Q900001", "Q900002", "Q900003"}  # Q900003 is in Q900100 through P131*
    assert items["Q900003"].lat is None and items["Q900003"].coord_status == "missing"
    assert items["Q900003"].designation == "天然記念物"


def test_query_is_plain_sparql():
    query = wikidata.build_query(lat=34.85, lon=138.30, radius_km=10)
    assert "SERVICE" not in query and "wikibase:" not in query and "bd:" not in query
    with pytest.raises(ValueError):
        wikidata.build_query(admin_qid="Q1} . ?x ?y ?z {")  # no injection through the config
    with pytest.raises(ValueError):
        wikidata.build_query()


def test_real_wdqs_answer_parses():
    """A real WDQS answer (other variables, labels from the label service) still gives one record
    per item, with no coordinates invented."""
    import json

    from tests.harness.requirements import shared_data

    data = json.loads(shared_data("wikidata", "results_with_labels_descriptions_and_aliases.json")
                      .read_text(encoding="utf-8"))
    items = {b["item"]["value"].rsplit("/", 1)[-1] for b in data["results"]["bindings"]}
    result = wikidata.parse_results(data)
    assert {r.source_id for r in result.records} == items
    assert all(r.lat is None and r.coord_status == "missing" for r in result.records)


def test_failures_are_clear(standin):
    client = HttpClient(retries=0)
    server = standin()
    server.route("POST", "/sparql", (500, {}, "java.lang.OutOfMemoryError"))
    server.route("POST", "/html", (200, {"Content-Type": "text/html"}, "<html>maintenance</html>"))
    server.route("POST", "/odd", {"head": {}})
    with pytest.raises(ServiceUnavailable):
        wikidata.fetch(YAIZU, client=client, endpoint=f"{server.url}/sparql")
    with pytest.raises(ServiceError):
        wikidata.fetch(YAIZU, client=client, endpoint=f"{server.url}/html")
    with pytest.raises(ServiceError):
        wikidata.fetch(YAIZU, client=client, endpoint=f"{server.url}/odd")
    server.close()
    with pytest.raises(ServiceUnavailable):
        wikidata.fetch(YAIZU, client=client, endpoint=f"{server.url}/sparql")
