"""The command line: ``sites import``, ``sites export`` and ``gaps`` run as a user runs them, against
the loopback wiki, pyoxigraph (Wikidata), a Nominatim stand-in and an Overpass that is down."""
from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa

from tests.harness.cli import run_cli
from tests.harness.requirements import shared_data
from tests.sparql_standin import sparql_standin
from tests.test_geocode import nominatim_standin
from wikitown.store.events import create_event, open_event
from wikitown.store.db import sites


def run(args, env=None, lang="en"):
    return run_cli(*args, env=env, lang=lang)


def test_import_to_csv_with_mapping_and_a_bad_file(tmp_path):
    geo = shared_data("opendata", "yaizu_222127", "bunkazai_map.geojson")
    coords_only = shared_data("opendata", "tokyo_taito_iseki_sjis", "13106_Taito-ku_coord_utf8.csv")
    features = json.loads(geo.read_text(encoding="utf-8"))["features"]
    named = sum(1 for f in features if (f["properties"].get("item4") or "").strip())
    out = tmp_path / "sites.csv"
    res = run(["sites", "import", str(geo), str(coords_only), "--out", str(out), "--area", "34.85,138.30,10",
               "--map", "name=item4", "--map", "designation=item6"], env={"WIKITOWN_HOME": str(tmp_path)})
    assert res.returncode == 1  # one file failed ...
    assert "13106_Taito-ku_coord_utf8.csv failed: The column \"item4\" is not in the file" in res.stderr
    assert f"bunkazai_map.geojson: {named} sites" in res.stdout  # ... the other was still done
    assert "line 157: no name (skipped)" in res.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == len({(f["properties"].get("item4"), tuple(f["geometry"]["coordinates"]))
                             for f in features if (f["properties"].get("item4") or "").strip()})
    assert {"site_id", "name", "coord_status", "sources", "article_status", "has_photo"} <= set(rows[0])


def test_import_into_event_in_japanese(tmp_path):
    event = create_event(tmp_path / "ev", name="t", lat=34.85, lon=138.30, radius_km=10, code="TEST1")
    walk = shared_data("opendata", "yaizu_222127", "historyspot__walkingevent.csv")
    res = run(["sites", "import", str(walk), "--event", str(event.dir)], lang="ja",
              env={"WIKITOWN_HOME": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    assert "イベントの文化財は 4 件になりました" in res.stdout
    res = run(["sites", "import", str(tmp_path / "none.csv"), "--event", str(event.dir)], lang="ja",
              env={"WIKITOWN_HOME": str(tmp_path)})
    assert res.returncode == 1 and "none.csv を読めません" in res.stderr
    res = run(["sites", "export", str(event.dir), "--format", "gpx"], env={"WIKITOWN_HOME": str(tmp_path)})
    assert res.stdout.count("<wpt ") == 4


def test_gaps_with_one_source_down(tmp_path, mediawiki, standin):
    home = tmp_path / "home"
    mediawiki.create_page("常楽寺本堂", "'''常楽寺本堂'''（じょうらくじほんどう）は焼津市の寺院建築。")
    wd = sparql_standin(standin)
    nominatim = nominatim_standin(standin, {"大井川": (34.80, 138.28)})
    closed = standin()
    overpass_url = f"{closed.url}/api/interpreter"
    closed.close()
    event = create_event(tmp_path / "ev", name="t", lat=34.85, lon=138.30, radius_km=10, code="TEST2",
                         municipality="焼津市")
    listing = tmp_path / "list.csv"
    listing.write_text("名称,住所,緯度,経度,指定区分\n常楽寺本堂,焼津市北浜通,34.8713,138.3119,国指定\n"
                       "大井川の渡し跡,大井川1,,,市指定\n", encoding="utf-8")
    env = {"WIKITOWN_HOME": str(home), "WIKITOWN_WIKIDATA_SPARQL_URL": f"{wd.url}/sparql",
           "WIKITOWN_OVERPASS_URL": overpass_url, "WIKITOWN_NOMINATIM_URL": nominatim.url,
           "WIKITOWN_WIKI_API_URL": mediawiki.api_url}
    assert run(["sites", "import", str(listing), "--event", str(event.dir)], env=env).returncode == 0
    res = run(["gaps", str(event.dir)], env=env)
    assert res.returncode == 1
    assert "OpenStreetMap failed: Could not reach OpenStreetMap (Overpass)" in res.stderr  # the failed source, named ...
    assert "[1/4] Asking OpenStreetMap" in res.stderr and "[4/4] Done." in res.stderr  # progress
    assert "wikidata: 2 sites" in res.stdout  # ... and the others still done
    # the event names its town but the graph has no item for it: said, and only the circle is asked
    assert "Wikidata: no item for the municipality, so only the area's circle was asked (no item with name 焼津市)" \
        in res.stderr
    ev = open_event(event.dir)
    with ev.store.read() as conn:
        rows = {r.name: r for r in conn.execute(sa.select(sites))}
    assert set(rows) == {"常楽寺本堂", "花沢城跡", "大井川の渡し跡"}
    hall = rows["常楽寺本堂"]
    assert hall.wikidata_id == "Q900001" and hall.article_status == "exists" and hall.has_photo is True
    assert hall.designation == "国指定" and hall.data["article_evidence"]["by"] == "wikidata_sitelink"
    castle = rows["花沢城跡"]
    assert castle.article_status == "missing" and castle.other_articles == {"en": "Hanazawa Castle"}
    ferry = rows["大井川の渡し跡"]
    assert (ferry.lat, ferry.lon, ferry.coord_status) == (34.80, 138.28, "geocoded")
    assert len(nominatim.requests) == 1
    ev.close()
    # The wiki down too: statuses become "unchecked", never guessed.
    with mediawiki.down():
        res = run(["gaps", str(event.dir), "--no-osm", "--no-geocode"], env=env)
    assert res.returncode == 1 and "Wikipedia failed: Could not reach Wikipedia (connection refused)" in res.stderr
    ev = open_event(event.dir)
    with ev.store.read() as conn:
        statuses = set(conn.execute(sa.select(sites.c.article_status)).scalars())
    assert statuses == {"unchecked"}
    ev.close()
