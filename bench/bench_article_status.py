"""HTTP requests and wall time to check the article status of N sites against a real MediaWiki,
next to the naive way (one request per site).

    python bench/bench_article_status.py [--n 1000] [--api URL]

Without --api it builds and starts its own loopback wiki with the test harness
(tests/harness/mediawiki.py; needs Debian's mediawiki and php), creates some articles, redirects
and disambiguation pages, articles under other titles (name (municipality), the owner's hall, the
parent's article, full-width brackets) and a common noun (本堂), then checks N sites with every
lookup (existence screen, page details, the other titles, geosearch, prefix search within the
budget). Target (issues #3, #15): at most ceil(N/50)+5 requests.
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wikitown.gaps.article_status import check_sites  # noqa: E402
from wikitown.net.http import HttpClient  # noqa: E402
from wikitown.net.mwapi import MediaWikiAPI  # noqa: E402


NAMES = "甲乙丙丁戊己庚辛壬癸"  # tell the ten pages of each kind apart without digits


def start_wiki(tmp: Path):
    from tests.harness import mediawiki as mw

    secrets = mw.WikiSecrets()
    template = mw.build_template(tmp / "wiki", secrets)
    port, reservation = mw.reserve_port()
    reservation.close()
    wiki = mw.TestWiki(dir=template, port=port, bot_secret=secrets.bot_secret,
                       admin_password=secrets.admin_password, other_password=secrets.other_password,
                       bot_password=secrets.bot_password)
    wiki.start()
    mw.seed_templates(wiki, {"Template:Aimai": "曖昧さ回避__DISAMBIG__[[Category:曖昧さ回避]]"})
    return wiki


def naive(sites, api_url: str) -> tuple[int, dict]:
    """One request per site, as a simple script would do it."""
    client = HttpClient(retries=0)
    out = {}
    for s in sites:
        data = client.get_json(api_url, {"action": "query", "titles": s["name"], "redirects": 1,
                                         "prop": "info|pageprops", "format": "json", "formatversion": 2})
        page = data["query"]["pages"][0]
        out[s["id"]] = "missing" if page.get("missing") or page.get("invalid") else (
            "ambiguous" if "disambiguation" in page.get("pageprops", {}) else "exists")
    return client.requests_sent, out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--api", help="an existing wiki's api.php (the pages must be there already)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-article-"))
    wiki = None
    n_pages = min(100, args.n // 5)
    if args.api:
        api_url = args.api
    else:
        t = time.perf_counter()
        wiki = start_wiki(tmp)
        api_url = wiki.api_url
        for i in range(n_pages):
            wiki.create_page(f"史跡{i}", f"史跡{i}の記事。", user="admin")
        for i in range(10):
            wiki.create_page(f"旧史跡{i}", f"#REDIRECT [[史跡{i}]]", user="admin")
            wiki.create_page(f"八幡神社{i}", "{{Aimai}}", user="admin")
            wiki.create_page(f"八幡神社{i} (焼津市)", "焼津市の八幡神社。", user="admin")
            wiki.create_page(f"海蔵寺{NAMES[i]}本堂", "寺の本堂。", user="admin")
            wiki.create_page(f"旧安田邸{NAMES[i]}", "邸宅と庭園。", user="admin")
            wiki.create_page(f"田中家住宅{NAMES[i]}（主屋）", "全角括弧の題名。", user="admin")
        wiki.create_page("本堂", "寺院の建物。[[Category:仏教建築]]", user="admin")
        print(f"wiki ready with {n_pages + 61} pages in {time.perf_counter() - t:.1f} s")
    try:
        sites = []
        for i in range(args.n):
            extra = {}
            j = i - n_pages
            if i < n_pages:
                name = f"史跡{i}"
            elif j < 10:
                name = f"旧史跡{j}"  # a redirect
            elif j < 20:
                name = f"八幡神社{j - 10}"  # a disambiguation page; "八幡神社N (焼津市)" exists
            elif j < 30:
                name, extra = "本堂", {"owner": f"海蔵寺{NAMES[j - 20]}"}  # a common noun and its owner
            elif j < 40:
                name = f"旧安田邸{NAMES[j - 30]}庭園"  # under its parent's article
            elif j < 50:
                name = f"田中家住宅{NAMES[j - 40]}（主屋）"  # the source's exact title
            else:
                name = f"記事のない史跡{i}"
            sites.append({"id": f"s{i}", "name": name, "municipality": "焼津市", "other_articles": {}, "image": "",
                          "lat": 34.80 + (i % 40) * 0.003, "lon": 138.25 + (i // 40) * 0.004, "coord_status": "ok",
                          **extra})
        client = HttpClient(retries=0)
        t = time.perf_counter()
        statuses = check_sites(sites, MediaWikiAPI(api_url, client))
        batched_s = time.perf_counter() - t
        batched_n = client.requests_sent
        t = time.perf_counter()
        naive_n, naive_out = naive(sites, api_url)
        naive_s = time.perf_counter() - t
        target = math.ceil(args.n / 50) + 5
        counts = {}
        for st in statuses:
            counts[st.status] = counts.get(st.status, 0) + 1
        agree = sum(1 for st in statuses if naive_out[st.site_id] == st.status)
        by = {}
        for st in statuses:
            key = f"{st.status}:{st.evidence.get('by', '')}"
            by[key] = by.get(key, 0) + 1
        prefix = sum(1 for st in statuses if st.evidence.get("prefixsearch") == "checked")
        print(f"sites: {args.n}; statuses: {counts}")
        print(f"by: {dict(sorted(by.items()))}")
        print(f"batched: {batched_n} HTTP requests in {batched_s:.2f} s  (target <= ceil(N/50)+5 = {target}); "
              f"{prefix} prefix searches within it")
        print(f"naive:   {naive_n} HTTP requests in {naive_s:.2f} s  (one title per site)")
        print(f"the two agree on {agree} of {args.n} sites (the naive way takes 本堂 for the hall's article, "
              f"misses the other titles)")
        return 0 if batched_n <= target else 1
    finally:
        if wiki is not None:
            wiki.stop()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
