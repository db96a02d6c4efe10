"""OpenStreetMap through a stand-in Overpass API answering in its real JSON format."""
from __future__ import annotations

import pytest

from wikitown.core.config import Area
from wikitown.core.errors import ServiceError
from wikitown.net.http import HttpClient
from wikitown.sources import overpass

YAIZU = Area(34.85, 138.30, 10.0)

# The shape of an Overpass answer to `[out:json]; ... out center tags;` (API 0.7.x).
ANSWER = {
    "version": 0.6, "generator": "Overpass API 0.7.62.1 084b4234",
    "osm3s": {"timestamp_osm_base": "2026-11-25T00:00:00Z",
              "copyright": "The data included in this document is from www.openstreetmap.org. "
                           "The data is made available under ODbL."},
    "elements": [
        {"type": "node", "id": 101, "lat": 34.8712, "lon": 138.3118,
         "tags": {"historic": "memorial", "name": "小泉八雲先生風詠之地碑", "name:ja-Hira": "こいずみやくもせんせいふうえいのちひ"}},
        {"type": "way", "id": 202, "center": {"lat": 34.9086, "lon": 138.3312},
         "tags": {"amenity": "place_of_worship", "religion": "buddhist", "historic": "temple", "name": "法華寺",
                  "name:en": "Hokkeji", "heritage": "7", "wikidata": "Q900010",
                  "wikipedia": "ja:法華寺 (焼津市)", "wikimedia_commons": "Category:Hokkeji (Yaizu)"}},
        {"type": "relation", "id": 303, "center": {"lat": 34.9050, "lon": 138.3301},
         "tags": {"historic": "castle", "heritage": "2", "name": "花沢城跡", "en:wikipedia": "Hanazawa Castle"}},
        {"type": "node", "id": 404, "lat": 34.86, "lon": 138.31, "tags": {"historic": "boundary_stone"}},
        {"type": "node", "id": 505, "lat": 35.68, "lon": 139.76, "tags": {"historic": "memorial", "name": "遠く"}},
    ],
}


def test_elements_become_records(standin):
    server = standin()
    server.route("POST", "/api/interpreter", ANSWER)
    result = overpass.fetch(YAIZU, client=HttpClient(retries=0), endpoint=f"{server.url}/api/interpreter")
    recs = {r.source_id: r for r in result.records}
    assert set(recs) == {"node/101", "way/202", "relation/303"}  # unnamed and far-away ones left out
    assert recs["node/101"].name_kana.startswith("こいずみ") and recs["node/101"].coord_status == "ok"
    temple = recs["way/202"]
    assert (temple.lat, temple.lon) == (34.9086, 138.3312)  # the way's centre
    assert temple.wikidata_id == "Q900010" and temple.articles == {"ja": "法華寺 (焼津市)"}
    assert temple.kind == "temple" and temple.designation_level == "municipal"
    assert temple.commons_category == "Hokkeji (Yaizu)" and temple.name_en == "Hokkeji"
    assert recs["relation/303"].designation_level == "national"
    assert recs["relation/303"].articles == {"en": "Hanazawa Castle"}
    assert [i.reason for i in result.issues] == ["node/404 has no name"]
    query = server.requests[0].form["data"]
    assert "[out:json]" in query and 'nwr["historic"](around:10000,34.850000,138.300000)' in query
    assert 'nwr["heritage"]' in query and "out center tags;" in query


def test_overpass_errors(standin):
    server = standin()
    # Overpass answers a busy server with 429 / an HTML error page.
    server.route("POST", "/busy", (200, {"Content-Type": "text/html"}, "<html><body>runtime error</body></html>"))
    server.route("POST", "/remark", {"version": 0.6, "elements": [],
                                              "remark": "runtime error: Query timed out in \"query\" at line 3"})
    with pytest.raises(ServiceError):
        overpass.fetch(YAIZU, client=HttpClient(retries=0), endpoint=f"{server.url}/busy")
    with pytest.raises(ServiceError):
        overpass.fetch(YAIZU, client=HttpClient(retries=0), endpoint=f"{server.url}/remark")
