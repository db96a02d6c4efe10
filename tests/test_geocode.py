"""Geocoding through geopy's Nominatim against a stand-in answering in Nominatim's real format."""
from __future__ import annotations

import time

import pytest

from wikitown.core.config import Area
from wikitown.core.errors import ServiceUnavailable
from wikitown.sources.nominatim import Geocoder, geocode_records
from wikitown.sources.base import SiteRecord

YAIZU = Area(34.85, 138.30, 10.0, municipality="焼津市")


def nominatim_standin(standin, places: dict[str, tuple[float, float]]):
    server = standin()
    server.times = []

    def search(req):
        server.times.append(time.monotonic())
        q = req.query["q"]
        for key, (lat, lon) in places.items():
            if key in q:
                return [{"place_id": 1234, "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
                         "osm_type": "way", "osm_id": 5678, "lat": f"{lat}", "lon": f"{lon}",
                         "class": "place", "type": "house", "place_rank": 30, "importance": 0.0001,
                         "addresstype": "place", "name": "", "display_name": f"{key}, 焼津市, 静岡県, 日本",
                         "boundingbox": [f"{lat - 0.0001}", f"{lat + 0.0001}", f"{lon - 0.0001}", f"{lon + 0.0001}"]}]
        return []

    server.route("GET", "/search", search)
    return server


def _rec(i, name, address):
    return SiteRecord(source="opendata:x.csv", source_id=str(i), name=name, address=address, data={"line": i + 1})


def test_geocodes_at_most_once_a_second_and_caches(standin, tmp_path):
    server = nominatim_standin(standin, {"北浜通95": (34.8648, 138.3246), "大井川": (34.80, 138.28),
                                         "東京都千代田区": (35.68, 139.76)})
    cache = tmp_path / "geocode.json"
    records = [_rec(1, "護信寺", "北浜通95-2"), _rec(2, "某所", "大井川1"), _rec(3, "住所不明", "どこでもない"),
               _rec(4, "遠い", "東京都千代田区1"), SiteRecord("x", "5", "座標あり", address="北浜通95",
                                                          lat=34.86, lon=138.32, coord_status="ok")]
    geocoder = Geocoder(server.url, cache_path=cache)
    result = geocode_records(records, geocoder, area=YAIZU, municipality="焼津市")
    assert [r.name for r in result.records] == ["護信寺", "某所"]
    assert (records[0].lat, records[0].lon, records[0].coord_status) == (34.8648, 138.3246, "geocoded")
    assert records[0].data["geocoded"]["query"] == "焼津市 北浜通95-2"
    assert records[2].coord_status == "missing" and records[3].coord_status == "missing"
    assert [i.line for i in result.issues] == [4, 5]
    assert "not found" in result.issues[0].reason and "outside" in result.issues[1].reason
    assert len(server.requests) == 4 and records[4].lat == 34.86  # a located record is not asked
    gaps = [b - a for a, b in zip(server.times, server.times[1:])]
    assert min(gaps) >= 0.95  # the Nominatim usage policy: one request a second
    assert server.requests[0].query["countrycodes"] == "jp"
    assert "wikitown" in server.requests[0].headers["User-Agent"]
    # A second run, even in a new process, asks nothing: the answers are on disk.
    again = [_rec(1, "護信寺", "北浜通95-2"), _rec(3, "住所不明", "どこでもない")]
    geocode_records(again, Geocoder(server.url, cache_path=cache), area=YAIZU, municipality="焼津市")
    assert len(server.requests) == 4 and again[0].coord_status == "geocoded"


def test_unreachable_nominatim_is_a_clear_error(standin, tmp_path):
    server = standin()
    url = server.url
    server.close()
    with pytest.raises(ServiceUnavailable) as err:
        geocode_records([_rec(1, "護信寺", "北浜通95-2")], Geocoder(url, cache_path=tmp_path / "c.json"))
    assert err.value.service == "Nominatim"
