"""{{DEFAULTSORT:}} as Japanese Wikipedia writes it (issue 12.9)."""
from __future__ import annotations

import mwparserfromhell
import pytest

from wikitown.drafts.builder import Site, build_draft
from wikitown.drafts.sortkey import sort_key


@pytest.mark.parametrize("reading, key", [
    # the article 上海軌道交通3号線 carries {{DEFAULTSORT:しやんはいきとうこうつう03}}
    ("シャンハイキドウコウツウ3", "しやんはいきとうこうつう03"),
    ("しゃんはいきどうこうつう3", "しやんはいきとうこうつう03"),
    ("ジョウラクジ", "しようらくし"),  # 濁音 → 清音, small ょ → よ
    ("ぱっちわーく", "はつちわあく"),  # 半濁音, っ → つ, ー after わ → あ
    ("コーヒー", "こおひい"),  # ー is the vowel it lengthens
    ("シャー", "しやあ"),  # after a contracted sound, the small kana's vowel
    ("チェーン", "ちええん"),
    ("ヴィラ", "ういら"),
    ("とうめ とりで・あと", "とうめとりてあと"),  # spaces and 中黒 dropped
    ("だい１２ばんしょ", "たい12はんしよ"),  # full-width digits; two places are two places
    ("だい1ばんしょ", "たい01はんしよ"),
    ("", ""),
])
def test_sort_key(reading, key):
    assert sort_key(reading) == key


def _defaultsort(text: str) -> str:
    code = mwparserfromhell.parse(text)
    found = [str(t.name) for t in code.filter_templates() if str(t.name).startswith("DEFAULTSORT:")]
    assert len(found) == 1
    return found[0].split(":", 1)[1]


def test_draft_sort_key_comes_from_the_sources_kana():
    site = Site(id="s", name="上海軌道交通3号線", name_kana="シャンハイキドウコウツウ3", municipality="焼津市")
    built = build_draft(site, "ja")
    assert _defaultsort(built.wikitext) == "しやんはいきとうこうつう03"
    assert "reading_guessed" not in built.flags
    # the lead keeps the reading as written (in hiragana); only the sort key is folded
    assert "（しゃんはいきどうこうつう3）" in built.wikitext


def test_guessed_reading_is_folded_too_and_marked():
    built = build_draft(Site(id="s", name="常楽寺", municipality="焼津市"), "ja")
    assert "reading_guessed" in built.flags and "wikitown:check-reading" in built.wikitext
    assert _defaultsort(built.wikitext) == "しようらくし"
