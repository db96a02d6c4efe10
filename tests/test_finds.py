"""wikitown.finds.capture: consent, one find per transaction, per-file results, matching, queue,
editing, assigning, export as open data."""

import csv
import io
import json

import pytest
import sqlalchemy as sa

from tests.photo_samples import jpeg
from wikitown.core.errors import InputError
from wikitown.store.events import create_event
from wikitown.finds.capture import (assign_find, edit_find, get_participant, join_event, list_finds, mark_reviewed,
                            match_location, my_finds, normalise_wiki_user, queue, submit_find)
from wikitown.finds.export import COLUMNS, export_finds
from wikitown.core.paths import PROJECT_ROOT
from wikitown.store.sites import upsert_sites
from wikitown.store.db import finds, media

TEMPLE = (34.894452, 138.322446)
SHRINE = (34.864776, 138.324644)

# Every test here runs on SQLite and on PostgreSQL (the store_backend fixture, tests/conftest.py).
pytestmark = pytest.mark.usefixtures("store_backend")


@pytest.fixture
def event(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    ev = create_event(tmp_path / "ev", name="テスト", lat=34.87, lon=138.32, radius_km=5, code="TEST-1")
    ev.config.note_fields = []
    from wikitown.core.config import NoteField

    ev.config.note_fields = [NoteField("steps", "段差", "Steps", "bool"),
                             NoteField("surface", "路面", "Surface", "choice", ["舗装", "砂利"]),
                             NoteField("width_m", "幅", "Width", "number")]
    upsert_sites(ev.store, [
        {"id": "temple", "name": "常楽寺", "lat": TEMPLE[0], "lon": TEMPLE[1], "address": "焼津市"},
        {"id": "shrine", "name": "=HYPERLINK(\"http://evil\")", "lat": SHRINE[0], "lon": SHRINE[1]},
        # Two sites 2 m apart: a find between them is a tie.
        {"id": "twin_a", "name": "双子A", "lat": 34.8800000, "lon": 138.3000000},
        {"id": "twin_b", "name": "双子B", "lat": 34.8800180, "lon": 138.3000000},
        {"id": "nowhere", "name": "座標なし", "lat": None, "lon": None},
    ])
    yield ev
    ev.close()


@pytest.fixture
def pid(event):
    return join_event(event, "山田 太郎", "cc-by-sa-4.0", wiki_user="taro_y")


def _rows(event, table):
    with event.store.read() as conn:
        return conn.execute(sa.select(table)).mappings().all()


# --------------------------------------------------------------------------------------------
# consent


def test_join_records_consent(event):
    pid = join_event(event, "  ＹＡＭＡＤＡ\u200b  ", "cc0", wiki_user="User:hanako_s")
    person = get_participant(event, pid)
    assert person["display_name"] == "YAMADA" and person["licence"] == "cc0"
    assert person["wiki_user"] == "Hanako s" and person["consent_at"]


@pytest.mark.parametrize("kwargs,key", [
    ({"display_name": "", "licence": "cc0"}, "finds.error.name_required"),
    ({"display_name": "A", "licence": "all-rights-reserved"}, "finds.error.licence"),
    ({"display_name": "A", "licence": "cc0", "wiki_user": "bad|name"}, "finds.error.wiki_user"),
])
def test_join_refuses_bad_input(event, kwargs, key):
    with pytest.raises(InputError) as err:
        join_event(event, **kwargs)
    assert err.value.key == key


def test_wiki_user_alone_is_the_credit(event):
    pid = join_event(event, "", "cc-by-4.0", wiki_user="利用者:Example")
    assert get_participant(event, pid)["display_name"] == "Example"
    assert normalise_wiki_user("") == ""


def test_credit_and_licence_are_copied_at_creation(event, pid):
    first = submit_find(event, pid, [("a.jpg", jpeg(seed=1, lat=TEMPLE[0], lon=TEMPLE[1]))])
    join_event(event, "New Name", "cc0", participant_id=pid)
    second = submit_find(event, pid, [("b.jpg", jpeg(seed=2, lat=TEMPLE[0], lon=TEMPLE[1]))])
    rows = {r["id"]: r for r in list_finds(event)}
    assert (rows[first.find_id]["credit"], rows[first.find_id]["licence"]) == ("山田 太郎", "cc-by-sa-4.0")
    assert (rows[second.find_id]["credit"], rows[second.find_id]["licence"]) == ("New Name", "cc0")


# --------------------------------------------------------------------------------------------
# submitting


def test_mixed_batch_reports_each_file_and_keeps_the_good_ones(event, pid):
    good = jpeg(seed=3, lat=TEMPLE[0] + 0.0001, lon=TEMPLE[1])
    other = jpeg(seed=4)
    big = jpeg(seed=5, size=(1200, 900), quality=100)
    event.config.max_upload_mb = len(big) / 1024 / 1024 * 0.9
    result = submit_find(event, pid, [
        ("good.jpg", good), ("note.txt", b"hello"), ("big.jpg", big), ("cut.jpg", good[:len(good) // 2]),
        ("again.jpg", good), ("../../other.jpg", other)], note="二枚")
    assert [(f.name, f.status, f.key) for f in result.files] == [
        ("good.jpg", "accepted", "finds.file.accepted"),
        ("note.txt", "rejected", "finds.reject.not_image"),
        ("big.jpg", "rejected", "finds.reject.too_large"),
        ("cut.jpg", "rejected", "finds.reject.corrupt"),
        ("again.jpg", "duplicate", "finds.file.duplicate_batch"),
        ("other.jpg", "accepted", "finds.file.accepted"),
    ]
    assert "note.txt" in result.files[1].message("ja") and "写真ではありません" in result.files[1].message("ja")
    assert result.match_status == "matched" and result.site_id == "temple" and result.location_source == "exif"
    assert 10 < result.distance_m < 13
    stored = _rows(event, media)
    assert len(stored) == 2 and {m["find_id"] for m in stored} == {result.find_id}
    for m in stored:  # files where the rows say, inside the event folder
        for key in ("path", "publish_path", "thumb_path"):
            assert event.path(m[key]).is_file()
        assert m["original_name"] in ("good.jpg", "other.jpg")


def test_same_photo_twice_is_one_find(event, pid):
    data = jpeg(seed=6, lat=TEMPLE[0], lon=TEMPLE[1])
    first = submit_find(event, pid, [("a.jpg", data)])
    other = join_event(event, "別の人", "cc0")
    second = submit_find(event, other, [("copy.jpg", data)])
    assert second.find_id is None and second.files[0].status == "duplicate"
    assert second.files[0].find_id == first.find_id
    assert len(_rows(event, finds)) == 1 and len(_rows(event, media)) == 1


def test_retry_with_same_client_key_is_the_same_find(event, pid):
    data = jpeg(seed=7)
    first = submit_find(event, pid, [("a.jpg", data)], note="x", client_key="k-1",
                        browser_location=(TEMPLE[0], TEMPLE[1], 8))
    again = submit_find(event, pid, [("a.jpg", data)], note="x", client_key="k-1",
                        browser_location=(TEMPLE[0], TEMPLE[1], 8))
    assert first.created and not again.created and again.find_id == first.find_id
    assert again.files[0].key == "finds.file.retry"
    assert len(_rows(event, finds)) == 1 and len(_rows(event, media)) == 1


def test_crash_mid_write_leaves_no_half_find(event, pid, monkeypatch):
    import wikitown.finds.capture as finds_module

    real = finds_module._insert_media

    def crash(conn, find_id, photos, results):
        real(conn, find_id, photos[:1], results)  # one media row written, then the power goes
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(finds_module, "_insert_media", crash)
    files = [("a.jpg", jpeg(seed=8)), ("b.jpg", jpeg(seed=9))]
    with pytest.raises(RuntimeError):
        submit_find(event, pid, files, client_key="crash-1", browser_location=(TEMPLE[0], TEMPLE[1], 5))
    assert _rows(event, finds) == [] and _rows(event, media) == []
    monkeypatch.setattr(finds_module, "_insert_media", real)
    result = submit_find(event, pid, files, client_key="crash-1", browser_location=(TEMPLE[0], TEMPLE[1], 5))
    assert result.created and len(result.accepted) == 2  # the retry stores everything


@pytest.mark.parametrize("where,accuracy,status,site,reason", [
    (TEMPLE, 10, "matched", "temple", ""),
    ((34.8800090, 138.3000000), 5, "queue", None, "tie"),
    ((34.95, 138.40), 5, "queue", None, "far"),
    ((TEMPLE[0] + 0.0002, TEMPLE[1]), 500, "queue", None, "inaccurate"),
])
def test_matching_by_browser_location(event, pid, where, accuracy, status, site, reason):
    result = submit_find(event, pid, [("p.jpg", jpeg(seed=10))], browser_location=(*where, accuracy))
    assert (result.match_status, result.site_id, result.location_source) == (status, site, "browser")
    with event.store.read() as conn:
        from wikitown.finds.capture import located_sites

        assert match_location(located_sites(conn), *where, 100, accuracy).reason == reason


def test_exif_gps_wins_over_the_browser(event, pid):
    result = submit_find(event, pid, [("p.jpg", jpeg(seed=11, lat=SHRINE[0], lon=SHRINE[1]))],
                         browser_location=(TEMPLE[0], TEMPLE[1], 5))
    assert (result.location_source, result.site_id) == ("exif", "shrine")


def test_radius_is_per_event(event, pid):
    near = (TEMPLE[0] + 0.0005, TEMPLE[1])  # about 55 m
    assert submit_find(event, pid, note="a", browser_location=(*near, 5)).match_status == "matched"
    event.config.match_radius_m = 30
    assert submit_find(event, pid, note="b", browser_location=(*near, 5)).match_status == "queue"


def test_participant_picks_the_site_without_location(event, pid):
    result = submit_find(event, pid, [("p.jpg", jpeg(seed=12))], site_id="temple")
    row = list_finds(event)[0]
    assert (result.site_id, result.match_status, row["location_source"]) == ("temple", "assigned", "site")
    assert (row["lat"], row["lon"]) == TEMPLE
    with pytest.raises(InputError):
        submit_find(event, pid, note="x", site_id="no-such-site")


def test_nothing_to_store_is_no_find(event, pid):
    result = submit_find(event, pid, [("x.txt", b"text")])
    assert result.find_id is None and result.files[0].status == "rejected"
    assert _rows(event, finds) == []
    with pytest.raises(InputError):
        submit_find(event, "nobody", note="hi")


def test_notes_and_fields_stored_as_typed(event, pid):
    note = "<img src=x onerror=alert(1)> {{テンプレート}} '''太字''' \n二行目"
    result = submit_find(event, pid, note=note, fields={"steps": True, "surface": "砂利", "width_m": "1.5",
                                                        "unknown": "dropped"},
                         browser_location=(TEMPLE[0], TEMPLE[1], 5))
    row = list_finds(event)[0]
    assert row["note"] == note and row["id"] == result.find_id
    assert row["fields"] == {"steps": True, "surface": "砂利", "width_m": 1.5}
    with pytest.raises(InputError) as err:
        submit_find(event, pid, note="x", fields={"surface": "溶岩"})
    assert err.value.key == "finds.error.field_choice"
    with pytest.raises(InputError) as err:  # refused whole, never silently cut
        submit_find(event, pid, note="長" * 5001, browser_location=(TEMPLE[0], TEMPLE[1], 5))
    assert err.value.key == "finds.error.note_too_long" and "5001" in err.value.message("en")
    assert len(list_finds(event)) == 1


# --------------------------------------------------------------------------------------------
# queue, editing, assigning


def test_queue_and_assign(event, pid):
    far = submit_find(event, pid, [("p.jpg", jpeg(seed=13))], browser_location=(34.95, 138.40, 5))
    assert [f["id"] for f in queue(event)] == [far.find_id]
    row = assign_find(event, far.find_id, "temple")
    assert (row["match_status"], row["site_id"], row["site_name"]) == ("assigned", "temple", "常楽寺")
    assert row["distance_m"] > 1000 and row["location_source"] == "browser"
    assert queue(event) == []


def test_edit_until_reviewed(event, pid):
    result = submit_find(event, pid, note="first", browser_location=(TEMPLE[0], TEMPLE[1], 5))
    other = join_event(event, "Someone else", "cc0")
    with pytest.raises(InputError):
        edit_find(event, result.find_id, other, note="hijack")
    row = edit_find(event, result.find_id, pid, note="second", fields={"steps": False}, site_id="shrine")
    assert (row["note"], row["site_id"], row["match_status"]) == ("second", "shrine", "assigned")
    assert row["fields"] == {"steps": False}
    mark_reviewed(event, result.find_id)
    with pytest.raises(InputError) as err:
        edit_find(event, result.find_id, pid, note="third")
    assert err.value.key == "finds.error.reviewed"
    assert my_finds(event, pid)[0]["note"] == "second"


# --------------------------------------------------------------------------------------------
# export


def test_export_in_the_shape_of_the_yaizu_dataset(event, pid, tmp_path):
    submit_find(event, pid, [("p.jpg", jpeg(seed=14, lat=TEMPLE[0], lon=TEMPLE[1], serial="SN-42"))],
                note="=1+1 説明板あり", fields={"steps": True, "surface": "舗装"})
    submit_find(event, pid, note="神社の前", browser_location=(SHRINE[0], SHRINE[1], 5))
    submit_find(event, pid, note="遠い", browser_location=(34.95, 138.40, 5))  # queue: not exported
    result = export_finds(event, tmp_path / "out")
    yaizu = (PROJECT_ROOT / "events" / "demo-yaizu" / "data" / "historyspot__walkingevent.csv").read_text(
        encoding="utf-8").splitlines()[0].split(",")
    text = result.csv_path.read_text(encoding="utf-8-sig")  # with the BOM Excel needs
    rows = list(csv.DictReader(io.StringIO(text)))
    assert COLUMNS[:len(yaizu)] == yaizu
    assert list(rows[0]) == COLUMNS and len(rows) == 2
    temple, shrine = rows
    assert temple["名称"] == "常楽寺" and temple["住所"] == "焼津市"
    assert float(temple["緯度"]) == pytest.approx(TEMPLE[0], abs=1e-5)
    assert temple["説明"] == "'=1+1 説明板あり"  # a spreadsheet must not run it
    assert temple["備考"] == "段差: はい; 路面: 舗装"
    assert temple["ライセンス"] == "CC BY-SA 4.0" and temple["クレジット"] == "山田 太郎"
    assert shrine["名称"].startswith("'=HYPERLINK")
    assert shrine["画像"] == ""
    image = tmp_path / "out" / temple["画像"]
    assert image.is_file() and b"SN-42" not in image.read_bytes()
    geo = json.loads(result.geojson_path.read_text(encoding="utf-8"))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    lon, lat = geo["features"][0]["geometry"]["coordinates"]
    assert (lat, lon) == pytest.approx(TEMPLE, abs=1e-5)
    assert geo["features"][0]["properties"]["ライセンスURL"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    everything = export_finds(event, tmp_path / "all", include_queue=True, copy_images=False)
    assert everything.rows == 3 and everything.images == 0
