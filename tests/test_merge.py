"""Merging sources: names gated by distance, provenance kept, manual join/split, stable ids."""
from __future__ import annotations

import shutil

import sqlalchemy as sa

from wikitown.gaps.merge import join_sites, kana_key, merge_into_store, merge_records, name_key, split_site
from wikitown.core.paths import PROJECT_ROOT
from wikitown.sources.base import SiteRecord
from wikitown.store.db import Store, finds, participants, site_provenance, sites

M = 1 / 111_320  # one metre of latitude in degrees


def rec(source, sid, name, lat=None, lon=None, **kw):
    status = "ok" if lat is not None else "missing"
    return SiteRecord(source=source, source_id=str(sid), name=name, lat=lat, lon=lon, coord_status=status, **kw)


def groups(records, **kw):
    return sorted(sorted(f"{r.source}:{r.source_id}" for r in site.records) for site in merge_records(records, **kw))


def test_two_hachiman_shrines_far_apart_never_merge():
    records = [rec("opendata:a", 1, "八幡神社", 34.8500, 138.3000), rec("opendata:a", 2, "八幡神社", 34.8680, 138.3000),
               rec("osm", "n1", "八幡神社", 34.8500 + 40 * M, 138.3000), rec("osm", "n2", "八幡神社", 34.8680 - 30 * M, 138.3)]
    assert groups(records) == [["opendata:a:1", "osm:n1"], ["opendata:a:2", "osm:n2"]]


def test_equal_names_merge_only_within_the_gate():
    near = [rec("opendata:a", 1, "常楽寺", 34.87, 138.31), rec("wikidata", "Q1", "常楽寺", 34.87 + 450 * M, 138.31)]
    far = [rec("opendata:a", 1, "常楽寺", 34.87, 138.31), rec("wikidata", "Q1", "常楽寺", 34.87 + 600 * M, 138.31)]
    assert len(groups(near)) == 1 and len(groups(far)) == 2


def test_normalised_and_fuzzy_names():
    assert name_key("ＡＢＣ寺　（焼津市）") == name_key("abc寺") == "abc寺"
    assert kana_key("じょうらくじ") == kana_key("ジョウラクジ")
    records = [rec("opendata:a", 1, "旧エンカ屋敷跡", 34.8630, 138.3232),
               rec("opendata:b", 1, "エンカ屋敷跡", 34.8630 + 20 * M, 138.3232),
               rec("opendata:a", 2, "常樂寺", 34.90, 138.30, name_kana="じょうらくじ"),
               rec("osm", "n", "常楽寺", 34.90 + 100 * M, 138.30, name_kana="ジョウラクジ"),
               rec("opendata:a", 3, "法華寺", 34.95, 138.30), rec("osm", "m", "法華寺本堂跡地碑", 34.95 + 10 * M, 138.30)]
    assert groups(records) == [["opendata:a:1", "opendata:b:1"], ["opendata:a:2", "osm:n"], ["opendata:a:3"],
                               ["osm:m"]]
    # similar names, but 400 m apart: two sites
    apart = [rec("opendata:a", 1, "旧エンカ屋敷跡", 34.8630, 138.3232), rec("opendata:b", 1, "エンカ屋敷跡", 34.8630 + 400 * M, 138.3232)]
    assert len(groups(apart)) == 2


def test_one_source_never_merges_with_itself_and_wikidata_ids_always_do():
    records = [rec("opendata:a", 1, "石碑", 34.85, 138.30), rec("opendata:a", 2, "石碑", 34.85, 138.30),
               rec("wikidata", "Q5", "Hachiman shrine", 34.86, 138.31, wikidata_id="Q5"),
               rec("osm", "w9", "八幡宮", 34.86 + 900 * M, 138.31, wikidata_id="Q5")]
    assert groups(records) == [["opendata:a:1"], ["opendata:a:2"], ["osm:w9", "wikidata:Q5"]]


def test_records_without_coordinates_merge_only_on_a_unique_name():
    records = [rec("opendata:a", 1, "法華寺"), rec("wikidata", "Q7", "法華寺", 34.90, 138.33),
               rec("opendata:a", 2, "八幡神社"), rec("osm", "a", "八幡神社", 34.85, 138.30),
               rec("osm", "b", "八幡神社", 34.88, 138.30)]
    assert groups(records) == [["opendata:a:1", "wikidata:Q7"], ["opendata:a:2"], ["osm:a"], ["osm:b"]]


def test_combined_values_and_provenance():
    a = rec("opendata:list.csv", 1, "常楽寺", 34.87, 138.31, designation="市指定", designation_level="municipal",
            address="焼津市北浜通")
    w = rec("wikidata", "Q9", "常楽寺本堂", 34.8701, 138.3101, wikidata_id="Q9", image="J.jpg",
            articles={"ja": "常楽寺 (焼津市)", "en": "Jorakuji"}, designation_level="national")
    (site,) = merge_records([a, w], fuzzy_m=150)
    v = site.values
    assert v["name"] == "常楽寺" and v["designation"] == "市指定"  # the town's wording
    assert (v["lat"], v["lon"]) == (34.8701, 138.3101)  # Wikidata's coordinates
    assert v["designation_level"] == "national" and v["wikidata_id"] == "Q9" and v["image"] == "J.jpg"
    assert v["other_articles"] == {"ja": "常楽寺 (焼津市)", "en": "Jorakuji"}
    assert site.sources == ["opendata:list.csv", "wikidata"]


def test_suspect_coordinates_do_not_win():
    a = rec("opendata:a", 1, "常楽寺", 34.5106, 138.18)
    a.coord_status = "suspect"
    b = rec("wikidata", "Q1", "常楽寺")
    (site,) = merge_records([a, b])
    assert site.values["coord_status"] == "suspect"  # kept, flagged, never silently trusted


def test_store_merge_keeps_ids_and_moves_finds_on_manual_join(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    first = [rec("opendata:a", 1, "常楽寺", 34.87, 138.31), rec("opendata:a", 2, "法華寺", 34.90, 138.33)]
    merge_into_store(store, first)
    with store.read() as conn:
        ids = dict(conn.execute(sa.select(sites.c.name, sites.c.id)).all())
    # importing the same file again changes nothing
    merge_into_store(store, [rec("opendata:a", 1, "常楽寺", 34.87, 138.31), rec("opendata:a", 2, "法華寺", 34.90, 138.33)])
    with store.read() as conn:
        assert dict(conn.execute(sa.select(sites.c.name, sites.c.id)).all()) == ids
    # OSM knows 常楽寺 under another name, 2 km away: a separate site until the organizer joins them
    merge_into_store(store, [rec("osm", "w1", "常樂禅寺", 34.87 + 2000 * M, 138.31)])
    with store.read() as conn:
        osm_id = conn.execute(sa.select(sites.c.id).where(sites.c.name == "常樂禅寺")).scalar()
        conn.execute(sa.select(sites)).all()
    with store.write() as conn:
        conn.execute(participants.insert().values(id="p1", display_name="A", licence="cc0", consent_at="x"))
        conn.execute(finds.insert().values(id="f1", participant_id="p1", site_id=osm_id))
        conn.execute(sites.update().where(sites.c.id == ids["常楽寺"]).values(selected=True))
    result = join_sites(store, [ids["常楽寺"], osm_id])
    assert result["sites"] == 2
    with store.read() as conn:
        rows = {r.name: r for r in conn.execute(sa.select(sites))}
        assert set(rows) == {"常楽寺", "法華寺"} and rows["常楽寺"].id == ids["常楽寺"]
        assert rows["常楽寺"].selected is True  # the organizer's choices survive a merge
        assert conn.execute(sa.select(finds.c.site_id)).scalar() == ids["常楽寺"]
        provs = conn.execute(sa.select(site_provenance.c.source).where(
            site_provenance.c.site_id == ids["常楽寺"])).scalars().all()
        assert sorted(provs) == ["opendata:a", "osm"]
    # the join is remembered when the sources are fetched again
    merge_into_store(store, [rec("osm", "w1", "常樂禅寺", 34.87 + 2000 * M, 138.31)])
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sites)).scalar() == 2
    # and undone by a split
    split_site(store, ids["常楽寺"])
    with store.read() as conn:
        names = sorted(conn.execute(sa.select(sites.c.name)).scalars())
        assert names == ["常楽寺", "常樂禅寺", "法華寺"]
        assert conn.execute(sa.select(sites.c.id).where(sites.c.name == "常楽寺")).scalar() == ids["常楽寺"]


def test_sites_without_sources_are_left_alone(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    with store.write() as conn:
        conn.execute(sites.insert().values(id="hand1", name="参加者が見つけた石碑"))
    merge_into_store(store, [rec("opendata:a", 1, "常楽寺", 34.87, 138.31)])
    merge_into_store(store, [rec("opendata:a", 2, "法華寺", 34.90, 138.33)])  # the file changed
    with store.read() as conn:
        assert sorted(conn.execute(sa.select(sites.c.name)).scalars()) == ["参加者が見つけた石碑", "法華寺"]


def test_split_keeps_automatic_matches_apart(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    merge_into_store(store, [rec("opendata:a", 1, "八幡神社", 34.85, 138.30)])
    merge_into_store(store, [rec("osm", "n", "八幡神社", 34.85 + 100 * M, 138.30)])
    with store.read() as conn:
        (only,) = conn.execute(sa.select(sites.c.id)).scalars().all()
    split_site(store, only)
    merge_into_store(store, [rec("osm", "n", "八幡神社", 34.85 + 100 * M, 138.30)])
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sites)).scalar() == 2


def test_demo_event_merges_its_two_files(tmp_path, monkeypatch):
    from wikitown.gaps.collect import load_configured_opendata
    from wikitown.store.events import open_event
    from wikitown.store.sites import sites_frame

    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    shutil.copytree(PROJECT_ROOT / "events" / "demo-yaizu", tmp_path / "demo",
                    ignore=shutil.ignore_patterns("store.sqlite*", "media"))
    event = open_event(tmp_path / "demo")
    results = load_configured_opendata(event)
    counts = {r.source: len(r.records) for r in results}
    frame = sites_frame(event.store)
    both = frame[frame["sources"].str.contains(";")]
    # 小泉八雲滞在の家跡 and (旧)エンカ屋敷跡 are in both files: one site each, two sources
    assert sorted(both["name"]) == ["小泉八雲滞在の家跡", "旧エンカ屋敷跡"]
    assert len(frame) == sum(counts.values()) - 2
    assert load_configured_opendata(event) == []  # only once
    event.close()


def test_a_bad_configured_file_does_not_stop_the_event(tmp_path, monkeypatch, caplog):
    from wikitown.core.config import OpenDataSource, save_config
    from wikitown.gaps.collect import load_configured_opendata
    from wikitown.store.events import open_event

    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    shutil.copytree(PROJECT_ROOT / "events" / "demo-yaizu", tmp_path / "demo",
                    ignore=shutil.ignore_patterns("store.sqlite*", "media"))
    event = open_event(tmp_path / "demo")
    event.config.opendata += [OpenDataSource("../../etc/passwd"), OpenDataSource("data/missing.csv")]
    save_config(event.dir, event.config)
    event = open_event(tmp_path / "demo")
    results = load_configured_opendata(event)
    assert [r.source for r in results] == ["opendata:bunkazai_map.geojson", "opendata:historyspot__walkingevent.csv"]
    assert "passwd" in caplog.text and "missing.csv" in caplog.text
    event.close()
