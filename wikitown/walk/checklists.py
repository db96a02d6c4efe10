"""Checklists: bilingual Markdown files in ``checklists/``, ticks saved in the event's store.

The format (docs/checklists.md) stays readable as plain Markdown on GitHub::

    # 開催前（主催者） | Before the event (organizer)
    ## アカウント | Accounts
    - [ ] 参加者に前日までにアカウントを作ってもらう。 {#accounts-before-day}
      EN: Ask participants to create their accounts before the day.

Each item has a stable id (``{#...}``): ticks are stored by (checklist, id), so the wording can
be improved without losing anyone's ticks. An event may carry its own copy of a checklist in
``<event>/checklists/NAME.md``, which then replaces the project's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from wikitown.core.errors import InputError
from wikitown.store.db import Store, checklist_state, now

# The project's checklists/ folder, reached through a link inside the package so an installed
# wikitown (pip install .) carries them too.
CHECKLIST_DIR = Path(__file__).resolve().parents[1] / "bundled" / "checklists"
# The order the app shows them in; other files follow alphabetically.
ORDER = ("organizer-before", "organizer-day", "organizer-after", "librarian", "participant")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_ITEM_RE = re.compile(r"^[-*] \[( |x|X)\] (.*?)\s*\{#([A-Za-z0-9-]+)\}\s*$")
_LOOSE_ITEM_RE = re.compile(r"^[-*] \[( |x|X)\] ")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
MAX_BYTES = 256 * 1024


class ChecklistError(InputError):
    key = "checklists.error.parse"

    def __init__(self, name: str, line: int, problem: str):
        super().__init__(f"{name}.md line {line}: {problem}", name=name, line=line, problem=problem)


@dataclass
class Item:
    id: str
    ja: str
    en: str = ""
    section: int = 0  # index into Checklist.sections

    def text(self, lang: str) -> str:
        return (self.en or self.ja) if lang == "en" else (self.ja or self.en)


@dataclass
class Checklist:
    name: str  # the file stem: the key in checklist_state
    title_ja: str
    title_en: str
    sections: list[tuple[str, str]] = field(default_factory=list)  # (ja, en)
    items: list[Item] = field(default_factory=list)

    def title(self, lang: str) -> str:
        return (self.title_en or self.title_ja) if lang == "en" else (self.title_ja or self.title_en)

    def section(self, index: int, lang: str) -> str:
        if not self.sections:
            return ""
        ja, en = self.sections[index]
        return (en or ja) if lang == "en" else (ja or en)


def _split_heading(text: str) -> tuple[str, str]:
    ja, sep, en = text.partition(" | ")
    return ja.strip(), (en.strip() if sep else "")


def parse_checklist(text: str, name: str) -> Checklist:
    """Parse one checklist; raises :class:`ChecklistError` naming the line for anything unclear."""
    if not _NAME_RE.fullmatch(name):
        raise ChecklistError(name, 0, "the file name must be lower-case letters, digits and hyphens")
    checklist = Checklist(name, "", "")
    item: Item | None = None
    in_comment = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if in_comment:
            in_comment = "-->" not in stripped
            continue
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        if not stripped:
            item = None
            continue
        if line.startswith("# "):
            if checklist.title_ja:
                raise ChecklistError(name, number, "a second title (# ...)")
            checklist.title_ja, checklist.title_en = _split_heading(line[2:])
            item = None
        elif line.startswith("## "):
            checklist.sections.append(_split_heading(line[3:]))
            item = None
        elif _LOOSE_ITEM_RE.match(line):
            match = _ITEM_RE.match(line)
            if not match:
                raise ChecklistError(name, number, "an item needs an id at the end, like {#accounts-before-day}")
            item_id = match.group(3)
            if not _ID_RE.fullmatch(item_id):
                raise ChecklistError(name, number, f"the id {item_id!r} must be lower-case letters, digits, hyphens")
            if any(i.id == item_id for i in checklist.items):
                raise ChecklistError(name, number, f"the id {item_id!r} is used twice")
            if not match.group(2).strip():
                raise ChecklistError(name, number, "the item has no text")
            item = Item(item_id, match.group(2).strip(), "", max(0, len(checklist.sections) - 1))
            checklist.items.append(item)
        elif raw[:1] in (" ", "\t") and item is not None:
            if stripped.upper().startswith("EN:"):
                item.en = stripped[3:].strip()
            elif item.en:
                item.en += " " + stripped
            else:
                item.ja += stripped  # Japanese wraps without spaces
        else:
            raise ChecklistError(name, number, "not a heading, an item (- [ ] ... {#id}) or an indented EN: line")
    if not checklist.title_ja:
        raise ChecklistError(name, 1, "no title (# 日本語 | English)")
    if not checklist.sections:
        checklist.sections.append(("", ""))
    return checklist


def checklist_files(event_dir: Path | None = None, base: Path = CHECKLIST_DIR) -> list[Path]:
    """The project's checklists, each replaced by the event's own copy when it has one."""
    files = {p.stem: p for p in sorted(Path(base).glob("*.md"))}
    if event_dir is not None:
        own = Path(event_dir) / "checklists"
        if own.is_dir():
            files.update({p.stem: p for p in sorted(own.glob("*.md"))})
    rank = {n: i for i, n in enumerate(ORDER)}
    return [files[k] for k in sorted(files, key=lambda n: (rank.get(n, len(ORDER)), n))]


def load_checklists(event_dir: Path | None = None, base: Path = CHECKLIST_DIR) -> tuple[list[Checklist], list[str]]:
    """Every checklist that parses, and a message per file that does not (the rest still load)."""
    found, problems = [], []
    for path in checklist_files(event_dir, base):
        try:
            raw = path.read_bytes()
            if len(raw) > MAX_BYTES:
                raise ChecklistError(path.stem, 0, f"the file is larger than {MAX_BYTES // 1024} KB")
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ChecklistError(path.stem, 0, "the file is not UTF-8 text") from None
            found.append(parse_checklist(text, path.stem))
        except ChecklistError as exc:
            problems.append(str(exc))
    return found, problems


def ticks(store: Store) -> dict[tuple[str, str], dict]:
    """(checklist, item) -> {checked, by, updated_at} for every item ever ticked or unticked."""
    with store.read() as conn:
        rows = conn.execute(sa.select(checklist_state)).mappings().all()
    return {(r["checklist"], r["item"]): {"checked": bool(r["checked"]), "by": r["by"] or "",
                                          "updated_at": r["updated_at"]} for r in rows}


def set_tick(store: Store, checklist: str, item: str, checked: bool, by: str = "") -> None:
    """Tick or untick one item (one transaction)."""
    if not _NAME_RE.fullmatch(checklist) or not _ID_RE.fullmatch(item):
        raise InputError(f"not a checklist item: {checklist}/{item}", key="checklists.error.item",
                         checklist=checklist, item=item)
    with store.write() as conn:
        conn.execute(checklist_state.delete().where((checklist_state.c.checklist == checklist)
                                                    & (checklist_state.c.item == item)))
        conn.execute(checklist_state.insert().values(checklist=checklist, item=item, checked=bool(checked),
                                                     by=str(by)[:200], updated_at=now()))


def progress(checklist: Checklist, state: dict[tuple[str, str], dict]) -> tuple[int, int]:
    """(ticked, total) for one checklist; ticks of items no longer in the file do not count."""
    done = sum(1 for i in checklist.items if state.get((checklist.name, i.id), {}).get("checked"))
    return done, len(checklist.items)
