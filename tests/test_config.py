"""Event config: loading validates every field and names the bad one."""

import datetime as dt

import pytest

from wikitown.core.config import config_to_toml, load_config, parse_config, save_config
from wikitown.core.errors import ConfigError, EventNotFound
from wikitown.store.events import create_event, open_event
from wikitown.core.paths import PROJECT_ROOT

GOOD = {
    "name": "テスト町ウィキペディアタウン",
    "code": "TEST-1234",
    "wiki": "ja",
    "area": {"lat": 34.86, "lon": 138.32, "radius_km": 3.0, "municipality_code": "222127"},
    "note_fields": [{"key": "steps", "label_ja": "段差", "label_en": "Steps", "type": "bool"}],
}


def _with(path: str, value):
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
    target = raw
    parts = path.split(".")
    for p in parts[:-1]:
        target = target[p]
    if value is KeyError:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value
    return raw


def test_good_config_parses():
    cfg = parse_config(GOOD)
    assert cfg.area.radius_km == 3.0
    assert cfg.licence == "cc-by-sa-4.0"
    assert cfg.note_fields[0].label("en") == "Steps"


@pytest.mark.parametrize("path,value,field", [
    ("name", KeyError, "name"),
    ("wiki", "fr", "wiki"),
    ("area.radius_km", -1, "area.radius_km"),
    ("area.radius_km", "three", "area.radius_km"),
    ("area.lat", 123.0, "area.lat"),
    ("area.municipality_code", "Yaizu", "area.municipality_code"),
    ("code", "no spaces allowed", "code"),
    ("licence", "all-rights-reserved", "licence"),
    ("area", KeyError, "area"),
])
def test_bad_field_is_named(path, value, field):
    with pytest.raises(ConfigError) as err:
        parse_config(_with(path, value))
    assert err.value.field == field
    assert field in str(err.value)
    # and the message exists in both languages
    assert field in err.value.message("ja") and field in err.value.message("en")


def test_bad_note_field_and_service_named():
    raw = _with("note_fields", [{"key": "Bad Key"}])
    with pytest.raises(ConfigError, match=r"note_fields\[0\]\.key"):
        parse_config(raw)
    raw = dict(GOOD, services={"overpass": "ftp://example"})
    with pytest.raises(ConfigError, match=r"services\.overpass"):
        parse_config(raw)
    raw = dict(GOOD, services={"nope": "http://127.0.0.1"})
    with pytest.raises(ConfigError, match=r"services\.nope"):
        parse_config(raw)


def test_end_before_start_named():
    raw = dict(GOOD, start_date=dt.date(2026, 11, 28), end_date=dt.date(2026, 11, 1))
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    assert err.value.field == "end_date"


def test_broken_toml_and_encoding(tmp_path):
    (tmp_path / "event.toml").write_text("name = 'x'\narea = {", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path)
    (tmp_path / "event.toml").write_bytes("name = 'テスト'".encode("cp932"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path)
    with pytest.raises(EventNotFound):
        load_config(tmp_path / "nothing")


def test_round_trip_through_file(tmp_path):
    cfg = parse_config(GOOD)
    save_config(tmp_path, cfg)
    assert load_config(tmp_path) == cfg
    assert parse_config(config_to_toml(cfg)) == cfg


def test_create_event_validates_and_refuses_overwrite(tmp_path):
    event = create_event(tmp_path / "ev", name="町歩き", lat=35.0, lon=135.0, radius_km=2)
    assert open_event(tmp_path / "ev").config.name == "町歩き"
    assert len(event.config.code) == 6
    with pytest.raises(ConfigError):
        create_event(tmp_path / "ev", name="again", lat=35.0, lon=135.0, radius_km=2)
    with pytest.raises(ConfigError) as err:
        create_event(tmp_path / "bad", name="x", lat=35.0, lon=135.0, radius_km=0)
    assert err.value.field == "area.radius_km"
    assert not (tmp_path / "bad" / "event.toml").exists()


def test_bundled_demo_event_is_valid():
    cfg = load_config(PROJECT_ROOT / "events" / "demo-yaizu")
    assert cfg.demo and cfg.wiki == "ja" and cfg.attribution
