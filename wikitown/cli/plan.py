"""``plan``: split sites into teams, order the walks, write plan.csv, GPX and printable sheets.

    python -m wikitown plan SITES.csv --teams 4 --start 34.8669,138.3236 --minutes 180 --out DIR
    python -m wikitown plan --event events/demo-yaizu --teams 4 --start 34.8669,138.3236 --out DIR
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from wikitown.core.errors import InputError
from wikitown.core.i18n import t
from wikitown.walk.planner import PlanSettings, make_plan, plan_event, read_sites_csv, save_plan
from wikitown.walk.start import Start, resolve_start
from wikitown.walk.sheets import (DEFAULT_BASE_URL, is_local_url, join_url, plan_bundle, public_base_url,
                                  write_bundle)

ORDER = 40
# Candidates the planner did not take are many (a town's whole list): counted, not listed one by
# one (left_out.csv has each of them).
QUIET_REASONS = ("over_budget", "not_outdoors", "intangible")


def _resolve(text: str, sites, event) -> Start:
    """The start from a site of the CSV or the event, or a place looked up online."""
    geocoder, near = None, ""
    if sites is None and event is not None:
        from wikitown.store.sites import load_sites

        sites = load_sites(event.store, order_by="id")
    if event is not None:
        from wikitown.core.paths import home_dir
        from wikitown.sources.nominatim import Geocoder

        geocoder = Geocoder(event.service("nominatim"), cache_path=home_dir() / "cache" / "geocode.json",
                            contact=event.config.contact, timeout=5)
        near = event.config.area.municipality
    return resolve_start(text, sites or [], geocoder, near=near)


def register(sub) -> None:
    p = sub.add_parser("plan", help="split sites into teams and plan each team's walk (plan.csv, GPX, PDF)")
    p.add_argument("sites_csv", nargs="?", metavar="SITES.csv",
                   help="sites CSV (columns of wikitown.store.sites.CSV_COLUMNS; at least site_id, name, lat, lon)")
    p.add_argument("--event", metavar="DIR", help="an event: plans its selected sites (all sites with "
                                                  "coordinates when none is selected) and saves the plan in it; "
                                                  "with SITES.csv, only its name and join code are used")
    p.add_argument("--teams", "-k", type=int, required=True, help="number of teams")
    p.add_argument("--start", metavar="PLACE",
                   help="where every team starts: a site's name or id, a place such as a station (looked up "
                        "online with --event), or LAT,LON (default: the event's area centre)")
    p.add_argument("--minutes", type=float, default=None,
                   help="time budget per team: with no site selected, the planner picks the sites that fit, "
                        "highest priority first, and lists the rest in left_out.csv; selected sites are all "
                        "planned (it warns when a route is over)")
    p.add_argument("--return", dest="return_to_start", action="store_true", help="teams walk back to the start")
    p.add_argument("--detour", type=float, default=1.3, help="walking distance / straight line (default 1.3)")
    p.add_argument("--speed", type=float, default=4.0, help="walking speed in km/h (default 4)")
    p.add_argument("--minutes-per-site", type=float, default=10.0, help="time spent at each site (default 10)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for plan.csv, team-N.gpx, team-N.pdf")
    p.add_argument("--base-url", default=None,
                   help="the app's address for the QR join link (default: the event's public_url, else the "
                        f"address serve printed, else {DEFAULT_BASE_URL})")
    p.add_argument("--name", default="", help="event name printed on the sheets (without --event)")
    p.add_argument("--slug", default="", help="event folder name for the join link (without --event)")
    p.add_argument("--code", default="", help="event join code for the QR code (without --event)")
    p.add_argument("--lang", dest="sheet_lang", choices=["ja", "en"], default=None,
                   help="language of sheets and GPX (default: Japanese)")
    p.set_defaults(func=_plan)


def _plan(args) -> int:
    lang = args.lang
    if not args.sites_csv and not args.event:
        raise InputError("give SITES.csv or --event DIR", key="plan.error.csv_or_event")
    event = None
    if args.event:
        from wikitown.gaps.collect import load_configured_opendata
        from wikitown.store.events import open_event

        event = open_event(args.event)
        load_configured_opendata(event)  # a fresh copy of an event with bundled data gets its sites
    sites = left = None
    if args.sites_csv:
        sites, left = read_sites_csv(args.sites_csv)
    if args.start is None:
        if event is None:
            raise InputError("--start is needed without --event", key="plan.error.start", value="")
        start = Start(event.config.area.lat, event.config.area.lon, "")
    else:
        start = _resolve(args.start, sites, event)
    settings = PlanSettings(start.lat, start.lon, teams=args.teams, minutes=args.minutes,
                            return_to_start=args.return_to_start, detour=args.detour, speed_kmh=args.speed,
                            minutes_per_site=args.minutes_per_site, start_label=start.label).validate()
    if args.sites_csv:
        plan = make_plan(sites, settings, left)
    else:
        plan, scope = plan_event(event, settings, save=False)
        count = sum(len(r.stops) for r in plan.routes)
        print(t(f"plan.cli.scope.{scope}", lang, count=count))
    if not any(r.stops for r in plan.routes):
        raise InputError("no sites to plan", key="plan.error.no_sites")
    if event is not None and not args.sites_csv:
        save_plan(event.store, plan)

    chosen_out = [x for x in plan.left_out if x.reason not in QUIET_REASONS]
    for item in chosen_out:
        where = t("plan.cli.line", lang, line=item.line) if item.line else ""
        print(t("plan.cli.left_out", lang, where=where, name=item.name, site=item.site_id,
                reason=t(f"plan.left_out.{item.reason}", lang)), file=sys.stderr)
    quiet = Counter(x.reason for x in plan.left_out if x.reason in QUIET_REASONS)
    for reason, count in sorted(quiet.items()):
        print(t("plan.cli.left_out_count", lang, count=count, reason=t(f"plan.left_out.{reason}", lang)),
              file=sys.stderr)
    for key, params in plan.notes:
        print(t(key, lang, **params), file=sys.stderr)
    for route in plan.routes:
        print(t("plan.cli.team", lang, team=route.team, sites=len(route.stops), km=f"{route.walk_m / 1000:.1f}",
                minutes=round(route.total_min)))
    for team, over in plan.warnings:
        print(t("plan.warning.over", lang, team=team, minutes=round(over)), file=sys.stderr)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = event.config.name if event else args.name
    code = event.config.code if event else args.code
    slug = event.slug if event else args.slug
    base_url = args.base_url or (public_base_url(event) if event else DEFAULT_BASE_URL)
    link = join_url(base_url, slug, code) if code else ""
    if not link:
        print(t("plan.cli.no_qr", lang), file=sys.stderr)
    elif is_local_url(base_url):
        print(t("phone.sheets.local_url", lang, url=base_url), file=sys.stderr)
    files = plan_bundle(plan, event_name=name, join_link=link, code=code, lang=args.sheet_lang or "ja")
    write_bundle(files, out)
    print(t("plan.cli.wrote", lang, count=len(files), path=out))
    return 0
