"""The product's Wikidata query on a graph of Japan's size, through the SPARQL stand-in the tests use.

    python bench/bench_wikidata_query.py [--designated 100000] [--other 200000] [--seed 1] [--repeat 3]

Builds a synthetic graph in Wikidata's RDF shape: about 100,000 heritage-designated items (as many
as Japan has) spread around 1,700 municipality centres, plus other items with coordinates and no
designation (stations, schools ...), each with wdt:P31, wdt:P625 as geo:wktLiteral "Point(lon lat)",
wdt:P131 to its municipality (itself in a prefecture through wdt:P131), rdfs:label@ja, and jawiki
sitelinks (schema:about / schema:isPartOf) for a third of them. Then runs, on pyoxigraph, the
exact text wikitown sends to WDQS (tests/sparql_standin.py rewrites wikibase:around to standard
SPARQL before evaluating): the municipality look-up by P429, the area query (10 km around
Yaizu), and the area + municipality query, and prints the time and the rows of each.

pyoxigraph has no geospatial index, so the stand-in reads every item with coordinates; WDQS
answers wikibase:around from its index. The figure is the cost of running the tests' engine on a
country, not a WDQS timing.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from tests.sparql_standin import to_standard_sparql  # noqa: E402
from wikitown.sources import wikidata  # noqa: E402

YAIZU = (34.867, 138.3186)
DESIGNATIONS = ["Q1139795", "Q1188622", "Q11579194", "Q30834580", "Q11414752", "Q43113623"]
KINDS = ["Q160742", "Q845945", "Q44539", "Q10387575", "Q17715832"]  # temple, shrine, ... (any items)
KANJI = "安井宇江大岡加川木久金北栗高佐山志島新杉瀬田谷千津中長西野原東平福藤松丸三宮村本森矢柳横吉和"
SUFFIXES = ["寺", "神社", "八幡宮", "城跡", "古墳", "遺跡", "家住宅", "の大楠", "石碑", "地蔵堂"]
WD, WDT = "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/"


def build_graph(designated: int, other: int, seed: int) -> tuple[ox.Store, float]:
    rnd = random.Random(seed)
    lines: list[str] = []
    add = lines.append
    wkt = "<http://www.opengis.net/ont/geosparql#wktLiteral>"
    centres = [YAIZU] + [(31.0 + rnd.random() * 12.0, 130.0 + rnd.random() * 12.0) for _ in range(1699)]
    for m, (lat, lon) in enumerate(centres):
        q = f"<{WD}Q8{m:06d}>"
        code = f"{10000 + m:05d}"
        add(f'{q} <{WDT}P429> "{wikidata.dantai_codes(code)[0]}" .')
        add(f'{q} <http://www.w3.org/2000/01/rdf-schema#label> "{"焼津市" if m == 0 else f"町{m}"}"@ja .')
        add(f'{q} <{WDT}P625> "Point({lon:.5f} {lat:.5f})"^^{wkt} .')
        add(f"{q} <{WDT}P131> <{WD}Q7{m % 47:06d}> .")
    for i in range(designated + other):
        m = rnd.randrange(len(centres))
        clat, clon = centres[m]
        lat, lon = clat + rnd.gauss(0, 0.05), clon + rnd.gauss(0, 0.06)
        q = f"<{WD}Q{10_000_000 + i}>"
        name = "".join(rnd.choice(KANJI) for _ in range(rnd.randint(2, 3))) + rnd.choice(SUFFIXES)
        add(f"{q} <{WDT}P31> <{WD}{rnd.choice(KINDS)}> .")
        add(f'{q} <{WDT}P625> "Point({lon:.5f} {lat:.5f})"^^{wkt} .')
        add(f"{q} <{WDT}P131> <{WD}Q8{m:06d}> .")
        add(f'{q} <http://www.w3.org/2000/01/rdf-schema#label> "{name}"@ja .')
        if i < designated:
            add(f"{q} <{WDT}P1435> <{WD}{rnd.choice(DESIGNATIONS)}> .")
            if rnd.random() < 0.33:
                art = f"<https://ja.wikipedia.org/wiki/{name}{i}>"
                add(f"{art} <http://schema.org/about> {q} .")
                add(f"{art} <http://schema.org/isPartOf> <https://ja.wikipedia.org/> .")
    store = ox.Store()
    t = time.perf_counter()
    store.bulk_load(("\n".join(lines) + "\n").encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store, time.perf_counter() - t


def timed(store: ox.Store, query: str, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    standard = to_standard_sparql(query)
    for _ in range(repeat):
        t = time.perf_counter()
        rows = sum(1 for _ in store.query(standard))
        times.append(time.perf_counter() - t)
    return statistics.median(times), rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--designated", type=int, default=100_000)
    parser.add_argument("--other", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    store, load_s = build_graph(args.designated, args.other, args.seed)
    print(f"graph: {len(store):,} triples ({args.designated:,} designated items, {args.other:,} other items "
          f"with coordinates); built in {time.perf_counter() - t:.1f} s (load {load_s:.1f} s)")
    queries = {
        "municipality by P429": wikidata.build_municipality_query(code="10000"),
        "area, 10 km (wikibase:around)": wikidata.build_query(lat=YAIZU[0], lon=YAIZU[1], radius_km=10),
        "area + municipality (P131*)": wikidata.build_query(lat=YAIZU[0], lon=YAIZU[1], radius_km=10,
                                                            admin_qid="Q8000000"),
        "municipality only (P131*)": wikidata.build_query(admin_qid="Q8000000"),
    }
    for label, query in queries.items():
        seconds, rows = timed(store, query, args.repeat)
        print(f"{label:32s} {seconds * 1000:8.1f} ms  {rows:5d} rows  (median of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
