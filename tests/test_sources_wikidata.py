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


def test_query_is_shaped_for_wdqs():
    """The area through WDQS's geospatial service, never every designated item in the world."""
    query = wikidata.build_query(lat=34.85, lon=138.30, radius_km=10)
    assert "SERVICE wikibase:around {" in query
    assert 'bd:serviceParam wikibase:center "Point(138.300000 34.850000)"^^geo:wktLiteral .' in query
    assert 'bd:serviceParam wikibase:radius "10" .' in query
    # the designation is joined to the items the service found, and no coordinate is parsed by strings
    assert query.index("SERVICE wikibase:around") < query.index("?item wdt:P1435 ?designation")
    assert "STRBEFORE" not in query and "STRAFTER" not in query
    both = wikidata.build_query(lat=34.85, lon=138.30, radius_km=10, admin_qid="Q900100")
    assert "?item wdt:P131* wd:Q900100 ." in both and "UNION" in both and "wikibase:around" in both
    only_town = wikidata.build_query(admin_qid="Q900100")
    assert "wikibase:around" not in only_town and "wdt:P131* wd:Q900100" in only_town
    with pytest.raises(ValueError):
        wikidata.build_query(admin_qid="Q1} . ?x ?y ?z {")  # no injection through the config
    with pytest.raises(ValueError):
        wikidata.build_query()
    with pytest.raises(ValueError):
        wikidata.build_query(lat=134.0, lon=138.0, radius_km=10)


def test_the_standin_evaluates_the_exact_production_text(standin):
    server = sparql_standin(standin)
    wikidata.fetch(YAIZU, client=HttpClient(retries=0), endpoint=f"{server.url}/sparql")
    assert server.queries == [wikidata.build_query(lat=YAIZU.lat, lon=YAIZU.lon, radius_km=YAIZU.radius_km,
                                                   label_langs=("ja", "en"))]
    assert server.requests[0].form["query"] == server.queries[0]


def test_box_service_on_the_standin(standin):
    """wikibase:box as WDQS documents it (corners as WKT points) works on the stand-in too."""
    server = sparql_standin(standin)
    query = wikidata.PREFIXES + """SELECT ?item WHERE {
  SERVICE wikibase:box {
    ?item wdt:P625 ?loc .
    bd:serviceParam wikibase:cornerSouthWest "Point(138.30 34.86)"^^geo:wktLiteral .
    bd:serviceParam wikibase:cornerNorthEast "Point(138.32 34.88)"^^geo:wktLiteral .
  }
}"""
    resp = HttpClient(retries=0).request("POST", f"{server.url}/sparql", data={"query": query},
                                         service="Wikidata Query Service")
    got = {b["item"]["value"].rsplit("/", 1)[-1] for b in resp.json()["results"]["bindings"]}
    assert got == {"Q900001", "Q900005"}  # the hall and the station; not the castle, not the corner item
    import requests

    unknown = requests.post(f"{server.url}/sparql", timeout=10,
                            data={"query": "SELECT * WHERE { SERVICE wikibase:label { } }"})
    assert unknown.status_code == 400  # what the stand-in does not implement is refused, not ignored


MUNICIPALITIES = """
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
wd:Q900100 rdfs:label "焼津市"@ja ; wdt:P429 "222127" ; wdt:P625 "Point(138.3186 34.8670)"^^geo:wktLiteral .
wd:Q900200 rdfs:label "府中市"@ja ; wdt:P429 "132063" ; wdt:P625 "Point(139.4775 35.6689)"^^geo:wktLiteral .
wd:Q900201 rdfs:label "府中市"@ja ; wdt:P429 "342084" ; wdt:P625 "Point(133.2364 34.5683)"^^geo:wktLiteral .
wd:Q900202 rdfs:label "府中市"@en .
"""


def _with_municipalities(standin):
    import pyoxigraph as ox

    server = sparql_standin(standin)
    server.store.load(MUNICIPALITIES.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    return server


@pytest.mark.parametrize("how", [{"municipality_code": "222127"}, {"municipality_code": "22212"},
                                 {"municipality": "焼津市"}])
def test_municipality_item_found_first(standin, how):
    """No item in the event: one small query finds it (P429 code, or the name), then the main query
    takes the area and the municipality (items without coordinates too)."""
    server = _with_municipalities(standin)
    area = Area(34.85, 138.30, 10.0, **how)
    result = wikidata.fetch(area, client=HttpClient(retries=0), endpoint=f"{server.url}/sparql")
    assert {r.source_id for r in result.records} == {"Q900001", "Q900002", "Q900003"}
    assert result.notes["municipality_item"] == "Q900100"
    assert result.notes["municipality_how"] == (f"P429 {how['municipality_code']}" if "municipality_code" in how
                                                else "name 焼津市")
    assert len(server.queries) == 2 and "wdt:P429" in server.queries[0]
    assert server.queries[1] == wikidata.build_query(lat=34.85, lon=138.30, radius_km=10.0, admin_qid="Q900100",
                                                     label_langs=("ja", "en"))


def test_municipality_name_shared_by_two_towns(standin):
    server = _with_municipalities(standin)
    client = HttpClient(retries=0)
    tokyo = Area(35.67, 139.48, 3.0, municipality="府中市")
    assert wikidata.find_municipality(tokyo, client=client, endpoint=f"{server.url}/sparql")[0] == "Q900200"
    hiroshima = Area(34.57, 133.24, 3.0, municipality="府中市")
    assert wikidata.find_municipality(hiroshima, client=client, endpoint=f"{server.url}/sparql")[0] == "Q900201"
    qid, why = wikidata.find_municipality(Area(34.85, 138.30, 10.0, municipality="存在しない町"), client=client,
                                          endpoint=f"{server.url}/sparql")
    assert qid == "" and "no item" in why
    # a name that cannot be put in a query is not sent
    before = len(server.queries)
    assert wikidata.find_municipality(Area(34.85, 138.30, 10.0, municipality='焼津"市'), client=client,
                                      endpoint=f"{server.url}/sparql")[0] == ""
    assert len(server.queries) == before


def test_dantai_code_check_digit():
    assert wikidata.dantai_codes("13101") == ["131016", "13101"]  # 千代田区
    assert wikidata.dantai_codes("222127") == ["222127", "22212"]  # 焼津市
    assert wikidata.dantai_codes("abc") == []


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


@pytest.mark.parametrize("radius_km", [0.5, 1, 2, 3, 4.5, 7, 10, 15, 60])
def test_standin_circle_agrees_with_haversine(standin, radius_km):
    """wikibase:around on the stand-in keeps what lies within the radius on the globe (any radius:
    its FILTER numbers are doubles, never an over-long decimal that fails every comparison)."""
    from wikitown.core.geo import haversine_m

    server = sparql_standin(standin)
    lat, lon = 34.8669, 138.3236
    query = wikidata.PREFIXES + f"""SELECT ?item ?loc WHERE {{
  SERVICE wikibase:around {{
    ?item wdt:P625 ?loc .
    bd:serviceParam wikibase:center "Point({lon} {lat})"^^geo:wktLiteral .
    bd:serviceParam wikibase:radius "{radius_km}" .
  }}
}}"""
    resp = HttpClient(retries=0).request("POST", f"{server.url}/sparql", data={"query": query},
                                         service="Wikidata Query Service")
    got = {b["item"]["value"] for b in resp.json()["results"]["bindings"]}
    every = server.store.query(wikidata.PREFIXES + "SELECT ?item ?loc WHERE { ?item wdt:P625 ?loc }")
    expected = set()
    for row in every:
        point = wikidata._point(row["loc"].value)
        if haversine_m(lat, lon, *point) <= radius_km * 1000:
            expected.add(row["item"].value)
    assert got == expected


def test_wrong_code_falls_back_to_the_name(standin):
    server = _with_municipalities(standin)
    client = HttpClient(retries=0)
    area = Area(34.85, 138.30, 10.0, municipality_code="999999", municipality="焼津市")
    assert wikidata.find_municipality(area, client=client, endpoint=f"{server.url}/sparql") == ("Q900100", "name 焼津市")
    assert len(server.queries) == 2


def test_failed_lookup_still_asks_the_area(standin):
    """The small query failing (a timeout, a refusal) does not stop the area's query."""
    server = sparql_standin(standin)
    calls = []


    def flaky(req):
        calls.append(req.form.get("query", ""))
        if "wdt:P429" in req.form.get("query", ""):
            return 500, {"Content-Type": "text/plain"}, "java.util.concurrent.TimeoutException"
        import pyoxigraph as ox

        from tests.sparql_standin import to_standard_sparql

        body = server.store.query(to_standard_sparql(req.form["query"])).serialize(format=ox.QueryResultsFormat.JSON)
        return 200, {"Content-Type": "application/sparql-results+json"}, body

    server.route("POST", "/flaky", flaky)
    area = Area(34.85, 138.30, 10.0, municipality="焼津市")
    result = wikidata.fetch(area, client=HttpClient(retries=0), endpoint=f"{server.url}/flaky")
    assert {r.source_id for r in result.records} == {"Q900001", "Q900002"}
    assert result.notes["municipality_item"] == "" and result.notes["municipality_how"].startswith("the look-up failed")
    assert len(calls) == 2
