"""Build and check article drafts for 500 sites (target: under 5 s). Prints the figures.

    python bench/bench_drafts.py [N]

Sites get sources (a book and a web page each), a reading for half of them
(pykakasi guesses the rest), photos with known Commons names for some. Title
checks are skipped (offline): they cost one API request per 50 titles.
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wikitown.drafts import register  # noqa: E402
from wikitown.drafts.checks import check_wikitext  # noqa: E402
from wikitown.drafts.citations import Source  # noqa: E402
from wikitown.drafts.builder import build_drafts, load_sites  # noqa: E402
from wikitown.store.sites import upsert_sites  # noqa: E402
from wikitown.store.db import Store  # noqa: E402

NAMES = ["常楽寺", "焼津神社", "仁王門", "木造聖観音立像", "法華寺", "弁天宮", "石仏群", "大崩海岸", "光心院", "八幡社"]


def main(n: int = 500) -> None:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'store.sqlite'}")
        sites = [{"id": f"s{i}", "name": f"{NAMES[i % len(NAMES)]}{i}", "name_kana": "てすと" if i % 2 else "",
                  "designation": rng.choice(["市指定", "県指定", "国指定", ""]),
                  "category": rng.choice(["建造物", "彫刻", "史跡", "寺院", ""]),
                  "address": f"焼津市北浜通{i}", "municipality": "焼津市",
                  "lat": 34.86 + rng.random() / 100, "lon": 138.32 + rng.random() / 100} for i in range(n)]
        upsert_sites(store, sites)
        with store.write() as c:
            for i in range(n):
                register.add_source(store, Source("book", f"焼津市史 {i}", publisher="焼津市", year="2007"),
                                    [f"s{i}"], pages=str(i), conn=c)
                register.add_source(store, Source("web", f"ページ {i}", url=f"https://example.org/{i}",
                                                  website="焼津市", access_date="2026-11-28"), [f"s{i}"], conn=c)
        t0 = time.perf_counter()
        built = build_drafts(store, "ja", check_wiki=False, municipality="焼津市", municipality_code="222127")
        t1 = time.perf_counter()
        positions = {s.id: (s.lat, s.lon) for s in load_sites(store)}
        findings = 0
        for b in built:
            lat, lon = positions[b.site_id]
            findings += len(check_wikitext(b.wikitext, site_lat=lat, site_lon=lon))
        t2 = time.perf_counter()
        size = sum(len(b.wikitext) for b in built)
        print(f"sites: {len(built)}  wikitext: {size / 1024:.0f} KiB  findings: {findings}")
        print(f"build:  {t1 - t0:.2f} s")
        print(f"check:  {t2 - t1:.2f} s")
        print(f"total:  {t2 - t0:.2f} s (target under 5 s for 500 sites)")
        store.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
