"""Message catalogues: every key in both languages, placeholders agree."""

import json
import re
import string

from wikitown.core.i18n import LOCALE_DIR, catalogue, t


def _placeholders(text):
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_same_domains_in_both_languages():
    ja = sorted(p.name for p in (LOCALE_DIR / "ja").glob("*.json"))
    en = sorted(p.name for p in (LOCALE_DIR / "en").glob("*.json"))
    assert ja == en and ja


def test_no_key_missing_in_either_language():
    ja, en = catalogue("ja"), catalogue("en")
    assert sorted(set(ja) - set(en)) == []
    assert sorted(set(en) - set(ja)) == []


def test_placeholders_match_and_values_not_empty():
    ja, en = catalogue("ja"), catalogue("en")
    for key in ja:
        assert ja[key].strip() and en[key].strip(), key
        assert _placeholders(ja[key]) == _placeholders(en[key]), key


def test_japanese_catalogue_is_japanese():
    ja = catalogue("ja")
    has_japanese = [k for k, v in ja.items() if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", v)]
    assert len(has_japanese) >= 0.8 * len(ja)


def test_domain_files_are_valid_json_objects():
    for path in LOCALE_DIR.rglob("*.json"):
        assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict), path


def test_every_key_used_in_code_exists():
    """Keys written literally in the code must be in the catalogue."""
    root = LOCALE_DIR.parent.parent
    pattern = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]*[a-z0-9_])["']\s*[,)]""")
    known = catalogue("en")
    missing = []
    for folder in ("wikitown", "ui", "pages"):
        for path in (root / folder).rglob("*.py"):
            for key in pattern.findall(path.read_text(encoding="utf-8")):
                if key not in known:
                    missing.append(f"{path.name}: {key}")
    assert missing == []


def test_default_is_japanese_and_placeholders_fill():
    assert t("app.page.home") == "ホーム"
    assert t("app.page.home", "en") == "Home"
    assert "42" in t("app.home.site_count", "en", count=42)
