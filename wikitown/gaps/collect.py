"""Finding the gaps: import and query every source, merge, geocode, check the wiki.

The command line (``sites import``, ``gaps``) and the organizer page call these
functions. One source failing never stops the others: its error is recorded in the
report (``failures``) and shown, and everything else is still done and stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wikitown.core.errors import InputError, WikitownError
from wikitown.gaps.article_status import FAILED_REQUESTS_LIMIT
from wikitown.sources.base import SiteRecord, SourceResult

# progress(step, done, total): step is a message key of the "sites" domain.
Progress = Callable[[str, int, int], None]


SOURCE_LABELS = {"wikidata": "Wikidata", "osm": "OpenStreetMap", "geocode": "Nominatim", "wiki": "Wikipedia"}


@dataclass
class Failure:
    source: str
    error: WikitownError

    @property
    def label(self) -> str:
        """How the source is named to users (a file by its name)."""
        if self.source.startswith("opendata:"):
            return self.source.split(":", 1)[1]
        return SOURCE_LABELS.get(self.source, self.source)

    def message(self, lang: str = "en") -> str:
        return self.error.message(lang)


@dataclass
class GapsReport:
    results: list[SourceResult] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    merged: dict = field(default_factory=dict)
    geocoded: int = 0
    statuses: dict = field(default_factory=dict)  # status -> count
    requests: dict = field(default_factory=dict)  # service -> HTTP requests sent
    failed_requests: int = 0  # failed sources and failed wiki requests (above three, a run is not "done")

    @property
    def ok(self) -> bool:
        return not self.failures


def _noop(step: str, done: int, total: int) -> None:
    pass


def read_files(files: list[tuple], *, area=None, progress: Progress | None = None,
               fix_dms: bool = False) -> GapsReport:
    """Read municipal files ((path, mapping) pairs); a bad file is a failure, not a stop."""
    from wikitown.sources import opendata

    progress = progress or _noop
    report = GapsReport()
    for n, (path, mapping) in enumerate(files, 1):
        path = Path(path)
        progress("sites.progress.file", n - 1, len(files))
        try:
            report.results.append(opendata.read_file(path, mapping, area=area, fix_dms=fix_dms))
        except WikitownError as exc:
            report.failures.append(Failure(f"opendata:{path.name}", exc))
        except OSError as exc:
            from wikitown.core.errors import InputError

            report.failures.append(Failure(f"opendata:{path.name}", InputError(
                f"cannot read {path.name}: {exc.strerror}", key="sites.error.unreadable", file=path.name,
                reason=exc.strerror or "")))
    progress("sites.progress.file", len(files), len(files))
    return report


def import_files(event, files: list[tuple], *, area=None, progress: Progress | None = None,
                 fix_dms: bool = False) -> GapsReport:
    """Read the files and merge them into the event's sites."""
    from wikitown.gaps.merge import merge_into_store

    area = area if area is not None else event.config.area
    report = read_files(files, area=area, progress=progress, fix_dms=fix_dms)
    records = [r for res in report.results for r in res.records]
    if report.results:
        report.merged = merge_into_store(event.store, records, replace_sources={res.source for res in report.results},
                                         municipality=event.config.area.municipality or "")
    return report


def records_to_rows(records: list[SiteRecord], municipality: str = "") -> list[dict]:
    """Merged sites as rows with the sites-CSV columns (no store: ``sites import --out``)."""
    from wikitown.gaps.merge import assign_municipalities, merge_records
    from wikitown.store.sites import site_id_for

    assign_municipalities(records, municipality)
    rows = []
    for site in merge_records(records):
        first = site.records[0]
        row = dict(site.values)
        row["id"] = site_id_for(first.source, first.source_id)
        row["sources"] = ";".join(site.sources)
        row["source_ids"] = ";".join(f"{r.source}={r.source_id}" for r in site.records)
        row["article_status"] = "unchecked"
        row["article_title"] = ""
        row["has_photo"] = True if row.get("image") else None
        rows.append(row)
    return rows


def run_gaps(event, *, progress: Progress | None = None, sources: tuple[str, ...] = ("wikidata", "osm"),
             geocode: bool = True, check_articles: bool = True, client=None,
             geocode_delay_s: float | None = None) -> GapsReport:
    """Query the services, merge them with the event's sites, geocode, then check the wiki."""
    from wikitown.gaps.article_status import apply_statuses, check_sites
    from wikitown.gaps.merge import merge_into_store
    from wikitown.net.mwapi import MediaWikiAPI
    from wikitown.store.sites import site_rows, raw_source_rows, stored_records


    progress = progress or _noop
    cfg = event.config
    area = cfg.area
    client = client or event.http_client(cached=False)
    report = GapsReport()
    # A fresh event: its [[opendata]] files first (does nothing once the event has sites).
    report.results.extend(load_configured_opendata(event))
    steps = list(sources) + (["geocode"] if geocode else []) + (["wiki"] if check_articles else [])
    total = len(steps)
    done = 0
    fetched: list[SourceResult] = []
    for name in sources:
        progress(f"sites.progress.{name}", done, total)
        try:
            if name == "wikidata":
                from wikitown.sources import wikidata

                fetched.append(wikidata.fetch(area, client=client, endpoint=event.service("wikidata_sparql"),
                                              target_lang=cfg.wiki))
            elif name == "osm":
                from wikitown.sources import overpass

                fetched.append(overpass.fetch(area, client=client, endpoint=event.service("overpass"),
                                              target_lang=cfg.wiki))
        except WikitownError as exc:
            report.failures.append(Failure(name, exc))
        done += 1
    report.results.extend(fetched)
    new_records = [r for res in fetched for r in res.records]
    with event.store.read() as conn:
        stored, _owner = stored_records(conn)
    replaced = {res.source for res in fetched}
    # Every record the event will hold: what was stored (less the sources just fetched) and the new ones.
    pool = [r for r in stored if r.source not in replaced] + new_records
    if geocode:
        progress("sites.progress.geocode", done, total)
        if any(r.coord_status == "missing" and r.address.strip() for r in pool):
            from wikitown.sources.nominatim import Geocoder, geocode_records
            from wikitown.core.paths import home_dir

            kwargs = {} if geocode_delay_s is None else {"min_delay_s": geocode_delay_s}
            geocoder = Geocoder(event.service("nominatim"), cache_path=home_dir() / "cache" / "geocode.json",
                                contact=cfg.contact, **kwargs)
            try:
                res = geocode_records(pool, geocoder, area=area, municipality=area.municipality)
                report.results.append(res)
                report.geocoded = len(res.records)
            except WikitownError as exc:
                report.failures.append(Failure("geocode", exc))
            report.requests["nominatim"] = geocoder.requests_sent
        done += 1
    report.merged = merge_into_store(event.store, pool, replace_sources={r.source for r in pool} | replaced,
                                     municipality=area.municipality or "")
    if check_articles:
        progress("sites.progress.wiki", done, total)
        sites = site_rows(event.store)  # each with "name" as published and "name_key" for matching
        owners = raw_source_rows(event.store)  # 所有者, 場所名称 ...: what a common noun belongs to
        for site in sites:
            site["source_values"] = owners.get(site["id"], [])
        api = MediaWikiAPI(event.service("wiki_api"), client, service="Wikipedia API")
        before = client.requests_sent
        wiki_failures: list = []
        wikidata_api = MediaWikiAPI(event.service("wikidata_api"), client, service="Wikidata API")
        statuses = check_sites(sites, api, lang=cfg.wiki, failures=wiki_failures, wikidata_api=wikidata_api)
        report.requests["wiki"] = client.requests_sent - before
        report.requests["wiki_failed"] = len(wiki_failures)
        apply_statuses(event.store, statuses)
        for st in statuses:
            report.statuses[st.status] = report.statuses.get(st.status, 0) + 1
        if wiki_failures:  # shown with the reason, whether all sites or some are left unchecked
            report.failures.append(Failure("wiki", wiki_failures[0]))
        done += 1
    # "Done" only when the answer can be trusted: not after more than three failed requests.
    failed = sum(1 for f in report.failures if f.source != "wiki") + report.requests.get("wiki_failed", 0)
    report.failed_requests = failed
    progress("sites.progress.done" if failed <= FAILED_REQUESTS_LIMIT else "sites.progress.incomplete", total, total)
    return report


# ---------------------------------------------------------------------------------------------
# priority

LEVEL_POINTS = {"national": 40, "prefectural": 30, "municipal": 20, "registered": 15}
ARTICLE_POINTS = {"missing": 30, "possible": 20, "ambiguous": 20, "unchecked": 15, "exists": 0}


def priority(site: dict, area=None, start: tuple[float, float] | None = None) -> float:
    """``site``: a row of ``store.sites.site_rows`` (None for unknown values, never NaN). Higher first: designated sites with neither article nor photo, near the walk's start
    (the area's centre unless ``start`` is given)."""
    score = LEVEL_POINTS.get(site.get("designation_level") or "", 0)
    if not score and site.get("designation"):
        score = 10
    score += ARTICLE_POINTS.get(site.get("article_status") or "unchecked", 15)
    photo = site.get("has_photo")
    score += 20 if photo is False else 10 if photo is None else 0
    lat, lon = site.get("lat"), site.get("lon")
    centre = start or ((area.lat, area.lon) if area is not None else None)
    if centre and lat is not None and lon is not None:
        from wikitown.core.geo import haversine_m

        radius = (area.radius_km if area is not None else 10.0) * 1000
        score += 10 * max(0.0, 1 - haversine_m(lat, lon, *centre) / radius)
    return round(score, 2)


def with_priority(frame, area=None, start=None):
    """The sites frame with a ``priority`` column, sorted by it (highest first)."""
    frame = frame.copy()
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    frame["priority"] = [priority(r, area, start) for r in records]
    return frame.sort_values(["priority", "name"], ascending=[False, True], kind="stable").reset_index(drop=True)


def load_configured_opendata(event) -> list:
    """Import the files named under ``[[opendata]]`` when the event has no sites yet,
    merged into one list of sites (a site in two files is one site with two sources).

    This is how the bundled demo event gets its sites with no network.
    Returns the per-file results (with their row issues). A file that cannot be read is
    logged and skipped: the event still opens with the others."""
    import logging

    from wikitown.store.sites import count_sites

    if count_sites(event.store) or not event.config.opendata:
        return []
    files = []
    for src in event.config.opendata:
        try:
            files.append((event.path(src.file), src.map))
        except InputError as exc:
            logging.getLogger(__name__).warning("opendata file skipped: %s", exc)
    report = import_files(event, files)
    for failure in report.failures:
        logging.getLogger(__name__).warning("opendata file %s skipped: %s", failure.label, failure.error)
    return report.results
