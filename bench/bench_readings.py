"""How often a guessed reading of a site's name is right: pykakasi against SudachiPy (issue 11.5).

    python bench/bench_readings.py [--misses]

The truth is the reading the sources themselves give, from the real files in ``tests/data``:

- municipal lists with a kana column (read by wikitown's own importer, pairs deduplicated):
  台東区's 埋蔵文化財包蔵地 (ふりがな), 焼津市's 2025 town-walk spots (よみがな). 高松市's list has a
  ``fullNameInKana`` column, but it is empty in every row (csv and xlsx), so it gives no pair;
- the readings jawiki articles state in their text, ``氣比神宮（けひじんぐう）``, from the
  article samples in ``tests/data/wikitext`` (mostly shrines, deities and places: harder than
  site lists, reported apart).

Every engine goes through wikitown's own guess (:func:`wikitown.drafts.builder.guess_reading`:
a trailing bracket dropped, 〜寺 read 〜じ), so only the dictionary differs. A guess is right
when it equals the source's reading once both are hiragana without spaces, 中黒 or brackets
("exact"), and when both give the same jawiki sort key (:func:`wikitown.drafts.sortkey.sort_key`:
濁点 and small kana folded), which is what ``{{DEFAULTSORT:}}`` needs.

SudachiPy is optional: the bench measures it when ``sudachipy`` and a dictionary package
(``sudachidict_small``, ``sudachidict_core``) can be imported, e.g. installed apart with
``pip install --target /tmp/sudachi sudachipy sudachidict_small sudachidict_core`` and run with
``PYTHONPATH=/tmp/sudachi``.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mwparserfromhell  # noqa: E402

from wikitown.core.normalize import kata_to_hira, nfkc  # noqa: E402
from wikitown.drafts.builder import _strip_brackets, guess_reading, kakasi_reading  # noqa: E402
from wikitown.drafts.sortkey import sort_key  # noqa: E402
from wikitown.sources.opendata import read_file  # noqa: E402

DATA = ROOT / "tests" / "data"
LISTS = [
    DATA / "opendata" / "tokyo_taito_iseki_sjis" / "13106_Taito-kuSJS.csv",
    DATA / "opendata" / "yaizu_222127" / "historyspot__walkingevent.csv",
    DATA / "opendata" / "takamatsu_372013" / "0063_2023-03-16.csv",
    DATA / "opendata" / "takamatsu_372013" / "data_2026-03-17.xlsx",
]
KANA_RE = re.compile(r"[\u3040-\u309f\u30a0-\u30ffー・\s()（）0-9]+")
# A term (kanji, katakana, 々) followed by its reading in brackets: 氣比神宮（けひじんぐう、気比神宮）
STATED_RE = re.compile(r"([\u4e00-\u9fff々〆ヶ\u30a0-\u30ff]{2,15})[（(]([\u3040-\u309fー・]{2,})[、,）)]")
PLAIN_DROP_RE = re.compile(r"[\s・･、。,.()（）「」『』\[\]【】\-‐－〜~]")


def plain(reading: str) -> str:
    """A reading compared exactly: hiragana, without spaces, 中黒 or brackets."""
    return PLAIN_DROP_RE.sub("", kata_to_hira(nfkc(reading)))


def _without_trailing_bracket(name: str, kana: str) -> tuple[str, str]:
    """A guess reads a name without its trailing bracket (護信寺(光心寺跡)): so does the truth."""
    short = _strip_brackets(name)
    if short != name:
        kana = re.sub(r"[(（][^)）]*[)）]$", "", kana).strip()
    return short, kana


def list_pairs() -> tuple[list[tuple[str, str]], list[str]]:
    """(name, kana) from the lists' kana columns, and one line per file saying what it gave."""
    pairs: dict[tuple[str, str], None] = {}
    notes = []
    for path in LISTS:
        if not path.exists():
            notes.append(f"{path.relative_to(ROOT)}: missing")
            continue
        sites = read_file(path).records
        found = [(nfkc(s.name), nfkc(s.name_kana)) for s in sites
                 if nfkc(s.name_kana) and KANA_RE.fullmatch(nfkc(s.name_kana))]
        new = [p for p in dict.fromkeys(found) if p not in pairs]
        pairs.update(dict.fromkeys(new))
        notes.append(f"{path.relative_to(ROOT)}: {len(sites)} rows, {len(found)} with kana, {len(new)} new pairs")
    return [_without_trailing_bracket(n, k) for n, k in pairs], notes


def stated_pairs() -> tuple[list[tuple[str, str]], list[str]]:
    """(term, reading) that the article samples state as ``term（よみ）``."""
    pairs: dict[tuple[str, str], None] = {}
    notes = []
    for path in sorted((DATA / "wikitext").glob("*")):
        text = path.read_text(encoding="utf-8")
        # the text a reader sees: bold, links and templates' markup gone, link labels kept
        shown = mwparserfromhell.parse(text).strip_code(normalize=True, collapse=True)
        found = [(m.group(1), m.group(2)) for m in STATED_RE.finditer(shown)]
        pairs.update(dict.fromkeys(found))
        notes.append(f"{path.relative_to(ROOT)}: {len(found)} stated readings")
    return list(pairs), notes


# ---------------------------------------------------------------------------------------------
# engines: each turns text into hiragana; wikitown's guess_reading does the rest


def sudachi_reader(dict_name: str):
    """A reader with SudachiPy and the named dictionary package, or None when not installed."""
    if not (importlib.util.find_spec("sudachipy") and importlib.util.find_spec(f"sudachidict_{dict_name}")):
        return None
    from sudachipy import Dictionary, SplitMode

    tokenizer = Dictionary(dict=dict_name).create(mode=SplitMode.C)

    def read(text: str) -> str:
        out = []
        for m in tokenizer.tokenize(text):
            if m.part_of_speech()[0] in ("補助記号", "空白"):
                continue  # brackets and punctuation read キゴウ
            surface = m.surface()
            out.append(surface if surface.isdigit() else kata_to_hira(m.reading_form()))
        return "".join(out)

    read.__name__ = f"sudachi_{dict_name}"
    return read


def installed_mb(*packages: str) -> float:
    total = 0
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            for folder in spec.submodule_search_locations:
                total += sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
    return total / 2**20


def engines():
    """(label, reader, set-up seconds, installed MB)."""
    out = []
    start = time.perf_counter()
    kakasi_reading("常楽寺")  # loads pykakasi's dictionaries
    out.append(("pykakasi", kakasi_reading, time.perf_counter() - start, installed_mb("pykakasi")))
    for dict_name in ("small", "core"):
        start = time.perf_counter()
        reader = sudachi_reader(dict_name)
        if reader is None:
            print(f"(sudachipy + sudachidict_{dict_name} not installed: not measured)")
            continue
        reader("常楽寺")
        out.append((f"sudachipy+{dict_name}", reader, time.perf_counter() - start,
                    installed_mb("sudachipy", f"sudachidict_{dict_name}")))
    return out


def measure(pairs, reader) -> tuple[int, int, float, list]:
    """(exact, sort-key equal, seconds per name, misses)."""
    exact = same_key = 0
    misses = []
    per_name = math.inf
    for _ in range(5):  # the best of five: the machine is shared
        start = time.perf_counter()
        guesses = [guess_reading.__wrapped__(name, reader) for name, _ in pairs]  # uncached
        per_name = min(per_name, (time.perf_counter() - start) / max(len(pairs), 1))
    for (name, kana), guess in zip(pairs, guesses):
        is_exact = plain(guess) == plain(kana)
        key_equal = sort_key(guess) == sort_key(kana)
        exact += is_exact
        same_key += key_equal
        if not key_equal:
            misses.append((name, kana, guess))
    return exact, same_key, per_name, misses


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test on the names where two engines disagree (ties left out)."""
    n = wins + losses
    if not n:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(wins, losses) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the names each engine gets wrong")
    args = parser.parse_args()
    lists, list_notes = list_pairs()
    stated, stated_notes = stated_pairs()
    for line in list_notes + stated_notes:
        print(line)
    groups = [("site lists", lists), ("jawiki text", stated), ("all", lists + stated)]
    print()
    print(f"{'engine':<18} {'set-up':>7} {'size':>7}  " +
          "  ".join(f"{label + ' (N=' + str(len(p)) + ')':>26}" for label, p in groups) + f"  {'per name':>9}")
    print(f"{'':<18} {'s':>7} {'MB':>7}  " + "  ".join(f"{'exact  sort key':>26}" for _ in groups))
    all_misses = {}
    right_on_lists = {}
    for label, reader, setup, size in engines():
        cells = []
        per_name = 0.0
        for group, pairs in groups:
            exact, same_key, per, misses = measure(pairs, reader)
            n = max(len(pairs), 1)
            cells.append(f"{100 * exact / n:>12.1f}% {100 * same_key / n:>8.1f}%")
            if group == "all":
                per_name, all_misses[label] = per, misses
            if group == "site lists":
                right_on_lists[label] = {p for p in pairs} - {(n, k) for n, k, _ in misses}
        print(f"{label:<18} {setup:>7.2f} {size:>7.1f}  " + "  ".join(f"{c:>26}" for c in cells) +
              f"  {per_name * 1000:>7.3f}ms")
    # paired: the names one engine gets right and the other wrong (the rest both get right or wrong)
    base = right_on_lists.pop("pykakasi")
    for label, right in right_on_lists.items():
        wins, losses = len(right - base), len(base - right)
        print(f"site lists, sort key: {label} right where pykakasi is wrong: {wins}, "
              f"wrong where pykakasi is right: {losses} (sign test p = {sign_test(wins, losses):.2f})")
    if args.misses:
        for label, misses in all_misses.items():
            print(f"\n{label}: {len(misses)} sort keys differ (name, source's reading, guess)")
            for name, kana, guess in misses:
                print(f"  {name}\t{kana}\t{guess}")


if __name__ == "__main__":
    main()
