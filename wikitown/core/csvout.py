"""The one CSV writer: files people open in Excel (sites, finds, plan, left-out sites, report).

Two things every CSV wikitown writes needs:

- **A UTF-8 byte-order mark.** Excel (Japanese Windows above all) reads a CSV without one as
  Shift_JIS and shows mojibake; with the BOM it reads UTF-8. Python's csv module, LibreOffice and
  pandas (``encoding="utf-8-sig"``) read it too.
- **No formulas from user text (CSV injection).** A cell starting with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return runs as a formula in a spreadsheet (``=HYPERLINK("http://evil",
  "click")``, ``@SUM(...)``, DDE payloads). Such a cell is written with a leading ``'``, which
  Excel and LibreOffice show as text (OWASP's advice). Full-width ``＝ ＋ － ＠`` too: Japanese
  Excel treats them like their ASCII forms when typed. Plain numbers (``-3.5``, ``+81``,
  ``1e-3``) are left as they are, so a negative longitude stays a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value) -> str | int | float:
    """``value`` as a cell a spreadsheet shows as written: None is empty, numbers stay numbers,
    text that would start a formula gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def unguard(text: str) -> str:
    """A cell of a file wikitown wrote, as it was before :func:`safe_cell` (for reading our own
    exports back: a site named ``=A`` stays ``=A``, not ``'=A``)."""
    if isinstance(text, str) and text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def csv_text(header: Sequence[str] | None, rows: Iterable[Sequence], *, lineterminator: str = "\r\n",
             bom: bool = True) -> str:
    """The CSV text of ``rows`` (each a sequence of cells) under ``header``, every cell through
    :func:`safe_cell`, starting with the BOM unless ``bom=False``."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=lineterminator)
    if header is not None:
        writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return (BOM if bom else "") + buf.getvalue()


def csv_bytes(header: Sequence[str] | None, rows: Iterable[Sequence], *, lineterminator: str = "\r\n") -> bytes:
    """:func:`csv_text` as UTF-8 bytes with the BOM: what every CSV file and download is."""
    return csv_text(header, rows, lineterminator=lineterminator).encode("utf-8")


def dict_rows(columns: Sequence[str], rows: Iterable[dict]) -> Iterable[list]:
    """Dicts as rows in ``columns`` order (missing keys are empty)."""
    for row in rows:
        yield [row.get(c) for c in columns]
