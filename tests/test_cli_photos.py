"""``photo-info``, ``photos import`` and ``finds export`` as separate processes."""

import csv
import io
import json
import zipfile

import pytest

from tests.harness.cli import run_cli
from tests.harness.requirements import shared_data
from tests.photo_samples import FILE_TYPES, expected, jpeg
from wikitown.store.events import create_event
from wikitown.finds.capture import list_finds
from wikitown.store.sites import upsert_sites

TEMPLE = (34.894452, 138.322446)


def run(*args, env=None, check=True):
    return run_cli(*args, env=env, check=check)


def test_photo_info_every_shared_photo_matches_exiftool(tmp_path):
    root = shared_data("photos")
    want = expected()
    # Broken files alongside the real ones: they must be reported, not crash the run.
    cut = tmp_path / "truncated.jpg"
    cut.write_bytes((root / "yaizu" / "9_jorakuji_gps.jpg").read_bytes()[:300])
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    empty = tmp_path / "empty.heic"
    empty.write_bytes(b"")
    files = [root / name for name in sorted(want)] + [cut, text, empty, tmp_path / "missing.jpg"]
    proc = run("photo-info", *files, "--json")
    results = json.loads(proc.stdout)
    assert [r["file"] for r in results] == [str(f) for f in files]
    assert all(set(r) == {"file", "format", "lat", "lon", "taken", "taken_at_source", "orientation", "authors",
                          "error"} for r in results)
    for name, r in zip(sorted(want), results):
        w = want[name]
        assert r["error"] is None, (name, r["error"])
        assert r["format"] == FILE_TYPES[w["file_type"]], name
        if w["lat"] is None:
            assert r["lat"] is None and r["lon"] is None, name
        else:
            assert abs(r["lat"] - w["lat"]) < 1e-5 and abs(r["lon"] - w["lon"]) < 1e-5, name
        taken = w["taken"].replace(":", "-", 2).replace(" ", "T") if w["taken"] else None
        if taken:  # DateTimeOriginal; the other sources: tests/test_photos_exiftool.py::test_capture_times_agree_with_exiftool
            assert (r["taken"] or "")[:19] == taken and r["taken_at_source"] == "EXIF:DateTimeOriginal", name
        else:
            assert r["taken_at_source"] != "EXIF:DateTimeOriginal", name
        assert r["orientation"] == w["orientation"], name
    bad = {r["file"]: r for r in results[len(want):]}
    for path in (cut, text, empty, tmp_path / "missing.jpg"):
        assert bad[str(path)]["error"], path
        assert bad[str(path)]["lat"] is None
    assert bad[str(text)]["error"].startswith("notes.jpg: this is not a photo")


def test_photo_info_in_parallel_gives_the_same_answers(tmp_path):
    sample = shared_data("photos", "yaizu", "9_jorakuji_gps.jpg").read_bytes()
    files = []
    for i in range(450):  # above PARALLEL_FROM
        path = tmp_path / f"p{i:03d}.jpg"
        path.write_bytes(sample if i % 3 else b"broken")
        files.append(path)
    results = json.loads(run("photo-info", "--json", *files).stdout)
    assert len(results) == 450
    assert [r["file"] for r in results] == [str(f) for f in files]
    assert {r["lat"] for i, r in enumerate(results) if i % 3} == {34.89445}
    assert all(r["error"] for i, r in enumerate(results) if not i % 3)


def test_photo_info_text_output_and_wrong_use(tmp_path):
    proc = run("photo-info", shared_data("photos", "yaizu", "9_jorakuji_gps.jpg"))
    assert "34.894450,138.322333" in proc.stdout and "2024-09-04T13:16:38" in proc.stdout
    wrong = run("photo-info", check=False)
    assert wrong.returncode == 2 and "FILE" in wrong.stderr
    japanese = run("photo-info", "--json", tmp_path / "missing.jpg", env={"WIKITOWN_LANG": "ja"})
    assert "読めません" in json.loads(japanese.stdout)[0]["error"]


@pytest.fixture
def event_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    ev = create_event(tmp_path / "ev", name="Import", lat=34.89, lon=138.32, radius_km=5, code="IMPORT")
    upsert_sites(ev.store, [{"id": "temple", "name": "常楽寺", "lat": TEMPLE[0], "lon": TEMPLE[1]}])
    ev.close()
    return ev.dir


def test_import_files_folders_and_zip_then_export(event_dir, tmp_path):
    card = tmp_path / "DCIM" / "100PHONE"
    card.mkdir(parents=True)
    (card / "IMG_1.jpg").write_bytes(jpeg(seed=1, lat=TEMPLE[0], lon=TEMPLE[1]))
    (card / "IMG_2.jpg").write_bytes(jpeg(seed=2))  # no GPS: queue
    (card / "readme.txt").write_text("not a photo")
    (card / ".hidden.jpg").write_bytes(jpeg(seed=3))
    single = tmp_path / "single.jpg"
    single.write_bytes(jpeg(seed=4, lat=TEMPLE[0], lon=TEMPLE[1]))
    archive = tmp_path / "phone.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../../../escape.jpg", jpeg(seed=5, lat=TEMPLE[0], lon=TEMPLE[1]))
        zf.writestr("/abs/path.jpg", jpeg(seed=6, lat=TEMPLE[0], lon=TEMPLE[1]))
        zf.writestr("dup.jpg", (card / "IMG_1.jpg").read_bytes())
        zf.writestr("bomb.jpg", b"\xff\xd8\xff" + b"\x00" * 30_000_000)  # 30 MB of zeros: a zip bomb
        zf.writestr("__MACOSX/._IMG_1.jpg", b"resource fork")
    proc = run("photos", "import", event_dir, card, single, archive, tmp_path / "missing", "--credit", "Card Owner",
               "--licence", "cc-by-4.0")
    assert "Imported: 5 photos (4 matched to a site, 1 waiting in the queue); 1 already there; 3 refused." \
        in proc.stdout, proc.stdout
    assert "zip bomb" in proc.stdout and "not a photo" in proc.stdout and "no such file" in proc.stdout
    # Nothing was written outside the event folder by the hostile member names.
    assert not (tmp_path / "escape.jpg").exists() and not (event_dir.parent / "escape.jpg").exists()
    again = run("photos", "import", event_dir, card, "--credit", "Card Owner", "--quiet")
    assert "Imported: 0 photos" in again.stdout and "2 already there" in again.stdout
    from wikitown.store.events import open_event

    event = open_event(event_dir)
    rows = list_finds(event)
    assert len(rows) == 5 and {r["credit"] for r in rows} == {"Card Owner"}
    assert {r["licence"] for r in rows} == {"cc-by-4.0"}
    names = {m["original_name"] for r in rows for m in r["media"]}
    assert all("/" not in n and ".." not in n for n in names)
    out = tmp_path / "open-data"
    proc = run("finds", "export", event_dir, "--out", out)
    rows = list(csv.DictReader(io.StringIO((out / "finds.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == 4 and {r["名称"] for r in rows} == {"常楽寺"} and {r["クレジット"] for r in rows} == {"Card Owner"}
    assert all((out / r["画像"]).is_file() for r in rows)
    assert json.loads((out / "finds.geojson").read_text())["features"][0]["properties"]["ライセンス"] == "CC BY 4.0"
    queue = run("finds", "queue", event_dir)
    assert len(queue.stdout.strip().splitlines()) == 1


def test_import_needs_an_event(tmp_path):
    proc = run("photos", "import", tmp_path / "nothing-here", tmp_path, "--credit", "X", check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("wikitown: ") and "Traceback" not in proc.stderr
