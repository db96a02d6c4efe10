"""Publish pieces that need no wiki: file names, file pages, the fallback JPEG, QuickStatements."""
from __future__ import annotations

import hashlib
import io

import mwparserfromhell
import pytest
from PIL import Image

from tests.publish_data import EventBuilder, jpeg
from wikitown.publish import filenames, filepage
from wikitown.core.wikitext import unescape


def test_file_names_drop_forbidden_characters_and_keep_extension():
    desc = filenames.describe("a#b<c>d[e]f|g{h}i/j:k\\l\x07m", "焼津市", "2026-11-28T10:00:00")
    name = filenames.build_name(desc, 1, "JPG")
    assert name == "Abcdefghi-j-k-lm (焼津市) 2026-11-28 01.jpg"
    assert not set("#<>[]|{}/:\\") & set(name) and filenames.problems(name) == []
    assert filenames.problems("a|b.jpg") == ["forbidden"]
    assert filenames.problems("noext") == ["no_extension"]


def test_file_names_fit_240_bytes_whole_characters():
    long_name = "長い名前の寺院" * 40
    a = filenames.NameAllocator()
    name = a.allocate(filenames.describe(long_name, "焼津市", "2026-11-28"), "jpg")
    assert len(name.encode("utf-8")) <= filenames.MAX_BYTES
    assert name.endswith(" (焼津市) 2026-11-28 01.jpg")
    name.encode("utf-8").decode("utf-8")  # no split character
    assert filenames.problems(name) == []


def test_collisions_within_the_plan_and_with_taken_names():
    a = filenames.NameAllocator(taken=["常楽寺 (焼津市) 2026-11-28 02.jpg"])
    desc = filenames.describe("常楽寺", "焼津市", "2026-11-28")
    got = [a.allocate(desc, "jpg") for _ in range(3)]
    assert got == ["常楽寺 (焼津市) 2026-11-28 01.jpg", "常楽寺 (焼津市) 2026-11-28 03.jpg",
                   "常楽寺 (焼津市) 2026-11-28 04.jpg"]
    # The wiki does not tell "a_b" from "a b" or a lower-case first letter from upper case.
    b = filenames.NameAllocator(taken=["abc_def 01.jpg"])
    assert b.allocate("abc def", "jpg") == "Abc def 02.jpg"


def _info(**kw):
    base = dict(site_name="常楽寺", site_name_en="Jorakuji", municipality="焼津市", event_name="テストタウン",
                taken="2026-11-28T10:15:00", credit="山田花子", licence="cc-by-4.0", lat=34.89445, lon=138.322333,
                site_lat=34.894452, site_lon=138.322446,
                categories=filepage.categories_for("Category:Jōraku-ji", "Wikipedia Town X", ["Yaizu, Shizuoka"]))
    base.update(kw)
    return filepage.FilePageInfo(**base)


def test_file_page_layout():
    # The photographer's own account uploads: own work.
    text = filepage.text(_info(wiki_user="Hanako", uploader="Hanako", own_work=True))
    code = mwparserfromhell.parse(text)
    info = [t for t in code.filter_templates() if t.name.strip() == "Information"][0]
    assert info.get("source").value.strip() == "{{own}}"
    assert info.get("author").value.strip() == "[[User:Hanako|山田花子]]"
    assert info.get("date").value.strip() == "{{According to Exif data|2026-11-28}}"
    desc = info.get("description").value
    langs = {t.name.strip(): str(t.get("1").value) for t in desc.filter_templates(recursive=False)}
    assert langs == {"ja": "常楽寺（焼津市）。テストタウンで撮影。", "en": "Jorakuji. Photographed during テストタウン."}
    assert "{{self|cc-by-4.0}}" in text
    assert [str(link.title) for link in code.filter_wikilinks()][1:] == [
        "Category:Jōraku-ji", "Category:Wikipedia Town X", "Category:Yaizu, Shizuoka"]
    assert text.startswith("== {{int:filedesc}} ==\n{{Information\n |description=")


@pytest.mark.parametrize("hostile", [
    "}} {{Delete}}", "[[Category:Spam]]", "<script>alert(1)</script>", "~~~~", "|author=someone else",
    "<!-- hidden", "[http://spam.example x]", "{{{1}}}", "''''bold''''", "\n== Heading ==\n* item", "__NOTOC__",
])
def test_hostile_text_reads_back_as_typed(hostile):
    text = filepage.text(_info(note=hostile, credit=hostile, site_name=f"寺{hostile}"))
    code = mwparserfromhell.parse(text)
    names = {t.name.strip() for t in code.filter_templates(recursive=True)}
    # Not the uploader's own photo: the photographer's licence and VRT's pending tag, never self/own.
    assert names <= {"Information", "ja", "en", "According to Exif data", "Location", "Object location",
                     "cc-by-4.0", "Permission pending", "int:filedesc", "int:license-header"}
    info = [t for t in code.filter_templates() if t.name.strip() == "Information"][0]
    author = str(info.get("author").value).strip()
    assert unescape(author) == " ".join(hostile.split())


def test_verify_refuses_markup_that_was_not_built():
    info = _info()
    text = filepage.text(info)
    with pytest.raises(filepage.FilePageError):
        filepage.verify(text + "\n{{Delete}}", info)
    with pytest.raises(filepage.FilePageError):
        filepage.verify(text + "\n[[Category:Spam]]", info)


def test_unknown_licence_is_refused():
    with pytest.raises(filepage.FilePageError):
        filepage.text(_info(licence="all-rights-reserved"))


def _prepared(tmp_path, data: bytes, ext: str = "jpg"):
    """The publish JPEG the plan makes for a photo stored without one."""
    from wikitown.publish.plan import _photo_rows, publish_bytes

    b = EventBuilder(tmp_path)
    b.photo(b.site("寺"), b.participant(), data, ext=ext)
    row = _photo_rows(b.store)[0][0]
    sha1, rel, size = publish_bytes(b.event, row)
    out = b.event.path(rel).read_bytes()
    assert hashlib.sha1(out).hexdigest() == sha1 and size == len(out)
    again = _photo_rows(b.store)[0][0]  # recorded: the next plan uses the very same bytes
    assert (again.publish_path, again.publish_sha1) == (rel, sha1)
    return out


def test_missing_publish_copy_is_made_without_device_serials(tmp_path):
    original = jpeg()
    out = _prepared(tmp_path, original)
    img = Image.open(io.BytesIO(out))
    exif = img.getexif()
    assert exif.get_ifd(0x8769).get(0x9003) == "2026:11:28 10:15:00"
    assert 0xA431 not in exif.get_ifd(0x8769) and b"SERIAL-123456" not in out
    gps = exif.get_ifd(0x8825)
    assert gps[1] == "N" and float(gps[2][0]) == 34.0
    assert Image.open(io.BytesIO(original)).tobytes() == img.tobytes()  # a JPEG keeps its pixels


def test_missing_publish_copy_of_a_heic_is_an_upright_jpeg_with_gps(tmp_path):
    from tests.harness.requirements import shared_data

    heic = shared_data("photos", "exifr", "heic-iphone7.heic").read_bytes()
    img = Image.open(io.BytesIO(_prepared(tmp_path, heic, "heic")))
    assert img.format == "JPEG" and sorted(img.size) == [3024, 4032]
    assert img.getexif().get_ifd(0x8825)


def test_quickstatements_only_for_items_without_image(tmp_path):
    from wikitown.publish.quickstatements import p18_lines
    from wikitown.store.db import now, publish_journal

    b = EventBuilder(tmp_path)
    s1 = b.site("A", wikidata_id="Q1")
    s2 = b.site("B", wikidata_id="Q2", image="Existing.jpg")
    s3 = b.site("C", wikidata_id="not-a-qid")
    s4 = b.site("D")
    with b.store.write() as conn:
        for i, s in enumerate([s1, s2, s3, s4]):
            conn.execute(publish_journal.insert().values(
                action_key=f"upload:{i}", kind="upload", target=f"F{i}.jpg", status="done",
                payload={"site_id": s}, result={"title": f"File:F{i}.jpg"}, created_at=now(), updated_at=now()))
    assert p18_lines(b.store) == ['Q1\tP18\t"F0.jpg"']


def test_unmatched_and_broken_photos_are_reported_per_item(tmp_path):
    """Planning against no wiki at all is impossible, but preparing the photos is not:
    a broken file is held back with a reason; the others are prepared."""
    from wikitown.publish.plan import _photo_rows, publish_bytes

    b = EventBuilder(tmp_path)
    site = b.site("寺")
    person = b.participant()
    good = b.photo(site, person)
    bad = b.photo(site, person, b"\xff\xd8\xff\xe0broken", ext="jpg")
    b.photo(None, person)
    rows, unmatched = _photo_rows(b.store)
    assert unmatched == 1 and {r.media_sha1 for r in rows} == {good, bad}
    results = {}
    for row in rows:
        try:
            results[row.media_sha1] = publish_bytes(b.event, row)[1]
        except Exception as exc:
            results[row.media_sha1] = exc
    assert results[good].startswith("media/publish/")
    assert getattr(results[bad], "key", "") == "finds.reject.corrupt"


@pytest.mark.parametrize("taken,expected", [("2026-11-28T10:15:00", "2026-11-28"), ("2026:11:28 10:15:00", "2026-11-28"),
                                            ("", ""), ("yesterday", "")])
def test_date_taken_in_file_pages_and_names(taken, expected):
    assert filepage.iso_date(taken) == expected
    text = filepage.text(_info(taken=taken))
    if expected:
        assert "{{According to Exif data|" + expected + "}}" in text
    else:
        assert "|date=\n" in text


def test_publish_goes_to_the_wikis_the_event_names(tmp_path, monkeypatch):
    """By default Commons and the event's Wikipedia; a wiki named in [services] or by
    WIKITOWN_*_API_URL (a local wiki, a proxy, a test) is where the plan reads and apply writes,
    as the gaps and the report do. Given arguments win."""
    from wikitown.core.config import save_config
    from wikitown.core.services import env_var
    from wikitown.publish import spec_text, wiki_specs
    from wikitown.store.events import open_event

    for name in ("wiki_api", "commons_api"):
        monkeypatch.delenv(env_var(name), raising=False)
    b = EventBuilder(tmp_path)
    assert [spec_text(s) for s in wiki_specs(b.event)] == ["commons:commons", "wikipedia:ja"]
    b.event.config.services = {"wiki_api": "https://wiki.example.org/w/api.php"}
    save_config(b.event.dir, b.event.config)
    event = open_event(b.event.dir)
    assert [spec_text(s) for s in wiki_specs(event)] == ["commons:commons", "https://wiki.example.org/w/api.php"]
    monkeypatch.setenv(env_var("commons_api"), "http://127.0.0.1:9/w/api.php")
    monkeypatch.setenv(env_var("wiki_api"), "http://127.0.0.1:9/w/api.php")
    assert [spec_text(s) for s in wiki_specs(event)] == ["http://127.0.0.1:9/w/api.php"] * 2
    assert [spec_text(s) for s in wiki_specs(event, family="townwiki")] == ["townwiki:townwiki"] * 2
    assert [spec_text(s) for s in wiki_specs(event, api_url="http://w.test/api.php")] == ["http://w.test/api.php"] * 2
    event.close()
