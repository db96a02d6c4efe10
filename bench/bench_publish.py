"""wikitown's own time per uploaded photo, beyond the wiki's, on the loopback MediaWiki.

    python3 bench/bench_publish.py [--photos 30] [--size 1200x900]

Builds a throwaway MediaWiki (tests/harness, Debian's mediawiki + php), an event with N
photos (random-pixel JPEGs with EXIF, so each is unique and about 1 MB), then times:
  plan   - building the plan (publish JPEGs made for photos stored without one, name and SHA-1 checks)
  apply  - the whole apply; "wiki" is the time inside pywikibot's upload calls, the
           rest (journal writes, checks, bookkeeping) is wikitown's own.
Target: wikitown's own share of apply under 10% of the total.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=30)
    ap.add_argument("--size", default="1200x900")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    from tests.harness import mediawiki as mw

    if not mw.MW_ROOT.joinpath("maintenance/install.php").is_file() or not shutil.which("php"):
        print("bench_publish: needs Debian's mediawiki package and php (scripts/install-test-deps.sh installs them)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="wikitown-bench-publish-"))
    secrets = mw.WikiSecrets()
    port, reservation = mw.reserve_port()
    pwb_dir = work / "pywikibot"
    mw.write_pywikibot_config(pwb_dir, f"http://127.0.0.1:{port}/api.php", mw.BOT_USER, mw.BOT_APP,
                              secrets.bot_secret)
    os.environ["PYWIKIBOT_DIR"] = str(pwb_dir)
    os.environ["WIKITOWN_HOME"] = str(work / "home")
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    t0 = time.perf_counter()
    mw.build_template(work / "wiki", secrets)
    wiki = mw.TestWiki(dir=work / "wiki", port=port, bot_secret=secrets.bot_secret,
                       admin_password=secrets.admin_password, other_password=secrets.other_password,
                       bot_password=secrets.bot_password)
    wiki.start()
    try:
        mw.seed_templates(wiki)
        print(f"wiki ready in {time.perf_counter() - t0:.1f} s (MediaWiki on 127.0.0.1:{port})")
        from tests.publish_data import EventBuilder, jpeg
        from wikitown.publish import make_plan, run_apply, wiki_specs

        b = EventBuilder(work / "events")
        person = b.participant("Bench", wiki_user="Bench")
        sites = [b.site(f"寺 {i:02d}", commons_category=f"Bench temple {i}") for i in range(max(1, args.photos // 5))]
        t0 = time.perf_counter()
        total_bytes = 0
        for i in range(args.photos):
            data = jpeg(width, height)
            total_bytes += len(data)
            b.photo(sites[i % len(sites)], person, data, taken=f"2026-11-28T10:{i % 60:02d}:00")
        print(f"{args.photos} photos made ({total_bytes / args.photos / 1e6:.2f} MB each) in "
              f"{time.perf_counter() - t0:.1f} s")
        files, pages = wiki_specs(b.event, api_url=wiki.api_url, user=mw.BOT_USER)
        t0 = time.perf_counter()
        plan = make_plan(b.event, files, pages)
        plan_s = time.perf_counter() - t0
        # Log in first, so the login is not counted as wikitown's time.
        from wikitown.net.wiki import connect

        connect(files)
        result = run_apply(b.event, plan, files, pages)
        uploaded = sum(1 for i in result.items if i.status == "done")
        if result.failed or uploaded != args.photos:
            print(f"FAILED items: {[(i.target, i.reason, i.detail) for i in result.failed]}")
            return 1
        own = result.total_seconds - result.wiki_seconds
        share = 100 * own / result.total_seconds
        print(f"plan:  {plan_s:.2f} s for {args.photos} photos ({1000 * plan_s / args.photos:.1f} ms/photo, "
              f"includes making the publish JPEGs (none were stored) and the wiki look-ups)")
        print(f"apply: {result.total_seconds:.2f} s total, {result.wiki_seconds:.2f} s inside pywikibot's "
              f"upload calls")
        print(f"wikitown's own time per uploaded photo: {1000 * own / uploaded:.1f} ms "
              f"of {1000 * result.total_seconds / uploaded:.1f} ms = {share:.1f}% of the total "
              f"(target < 10%): {'OK' if share < 10 else 'OVER TARGET'}")
        t0 = time.perf_counter()
        plan2 = make_plan(b.event, files, pages)
        again = run_apply(b.event, plan2, files, pages)
        print(f"re-run (all done): plan + apply {time.perf_counter() - t0:.2f} s, "
              f"{again.counts()['skipped']} skipped, {again.counts()['done']} done")
        return 0
    finally:
        wiki.stop()
        reservation.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
