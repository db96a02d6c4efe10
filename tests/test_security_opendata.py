"""Municipal files that would exhaust memory (issue 13, point 6): rows are streamed, and rows,
columns and size are capped with a clear message instead of a MemoryError."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import zipfile

import pytest

from wikitown.core.errors import InputError
from wikitown.core.paths import PROJECT_ROOT
from wikitown.sources import opendata


def _xlsx(path, rows, dimension: str | None = None, last_row: int | None = None):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if last_row:  # one stray cell far down: every row number in between is a gap
        sheet.cell(row=last_row, column=1, value="end")
    book.save(path)
    if dimension:  # what a hostile or broken file declares
        raw = path.with_suffix(".tmp")
        path.rename(raw)
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                data = src.read(item)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = re.sub(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>'.encode(), data)
                    assert dimension.encode() in data
                dst.writestr(item, data)
        raw.unlink()
    return path


def _read_in_limited_process(path, limit_mb: int = 1500, timeout: float = 120) -> subprocess.CompletedProcess:
    """read_file in a child process that may use at most ``limit_mb`` of address space."""
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({limit_mb} * 2**20, {limit_mb} * 2**20))
        from wikitown.sources.opendata import read_file
        from wikitown.core.errors import InputError
        try:
            result = read_file({str(path)!r})
        except InputError as exc:
            print("REFUSED", exc.message("en"))
        else:
            print("READ", len(result.records))
    """)
    try:
        return subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"still reading after {timeout} s: {exc}")


def test_xlsx_declaring_a_whole_sheet_reads_only_its_cells(tmp_path):
    path = _xlsx(tmp_path / "bomb.xlsx", [["名称", "緯度", "経度"], ["常楽寺", 34.8647761, 138.3246443]],
                 dimension="A1:XFD1048576", last_row=1_048_576)
    assert path.stat().st_size < 10_000
    proc = _read_in_limited_process(path)
    # A cell on row 1048576: past the row cap, so refused with a message (not padded to 16384 columns).
    assert proc.returncode == 0 and proc.stdout.startswith("REFUSED"), proc.stdout + proc.stderr[-2000:]
    assert "100000 rows" in proc.stdout
    # The same sheet without the far cell reads its row, whatever size it declares.
    path = _xlsx(tmp_path / "declared.xlsx", [["名称", "緯度", "経度"], ["常楽寺", 34.8647761, 138.3246443]],
                 dimension="A1:XFD1048576")
    proc = _read_in_limited_process(path)
    assert proc.returncode == 0 and proc.stdout.startswith("READ 1"), proc.stdout + proc.stderr[-2000:]


def test_too_many_rows_is_refused_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(opendata, "MAX_ROWS", 1000)
    csv_path = tmp_path / "big.csv"
    csv_path.write_text("名称,緯度,経度\n" + "".join(f"寺{i},34.86,138.32\n" for i in range(1500)), encoding="cp932")
    with pytest.raises(InputError) as err:
        opendata.read_file(csv_path)
    assert "1000" in err.value.message("en") and "rows" in err.value.message("en")
    assert "1000 行" in err.value.message("ja")
    xlsx_path = _xlsx(tmp_path / "big.xlsx", [["名称", "緯度", "経度"]] + [[f"寺{i}", 34.86, 138.32]
                                                                         for i in range(1500)])
    with pytest.raises(InputError):
        opendata.read_file(xlsx_path)
    # Under the cap, the same files read (the encoding told from the first megabyte).
    csv_path.write_text("名称,緯度,経度\n" + "".join(f"寺{i},34.86,138.32\n" for i in range(900)), encoding="cp932")
    result = opendata.read_file(csv_path)
    assert len(result.records) == 900 and result.encoding == "cp932" and result.records[0].name == "寺0"


def test_too_many_columns_is_refused_but_padding_is_not(tmp_path, monkeypatch):
    monkeypatch.setattr(opendata, "MAX_COLUMNS", 50)
    wide = tmp_path / "wide.csv"
    wide.write_text("名称," + ",".join(f"c{i}" for i in range(80)) + "\n常楽寺," + ",".join("x" * 80) + "\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        opendata.read_file(wide)
    assert "columns" in err.value.message("en")
    padded = tmp_path / "padded.csv"
    padded.write_text("名称,緯度,経度" + "," * 80 + "\n常楽寺,34.86,138.32" + "," * 80 + "\n", encoding="utf-8")
    assert [r.name for r in opendata.read_file(padded).records] == ["常楽寺"]


def test_oversized_files_are_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as fh:  # sparse: no disk used
        fh.truncate(opendata.MAX_FILE_BYTES + 1)
    with pytest.raises(InputError) as err:
        opendata.read_file(path)
    assert err.value.key == "sites.error.too_large"
    assert opendata.MAX_FILE_BYTES <= 50 * 2 ** 20
