"""``sites`` and ``gaps``: import municipal lists, query the sources, find the sites with no article.

    python -m wikitown sites import FILE... (--event DIR | --out SITES.csv) [--area LAT,LON,RADIUS_KM]
                                            [--map FIELD=COLUMN ...]
    python -m wikitown sites export DIR --format csv|geojson|gpx|kml|wikitext [--out FILE]
    python -m wikitown gaps DIR [--no-wikidata] [--no-osm] [--no-geocode] [--no-wiki]

Progress and per-row reports go to standard error; a file or service that fails is named
with the reason, and everything else is still done.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wikitown.core.i18n import t

ORDER = 20


def register(sub) -> None:
    p = sub.add_parser("sites", help="import heritage lists and export the event's sites")
    sp = p.add_subparsers(dest="sites_command", metavar="ACTION", required=True)

    imp = sp.add_parser("import", help="read municipal files (CSV, xlsx, GeoJSON) and merge their sites")
    imp.add_argument("files", nargs="+", metavar="FILE")
    where = imp.add_mutually_exclusive_group(required=True)
    where.add_argument("--event", metavar="DIR", help="merge into this event's sites")
    where.add_argument("--out", metavar="SITES.csv", help="write the merged sites to a CSV file (no event)")
    imp.add_argument("--area", metavar="LAT,LON,RADIUS_KM", type=_area,
                     help="flag coordinates outside this circle (default: the event's area)")
    imp.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                     help="which column holds a field, e.g. --map name=item4 (repeatable)")
    imp.add_argument("--fix-dms", action="store_true",
                     help="convert coordinates packed as degrees-minutes-seconds (35.0123 = 35°01'23\") on every "
                          "row (by default only where the converted point lies in the event's area and the raw "
                          "one does not)")
    imp.set_defaults(func=_import)

    exp = sp.add_parser("export", help="write the event's sites as CSV, GeoJSON, GPX, KML or a wikitext list")
    exp.add_argument("dir")
    exp.add_argument("--format", choices=["csv", "geojson", "gpx", "kml", "wikitext"], default="csv")
    exp.add_argument("--out", metavar="FILE", help="default: standard output")
    exp.set_defaults(func=_export)

    gaps = sub.add_parser("gaps", help="query Wikidata, OpenStreetMap, geocoding and the wiki: which sites "
                                       "have no article or photo")
    gaps.add_argument("dir")
    gaps.add_argument("--no-wikidata", action="store_true")
    gaps.add_argument("--no-osm", action="store_true")
    gaps.add_argument("--no-geocode", action="store_true")
    gaps.add_argument("--no-wiki", action="store_true", help="do not check articles on the wiki")
    gaps.set_defaults(func=_gaps)


class _Area:
    def __init__(self, lat: float, lon: float, radius_km: float):
        self.lat, self.lon, self.radius_km = lat, lon, radius_km


def _area(text: str) -> _Area:
    from wikitown.core.geo import valid_coord

    parts = [p.strip() for p in text.replace("，", ",").split(",")]
    try:
        lat, lon, radius = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LAT,LON,RADIUS_KM, got {text!r}") from None
    if not valid_coord(lat, lon) or radius <= 0:
        raise argparse.ArgumentTypeError(f"not a valid area: {text!r}")
    return _Area(lat, lon, radius)


def _stderr_progress(lang: str):
    def progress(step: str, done: int, total: int) -> None:
        print(f"[{done}/{total}] {t(step, lang)}", file=sys.stderr, flush=True)

    return progress


def _report(report, lang: str) -> None:
    for res in report.results:
        for issue in res.issues:
            print(t("sites.cli.issue", lang, source=res.source, line=issue.line, reason=issue.message(lang),
                    action=t(f"sites.issue.{issue.action}", lang)), file=sys.stderr)
        if res.source.startswith("opendata:") or res.records:
            print(t("sites.cli.source_done" if res.encoding else "sites.cli.service_done", lang,
                    source=res.source, count=len(res.records), issues=len(res.issues), encoding=res.encoding))
        if "municipality_item" in res.notes:  # how Wikidata's query found the town (or why it could not)
            item = res.notes["municipality_item"]
            print(t("gaps.cli.municipality_item" if item else "gaps.cli.no_municipality_item", lang,
                    item=item, how=res.notes.get("municipality_how", "")), file=sys.stderr)
    for failure in report.failures:
        print(t("sites.cli.failed", lang, source=failure.label, error=failure.message(lang)), file=sys.stderr)


def _import(args) -> int:
    from wikitown.sources.opendata import parse_map

    mapping = parse_map(args.map)
    files = [(Path(f), mapping) for f in args.files]
    progress = _stderr_progress(args.lang)
    if args.event:
        from wikitown.store.events import open_event
        from wikitown.gaps.collect import import_files

        event = open_event(args.event)
        report = import_files(event, files, area=args.area, progress=progress, fix_dms=args.fix_dms)
        _report(report, args.lang)
        print(t("sites.cli.merged", args.lang, sites=report.merged.get("sites", 0),
                records=report.merged.get("records", 0)))
    else:
        from wikitown.gaps.exports import to_csv
        from wikitown.core.fsutil import atomic_write_bytes
        from wikitown.gaps.collect import read_files, records_to_rows

        report = read_files(files, area=args.area, progress=progress, fix_dms=args.fix_dms)
        _report(report, args.lang)
        rows = records_to_rows([r for res in report.results for r in res.records])
        atomic_write_bytes(Path(args.out), to_csv(rows))
        print(t("sites.cli.written", args.lang, count=len(rows), path=args.out))
    return 1 if report.failures else 0


def _export(args) -> int:
    from wikitown.store.events import open_event
    from wikitown.gaps.exports import export
    from wikitown.gaps.collect import with_priority
    from wikitown.store.sites import sites_frame

    event = open_event(args.dir)
    frame = with_priority(sites_frame(event.store), event.config.area)
    data = export(frame, args.format, lang=args.lang, name=event.name)
    if args.out:
        from wikitown.core.fsutil import atomic_write_bytes

        atomic_write_bytes(Path(args.out), data)
        print(t("sites.cli.written", args.lang, count=len(frame), path=args.out))
    else:
        sys.stdout.buffer.write(data)
    return 0


def _gaps(args) -> int:
    from wikitown.store.events import open_event
    from wikitown.gaps.collect import run_gaps

    event = open_event(args.dir)
    sources = tuple(s for s, off in (("wikidata", args.no_wikidata), ("osm", args.no_osm)) if not off)
    report = run_gaps(event, progress=_stderr_progress(args.lang), sources=sources,
                      geocode=not args.no_geocode, check_articles=not args.no_wiki)
    _report(report, args.lang)
    print(t("sites.cli.merged", args.lang, sites=report.merged.get("sites", 0),
            records=report.merged.get("records", 0)))
    if report.geocoded:
        print(t("sites.cli.geocoded", args.lang, count=report.geocoded))
    if report.statuses:
        print(t("sites.cli.statuses", args.lang, summary=", ".join(
            f"{t(f'status.article.{k}', args.lang)} {v}" for k, v in sorted(report.statuses.items()))))
    return 1 if report.failures else 0
