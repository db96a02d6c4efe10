"""Checklists: the bundled files parse into bilingual items with stable ids and cover what
organizers warn about; bad files are reported per file; ticks are saved in the event store."""

from __future__ import annotations

import pytest

from wikitown.walk import checklists as C
from wikitown.store.db import Store


def bundled():
    found, problems = C.load_checklists()
    assert problems == []
    return {c.name: c for c in found}


def test_bundled_checklists_parse_bilingual_with_stable_ids():
    lists = bundled()
    assert list(lists) == ["organizer-before", "organizer-day", "organizer-after", "librarian", "participant"]
    for checklist in lists.values():
        assert checklist.title_ja and checklist.title_en
        assert all(ja and en for ja, en in checklist.sections)
        assert len(checklist.items) >= 5
        ids = [i.id for i in checklist.items]
        assert len(ids) == len(set(ids))
        for item in checklist.items:
            assert item.ja and item.en, item.id
            assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in item.ja), item.id
            assert item.en.isascii(), item.id
            assert "{#" not in item.ja and "EN:" not in item.ja


@pytest.mark.parametrize("checklist,words_ja,words_en", [
    ("organizer-before", ["IP アドレス", "前日まで"], ["per IP address per day"]),
    ("organizer-before", ["ブロック"], ["blocked from editing"]),
    ("organizer-before", ["イベントのページ"], ["event has a page on the wiki"]),
    ("organizer-before", ["取り置き"], ["reserved source material"]),
    ("organizer-day", ["同意"], ["consent"]),
    ("organizer-day", ["建築物", "美術作品"], ["freedom of panorama", "artworks"]),
    ("organizer-day", ["CC BY-SA"], ["Licences"]),
    ("organizer-day", ["参道の中央"], ["shrines and temples"]),
    ("participant", ["アカウント"], ["before the day"]),
    ("participant", ["銅像"], ["Commons"]),
    ("librarian", ["出典"], ["cite"]),
])
def test_bundled_checklists_cover_what_organizers_warn_about(checklist, words_ja, words_en):
    items = bundled()[checklist].items
    ja = " ".join(i.ja for i in items)
    en = " ".join(i.en for i in items)
    for word in words_ja:
        assert word in ja, word
    for word in words_en:
        assert word.lower() in en.lower(), word


GOOD = """# テスト | Test
<!-- a comment
     over two lines -->
## 準備 | Preparation
- [ ] 一つ目の項目。
  続きの行。 {#first}
  EN: The first item,
  continued.
- [x] 二つ目 {#second}
  EN: Second
"""


def test_parse_items_sections_and_continuations():
    # "{#id}" must end the first line; a continuation line joins the Japanese text
    text = GOOD.replace("- [ ] 一つ目の項目。\n  続きの行。 {#first}", "- [ ] 一つ目の項目。 {#first}\n  続きの行。")
    checklist = C.parse_checklist(text, "test")
    assert (checklist.title_ja, checklist.title_en) == ("テスト", "Test")
    assert checklist.sections == [("準備", "Preparation")]
    first, second = checklist.items
    assert (first.id, first.ja, first.en) == ("first", "一つ目の項目。続きの行。", "The first item, continued.")
    assert first.text("en") == "The first item, continued." and first.text("ja") == "一つ目の項目。続きの行。"
    assert (second.id, second.ja, second.en) == ("second", "二つ目", "Second")


@pytest.mark.parametrize("text,line,words", [
    ("# T | T\n- [ ] no id here\n", 2, "needs an id"),
    ("# T | T\n- [ ] a {#x}\n- [ ] b {#x}\n", 3, "used twice"),
    ("# T | T\n- [ ] a {#Bad_Id}\n", 2, "id"),
    ("# T | T\nplain paragraph\n", 2, "not a heading"),
    ("## only a section\n- [ ] a {#a}\n", 1, "no title"),
    ("# T\n# again\n", 2, "second title"),
    ("# T\n- [ ]  {#empty}\n", 2, "no text"),
])
def test_parse_errors_name_the_line(text, line, words):
    with pytest.raises(C.ChecklistError) as err:
        C.parse_checklist(text, "bad")
    assert err.value.params["line"] == line
    assert words in str(err.value)
    assert f"bad.md の {line} 行目" in err.value.message("ja")


def test_a_broken_file_does_not_hide_the_others(tmp_path):
    base = tmp_path / "checklists"
    base.mkdir()
    (base / "good.md").write_text("# 良い | Good\n- [ ] 項目 {#a}\n  EN: Item\n", encoding="utf-8")
    (base / "broken.md").write_text("# 壊れ | Broken\n- [ ] id がない\n", encoding="utf-8")
    (base / "latin1.md").write_bytes("# caf\xe9\n".encode("latin-1"))
    (base / "Bad Name.md").write_text("# x\n", encoding="utf-8")
    found, problems = C.load_checklists(base=base)
    assert [c.name for c in found] == ["good"]
    assert len(problems) == 3
    assert any("broken.md line 2" in p for p in problems)
    assert any("not UTF-8" in p for p in problems)


def test_event_copy_replaces_the_project_checklist(tmp_path):
    event = tmp_path / "event"
    (event / "checklists").mkdir(parents=True)
    (event / "checklists" / "participant.md").write_text(
        "# 参加者（この会） | Participant (this event)\n- [ ] 独自の項目 {#own}\n  EN: Our own item\n",
        encoding="utf-8")
    found, problems = C.load_checklists(event)
    lists = {c.name: c for c in found}
    assert problems == [] and len(lists) == 5
    assert [i.id for i in lists["participant"].items] == ["own"]
    assert len(lists["organizer-before"].items) == len(bundled()["organizer-before"].items)


def test_ticks_are_saved_in_the_event_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = Store(url)
    checklist = bundled()["organizer-before"]
    assert C.progress(checklist, C.ticks(store)) == (0, len(checklist.items))
    C.set_tick(store, "organizer-before", "accounts-before-day", True, by="organizer")
    C.set_tick(store, "organizer-before", "event-page", True)
    C.set_tick(store, "organizer-before", "event-page", False)
    C.set_tick(store, "organizer-before", "item-removed-since", True)  # a stale id does not count
    store.dispose()
    reopened = Store(url)  # the ticks are in the store, not in memory
    state = C.ticks(reopened)
    assert state[("organizer-before", "accounts-before-day")]["checked"] is True
    assert state[("organizer-before", "accounts-before-day")]["by"] == "organizer"
    assert state[("organizer-before", "event-page")]["checked"] is False
    assert C.progress(checklist, state) == (1, len(checklist.items))
    with pytest.raises(C.InputError):
        C.set_tick(reopened, "../etc", "x", True)
