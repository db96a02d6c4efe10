"""Server time per organizer action, at the demo's size and at a prefecture's.

    python3 bench/bench_organizer_app.py [--sizes 158,2000,20000] [--repeat 3]

For each size, a fresh copy of the demo event (its 158 open-data sites) is grown to that many
sites with synthetic ones in the real schema (names, designations, municipalities, article
statuses and sources like the demo's, spread over a prefecture-sized area), written through
``wikitown.store.sites.upsert_sites``. Then streamlit's AppTest (no browser: server time only)
drives the organizer page in Japanese, as a signed-in organizer would:

- sign-in: the passphrase form's submit until the first view is drawn (the first visitor after
  the server started, so its cached reads are built here; then a second organizer, warm);
- each view opened from the tab bar (sites, plan, finds, checklists, report, publish, event);
- on the sites view: a filter ticked, the table's next page, a plain rerun (any widget's click), and
  "make every shown site a walk target" with no filter (a write of every site);
- on the plan view: a rerun; on the checklists view: a tick saved.

Prints the median of ``--repeat`` runs per action (seconds) and the targets (any action under
0.5 s at 2,000 sites and under 1 s at 20,000; sign-in to a usable page under 2 s).
Exit status 1 when a run raised an exception in the app.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VIEWS = ("sites", "plan", "finds", "checklists", "report", "publish", "event")
LEVELS = [("国指定重要文化財", "national"), ("県指定有形文化財", "prefectural"), ("市指定史跡", "municipal"),
          ("登録有形文化財", "registered"), ("", "")]
STATUSES = ["missing", "missing", "exists", "possible", "unchecked"]
TOWNS = ["焼津市", "静岡市葵区", "静岡市駿河区", "藤枝市", "島田市", "牧之原市", "吉田町", "浜松市中央区", "富士市",
         "沼津市"]


def grow(event_dir: Path, total: int, seed: int = 7) -> int:
    """Add synthetic sites to the event until it holds ``total``; returns the count."""
    from wikitown.store.events import open_event
    from wikitown.store.sites import count_sites, sites_frame, upsert_sites

    event = open_event(event_dir)
    try:
        have = count_sites(event.store)
        if total <= have:
            return have
        rng = random.Random(seed)
        demo = sites_frame(event.store).to_dict("records")
        records = []
        for i in range(total - have):
            like = demo[i % len(demo)]
            designation, level = LEVELS[i % len(LEVELS)]
            town = TOWNS[i % len(TOWNS)]
            records.append({
                "id": f"syn{i:06d}", "name": f"{like['name']} {i}", "name_kana": "", "designation": designation,
                "designation_level": level, "category": like["category"] or "建造物", "kind": like["kind"] or "other",
                "municipality": town, "address": f"{town}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}",
                "description": like["description"] or "", "lat": 34.6 + rng.random() * 0.6,
                "lon": 137.6 + rng.random() * 1.2, "coord_status": "ok", "article_status": STATUSES[i % 5],
                "article_title": "", "has_photo": (None, True, False)[i % 3], "selected": False,
                "provenance": [{"source": f"opendata:synthetic-{i % 3}.csv", "source_id": f"line{i + 2}",
                                "data": {"row": i}}]})
        for start in range(0, len(records), 2000):
            upsert_sites(event.store, records[start:start + 2000])
        return count_sites(event.store)
    finally:
        event.close()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(size: int, repeat: int) -> dict[str, float]:
    from tests.harness.apptest import open_view, sign_in_form
    from wikitown.finds.access import DEMO_PASSPHRASES
    from wikitown.store.events import copy_event
    from wikitown.core.paths import PROJECT_ROOT

    import streamlit as st

    with tempfile.TemporaryDirectory(prefix="bench-organizer-") as tmp:
        tmp = Path(tmp)
        os.environ["WIKITOWN_EVENTS_DIR"] = str(tmp / "events")
        os.environ["WIKITOWN_HOME"] = str(tmp / "home")
        copy_event(PROJECT_ROOT / "events" / "demo-yaizu", tmp / "events" / "demo-yaizu")
        # The demo's open data is imported on first open (as the app does), then grown.
        from wikitown.gaps.collect import load_configured_opendata
        from wikitown.store.events import open_event
        ev = open_event(tmp / "events" / "demo-yaizu")
        load_configured_opendata(ev)
        ev.close()
        count = grow(tmp / "events" / "demo-yaizu", size)
        st.cache_data.clear()
        st.cache_resource.clear()
        figures: dict[str, list[float]] = {}

        def add(name, seconds):
            figures.setdefault(name, []).append(seconds)

        errors = []
        for run in range(repeat):
            at = sign_in_form("organizer", "ja")
            at.text_input[0].input(DEMO_PASSPHRASES["organizer"])
            at.button[0].click()
            add("sign-in (first visitor)" if run == 0 else "sign-in (warm)", timed(at.run))
            errors += [str(e.value) for e in at.exception]
            for view in VIEWS[1:] + ("sites",):
                add(f"open view: {view}", timed(lambda: open_view(at, view)))
                errors += [str(e.value) for e in at.exception]
            add("sites: rerun", timed(at.run))
            at.checkbox(key="sites_f_article").check()
            add("sites: filter 'no article'", timed(at.run))
            at.checkbox(key="sites_f_article").uncheck()
            at.run()
            pages = [n for n in at.number_input if n.key == "sites_page"]
            if pages and pages[0].value < pages[0].proto.max:
                pages = pages[0]
                pages.set_value(pages.value + 1)
                add("sites: next page of the table", timed(at.run))
            # no filter: every site of the event becomes a walk target (the largest write of the page)
            add("sites: make every shown site a walk target",
                timed(lambda: at.button(key="sites_select_shown").click().run()))
            errors += [str(e.value) for e in at.exception]
            open_view(at, "plan")
            add("plan: rerun", timed(at.run))
            open_view(at, "checklists")
            box = next(c for c in at.checkbox if c.key and c.key.startswith("cl_"))
            box.check() if not box.value else box.uncheck()
            add("checklists: tick", timed(at.run))
            errors += [str(e.value) for e in at.exception]
        return {"sites": count, "errors": errors, **{k: statistics.median(v) for k, v in figures.items()}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="158,2000,20000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    load_before = os.getloadavg()
    results = [measure(n, args.repeat) for n in sizes]
    load_after = os.getloadavg()
    names = list(dict.fromkeys(k for r in results for k in r if k not in ("sites", "errors")))
    print(f"organizer page, server time per action (AppTest, median of {args.repeat}; seconds), "
          f"{os.cpu_count()} cores")
    print(f"{'action':44}" + "".join(f"{r['sites']:>10,} sites" for r in results))
    for name in names:
        print(f"{name:44}" + "".join(f"{r[name]:16.3f}" if name in r else f"{'-':>16}" for r in results))
    for r in results:
        actions = [v for k, v in r.items() if k not in ("sites", "errors") and not k.startswith("sign-in")]
        target = 0.5 if r["sites"] <= 2000 else 1.0
        print(f"{r['sites']:,} sites: slowest action {max(actions):.3f} s (target < {target} s); "
              f"sign-in {r['sign-in (first visitor)']:.3f} s first, "
              f"{r.get('sign-in (warm)', float('nan')):.3f} s warm (target < 2 s)")
        for e in r["errors"][:3]:
            print("  app exception:", e[:300])
    print("load average (1/5/15 min) before " + "/".join(f"{v:.1f}" for v in load_before) + ", after "
          + "/".join(f"{v:.1f}" for v in load_after) + f" on {os.cpu_count()} cores (other work on the machine "
          "slows every figure)")
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
