"""Merge two sources of 100,000 sites each; print the time and the peak memory.

    python bench/bench_merge.py [--n 100000] [--seed 1]

Target (issue #3): under 10 s and under 1 GB on a 2-core machine. The sources are synthetic but
shaped like real ones: source B holds 70 % of source A's sites, moved by up to ~50 m and with
their names respelled (full-width letters, brackets, 旧 prefixes), plus 30 % sites of its own;
common names such as 八幡神社 repeat thousands of times across the region.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wikitown.gaps.merge import merge_records  # noqa: E402
from wikitown.sources.base import SiteRecord  # noqa: E402

KANJI = "安井宇江大岡加川木久金北栗高佐山志島新杉瀬田谷千津中長西野原東平福藤松丸三宮村本森矢柳横吉和"
SUFFIXES = ["寺", "神社", "八幡宮", "城跡", "古墳", "遺跡", "家住宅", "の大楠", "石碑", "地蔵堂"]
COMMON = ["八幡神社", "稲荷神社", "天満宮", "日枝神社", "薬師堂", "観音堂"]


def make_sources(n: int, seed: int):
    rnd = random.Random(seed)
    a, b = [], []
    for i in range(n):
        if rnd.random() < 0.04:
            name = rnd.choice(COMMON)
        else:
            name = "".join(rnd.choice(KANJI) for _ in range(rnd.randint(2, 3))) + rnd.choice(SUFFIXES)
        lat, lon = 34.0 + rnd.random() * 3.0, 136.0 + rnd.random() * 3.5
        a.append(SiteRecord("opendata:a.csv", str(i), name, lat=lat, lon=lon, coord_status="ok",
                            designation="市指定", data={"line": i + 2}))
        if rnd.random() < 0.7:
            variant = name
            r = rnd.random()
            if r < 0.2:
                variant = f"{name}（{rnd.choice(KANJI)}{rnd.choice(KANJI)}市）"
            elif r < 0.3:
                variant = "旧" + name
            elif r < 0.4:
                variant = name.replace("神社", "神社 ")
            d = 50 / 111_320
            b.append(SiteRecord("osm", f"node/{i}", variant, lat=lat + rnd.uniform(-d, d),
                                lon=lon + rnd.uniform(-d, d), coord_status="ok", data={"tags": {"historic": "yes"}}))
    while len(b) < n:
        j = len(b)
        name = "".join(rnd.choice(KANJI) for _ in range(3)) + rnd.choice(SUFFIXES)
        b.append(SiteRecord("osm", f"way/{j}", name, lat=34.0 + rnd.random() * 3.0, lon=136.0 + rnd.random() * 3.5,
                            coord_status="ok", data={}))
    return a, b


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    t0 = time.perf_counter()
    a, b = make_sources(args.n, args.seed)
    t1 = time.perf_counter()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c1 = time.process_time()
    merged = merge_records(a + b)
    t2 = time.perf_counter()
    cpu = time.process_time() - c1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pairs = sum(1 for s in merged if len(s.records) == 2)
    # Source B's "node/i" is source A's site i respelled and moved: the true matches.
    truth = sum(1 for r in b if r.source_id.startswith("node/"))
    right = sum(1 for s in merged if len(s.records) == 2 and s.records[0].source_id.split("/")[-1]
                == s.records[1].source_id.split("/")[-1] and {r.source for r in s.records} == {"opendata:a.csv", "osm"}
                and any(r.source_id.startswith("node/") for r in s.records))
    print(f"records: {len(a)} + {len(b)}; generated in {t1 - t0:.1f} s")
    print(f"merged into {len(merged)} sites ({pairs} matched pairs) in {t2 - t1:.2f} s wall, {cpu:.2f} s CPU "
          f"(target < 10 s)")
    print(f"load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"matching: {right} of {truth} true pairs found, {pairs - right} wrong pairs")
    print(f"peak RSS: {peak:.0f} MB (before merging: {rss_before:.0f} MB)  (target < 1024 MB)")
    return 0 if (t2 - t1) < 10 and peak < 1024 else 1


if __name__ == "__main__":
    raise SystemExit(main())
