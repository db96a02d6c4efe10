"""Figures for issue 13's limits: peak memory of reading hostile municipal files, and the time of one
join-code check with the throttle's store full.

    python bench/bench_security_limits.py
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_read_mb(path: Path) -> tuple[float, str]:
    code = textwrap.dedent(f"""
        import resource
        from wikitown.sources.opendata import read_file
        from wikitown.core.errors import InputError
        try:
            out = f"{{len(read_file({str(path)!r}).records)}} sites"
        except InputError as exc:
            out = "refused: " + exc.message("en")
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, out)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    if proc.returncode:
        return float("nan"), proc.stderr.strip().splitlines()[-1]
    peak, out = proc.stdout.strip().split(" ", 1)
    return float(peak), out


def main() -> None:
    import openpyxl

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bomb = tmp / "bomb.xlsx"
        book = openpyxl.Workbook()
        book.active.append(["名称", "緯度", "経度"])
        book.active.append(["常楽寺", 34.8647761, 138.3246443])
        book.active.cell(row=1_048_576, column=1, value="end")
        book.save(tmp / "plain.xlsx")
        with zipfile.ZipFile(tmp / "plain.xlsx") as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                data = src.read(item)
                if item.filename.endswith("sheet1.xml"):
                    data = re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:XFD1048576"/>', data)
                dst.writestr(item, data)
        peak, out = _peak_read_mb(bomb)
        print(f"xlsx declaring A1:XFD1048576 ({bomb.stat().st_size / 1024:.1f} KB): peak {peak:.0f} MB, {out}")

        big = tmp / "big.csv"
        with open(big, "w", encoding="utf-8") as fh:
            fh.write("名称,緯度,経度,説明\n")
            for i in range(99_000):
                fh.write(f"寺{i},34.86,138.32,{'説明' * 60}\n")
        peak, out = _peak_read_mb(big)
        print(f"CSV of 99 000 rows ({big.stat().st_size / 2**20:.0f} MB): peak {peak:.0f} MB, {out}")
        with open(big, "a", encoding="utf-8") as fh:
            for i in range(2_000):
                fh.write(f"寺x{i},34.86,138.32,x\n")
        peak, out = _peak_read_mb(big)
        print(f"CSV of 101 000 rows ({big.stat().st_size / 2**20:.0f} MB): peak {peak:.0f} MB, {out[:60]}")

        os.environ["WIKITOWN_HOME"] = str(tmp / "home")
        from wikitown.finds import access
        from wikitown.store.events import create_event

        access.SLOWDOWN_AFTER = 10 ** 9  # the time of the lookup itself, not of the slowdown under attack
        event = create_event(tmp / "ev", name="x", lat=35, lon=135, radius_km=1, code="JOIN-7Q4K-2026")
        attempts = access._Attempts(event.dir)
        now = time.time()
        with attempts.transaction() as conn:
            conn.executemany("INSERT INTO failures VALUES (?, 1, 0, ?)",
                             ((f"code:10.{i // 65536}.{i // 256 % 256}.{i % 256}", now) for i in range(50_000)))
        started = time.perf_counter()
        for i in range(200):
            access.check_event_code(event.dir, event.config.code, "WRONG", f"192.0.2.{i % 250}")
        took = (time.perf_counter() - started) / 200
        print(f"join-code check with {access.stored_attempt_buckets(event.dir)} counters stored: {took * 1000:.1f} ms")
        event.close()


if __name__ == "__main__":
    main()
