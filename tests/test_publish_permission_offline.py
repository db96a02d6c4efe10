"""Permission routes, held photos and categories, without a wiki: the file-page builder's
refusal of {{self}}/{{own}} for others' photos, the VRT tags, the reasons a photo is held."""
from __future__ import annotations

import subprocess

import mwparserfromhell
import pytest

from tests.publish_data import EventBuilder, jpeg
from wikitown.core.config import parse_config
from wikitown.publish import decisions, filepage
from wikitown.publish.holds import embedded_creators, hold_reasons, names_someone_else
from wikitown.publish.plan import page_categories, rename_categories


def _info(**kw):
    base = dict(site_name="常楽寺", event_name="テストタウン", credit="山田花子", wiki_user="Hanako",
                licence="cc-by-sa-4.0", taken="2026-11-28", categories=["Jōraku-ji"])
    base.update(kw)
    return filepage.FilePageInfo(**base)


def _templates(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for node in mwparserfromhell.parse(text).filter_templates(recursive=True):
        out.setdefault(node.name.strip(), []).append(node)
    return out


@pytest.mark.parametrize("uploader", ["TownBot", "", "Someone else", "hanako2"])
def test_builder_refuses_self_and_own_when_uploader_is_not_the_author(uploader):
    with pytest.raises(filepage.FilePageError) as err:
        filepage.text(_info(uploader=uploader, own_work=True))
    assert err.value.key == "publish.error.not_own_work"
    assert "{{self}}" in err.value.message("en") and "Hanako" in err.value.message("ja")
    # and verify() refuses a page that says own work for someone else's photo
    own_text = filepage.text(_info(uploader="Hanako", own_work=True))
    with pytest.raises(filepage.FilePageError):
        filepage.verify(own_text, _info(uploader=uploader))


def test_own_work_when_the_photographer_uploads_under_their_account():
    text = filepage.text(_info(uploader="hanako", own_work=True))  # MediaWiki capitalises the first letter
    names = _templates(text)
    assert "self" in names and "own" in names and "Permission pending" not in names
    assert "|author=[[User:Hanako|山田花子]]" in text


@pytest.mark.parametrize("licence,template", [("cc-by-sa-4.0", "cc-by-sa-4.0"), ("cc-by-4.0", "cc-by-4.0"),
                                              ("cc0", "cc-zero")])
def test_someone_elses_photo_names_author_licence_and_pending_permission(licence, template):
    text = filepage.text(_info(uploader="TownBot", licence=licence, credit="山田 花子=作"))
    names = _templates(text)
    assert "self" not in names and "own" not in names
    assert list(names["Permission pending"]) and "PermissionTicket" not in names
    lic = names[template][0]
    if licence != "cc0":
        assert str(lic.get("1").value) == "山田 花子&#61;作"  # the author, escaped, as the licence's attribution
    info = names["Information"][0]
    source = str(info.get("source").value)
    assert "山田 花子&#61;作が撮影（テストタウン）" in source and "Taken by 山田 花子&#61;作 during テストタウン" in source
    assert str(info.get("author").value).strip() == "[[User:Hanako|山田 花子&#61;作]]"


def test_ticket_replaces_pending_and_is_idempotent():
    text = filepage.text(_info(uploader="TownBot"))
    with_ticket = filepage.with_ticket(text, "2026120210001234")
    names = _templates(with_ticket)
    assert "Permission pending" not in names
    assert str(names["PermissionTicket"][0].get("id").value) == "2026120210001234"
    assert filepage.with_ticket(with_ticket, "2026120210001234") == with_ticket
    assert with_ticket == filepage.text(_info(uploader="TownBot", vrt_ticket="2026120210001234"))
    with pytest.raises(filepage.FilePageError):
        filepage.with_ticket(text, "12; {{Delete}}")
    with pytest.raises(filepage.FilePageError):
        filepage.with_ticket(filepage.text(_info(uploader="Hanako", own_work=True)), "2026120210001234")


def test_copyright_lines_compared_with_the_credit():
    assert not names_someone_else("© 2026 Yamada Hanako. All rights reserved.", ["yamada hanako"])
    assert not names_someone_else("山田花子", ["山田 花子"])
    assert not names_someone_else("Copyright 2026", ["山田花子"])
    assert names_someone_else("Copyright (c) 2019 Juan García", ["山田花子", "Hanako"])
    assert names_someone_else("佐藤一郎", ["山田花子", "Hanako"])


def test_embedded_creators_read_from_exif_xmp_and_iptc(tmp_path):
    from tests.harness.requirements import need

    need("exiftool", "exiftool is the independent writer here")
    path = tmp_path / "p.jpg"
    path.write_bytes(jpeg())
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-charset", "iptc=UTF8", "-codedcharacterset=utf8",
                    "-EXIF:Artist=Juan García", "-EXIF:Copyright=© 2019 Agencia Foto",
                    "-XMP-dc:Creator=佐藤一郎", "-IPTC:By-line=Hans Müller", str(path)], check=True)
    names = embedded_creators(path)
    for expected in ("Juan García", "2019 Agencia Foto", "佐藤一郎", "Hans Müller"):
        assert any(expected in name for name in names), (expected, names)


def test_hold_reasons():
    base = dict(photo_lat=35.7148, photo_lon=139.7967, site_lat=35.7148, site_lon=139.7967, taken="2026-11-28",
                long_side=4032, creators=[], credited=["山田花子"], max_distance_m=1000, min_long_side=640)
    assert hold_reasons(**base) == []
    madrid = hold_reasons(**{**base, "photo_lat": 40.4168, "photo_lon": -3.7038})
    assert [k for k, _ in madrid] == ["publish.hold.far"] and float(madrid[0][1]["distance_km"]) > 10000
    assert [k for k, _ in hold_reasons(**{**base, "photo_lat": 35.7230})] == []  # 0.9 km: within 1 km
    assert [k for k, _ in hold_reasons(**{**base, "photo_lat": 35.7248})] == ["publish.hold.far"]  # 1.1 km
    assert [k for k, _ in hold_reasons(**{**base, "long_side": 600})] == ["publish.hold.small"]
    assert [k for k, _ in hold_reasons(**{**base, "taken": ""})] == ["publish.hold.no_date"]
    assert [k for k, _ in hold_reasons(**{**base, "creators": ["Juan García"]})] == ["publish.hold.embedded_author"]
    assert hold_reasons(**{**base, "photo_lat": None}) == []  # no GPS: nothing to compare


def test_limits_from_event_toml():
    raw = {"name": "x", "code": "ABCD-2345", "wiki": "ja", "area": {"lat": 35.0, "lon": 139.0, "radius_km": 2},
           "publish": {"max_distance_km": 0.3, "min_long_side_px": 1200}}
    cfg = parse_config(raw)
    assert (cfg.publish_max_distance_m, cfg.publish_min_long_side) == (300.0, 1200)
    default = parse_config({k: v for k, v in raw.items() if k != "publish"})
    assert (default.publish_max_distance_m, default.publish_min_long_side) == (1000.0, 640)


def test_draft_categories_listed_and_renamed():
    text = "本文\n[[Category:東京都の寺院]]\n[[カテゴリ:台東区の歴史|たいとう]]\n[[:Category:Not a member]]\n"
    assert page_categories(text) == ["東京都の寺院", "台東区の歴史"]
    out = rename_categories(text, {"東京都の寺院": "", "台東区の歴史": "台東区の史跡"})
    assert page_categories(out) == ["台東区の史跡"] and "|たいとう]]" in out and "[[:Category:Not a member]]" in out


def test_decisions_kept_in_the_store(tmp_path):
    b = EventBuilder(tmp_path)
    decisions.release(b.store, "abc", "organizer")
    decisions.change_category(b.store, "Category:Old name", "New name")
    decisions.change_category(b.store, "Gone", "")
    decisions.set_ticket(b.store, "山田　花子", "2026120210001234")
    assert decisions.released(b.store)["abc"]["by"] == "organizer"
    assert decisions.category_changes(b.store) == {"Old name": "New name", "Gone": ""}
    assert decisions.vrt_tickets(b.store) == {"山田花子": "2026120210001234"}
    with pytest.raises(Exception):
        decisions.set_ticket(b.store, "x", "not a ticket")
    decisions.hold_again(b.store, "abc")
    assert decisions.released(b.store) == {}
