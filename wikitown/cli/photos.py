"""``photo-info``, ``photos import`` and ``finds export``.

``photo-info`` is run by scripts over thousands of files, so this module imports
nothing heavy at the top (the store and SQLAlchemy load only for import/export)
and the command line loads only this module for it (``FAST_COMMANDS``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from wikitown.core.i18n import t
from wikitown.core.licences import LICENCES

ORDER = 40
PARALLEL_FROM = 400  # files; below this a second process costs more than it saves


def register(sub) -> None:
    info = sub.add_parser("photo-info", help="type, GPS, time taken and orientation of photos (never fails on a "
                                             "bad file: its error is reported)")
    info.add_argument("files", nargs="+", metavar="FILE")
    info.add_argument("--json", action="store_true", help="a JSON array: file, format, lat, lon, taken, "
                                                          "taken_at_source, orientation, authors, error")
    info.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores for many files)")
    info.set_defaults(func=_photo_info)

    photos = sub.add_parser("photos", help="import photos into an event after the walk")
    ph = photos.add_subparsers(dest="photos_command", metavar="ACTION", required=True)
    imp = ph.add_parser("import", help="import files, folders or ZIP archives; each photo becomes a find "
                                       "matched by its EXIF GPS")
    imp.add_argument("dir", help="the event folder")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--credit", required=True, help="the name the photographer is credited by")
    imp.add_argument("--wiki-user", default="", help="the photographer's Wikimedia user name, if any")
    imp.add_argument("--licence", choices=LICENCES,
                     help="the licence the photographer agreed to (default: the event's)")
    imp.add_argument("--quiet", action="store_true", help="only the summary")
    imp.set_defaults(func=_import)

    finds = sub.add_parser("finds", help="participants' finds: export as open data, show the queue")
    fs = finds.add_subparsers(dest="finds_command", metavar="ACTION", required=True)
    exp = fs.add_parser("export", help="finds.csv + finds.geojson (+ images/) in the shape of a municipal "
                                       "walking-event dataset, with licence and credit columns")
    exp.add_argument("dir", help="the event folder")
    exp.add_argument("--out", required=True, help="output folder")
    exp.add_argument("--include-queue", action="store_true", help="also finds no site was found for")
    exp.add_argument("--image-base-url", default="", help="where images/ will be published (the 画像 column)")
    exp.add_argument("--no-images", action="store_true", help="do not copy the publishable JPEGs")
    exp.set_defaults(func=_export)
    q = fs.add_parser("queue", help="list the finds waiting for a site")
    q.add_argument("dir")
    q.set_defaults(func=_queue)
    assign = fs.add_parser("assign", help="put a find at a site (from the queue, or a photo held because it "
                                          "was taken far from the site it was matched to)")
    assign.add_argument("dir")
    assign.add_argument("find_id")
    assign.add_argument("site_id")
    assign.set_defaults(func=_assign)


def _info_one(path: str) -> dict:
    from wikitown.finds.photos import read_photo

    try:
        info = read_photo(path, name=path)
    except Exception as exc:  # noqa: BLE001 - photo-info never crashes on a file
        return {"file": path, "format": None, "lat": None, "lon": None, "taken": None, "taken_at_source": None,
                "orientation": None, "authors": {}, "error": f"unexpected error: {exc!r}"}
    data = info.as_json()
    if info.error_key:
        data["error"] = t(info.error_key, _LANG, name=os.path.basename(path), **info.error_params)
    return data


_LANG = "en"


def _photo_info(args) -> int:
    global _LANG
    _LANG = args.lang
    files = args.files
    jobs = args.jobs or (os.cpu_count() or 1)
    if jobs > 1 and len(files) >= PARALLEL_FROM:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(jobs) as pool:
            results = pool.map(_info_one, files, chunksize=max(16, len(files) // (jobs * 8)))
    else:
        results = [_info_one(f) for f in files]
    out = sys.stdout
    if args.json:
        json.dump(results, out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        for r in results:
            where = f"{r['lat']:.6f},{r['lon']:.6f}" if r["lat"] is not None else "-"
            out.write("\t".join([r["file"], r["format"] or "-", where, r["taken"] or "-",
                                 str(r["orientation"] or "-"), r["error"] or ""]).rstrip("\t") + "\n")
    return 0


def _import(args) -> int:
    from wikitown.store.events import open_event
    from wikitown.finds.importer import import_photos

    event = open_event(args.dir)

    def progress(summary):
        if not args.quiet:
            r = summary.files[-1]
            print(f"{r.status}\t{r.name}\t{r.message(args.lang)}", flush=True)

    summary = import_photos(event, args.paths, credit=args.credit, licence=args.licence, wiki_user=args.wiki_user,
                            progress=progress)
    print(t("finds.cli.import_summary", args.lang, accepted=summary.statuses["accepted"],
            duplicate=summary.statuses["duplicate"], rejected=summary.statuses["rejected"],
            matched=summary.matches["matched"] + summary.matches["assigned"], queue=summary.matches["queue"]))
    return 0


def _export(args) -> int:
    from wikitown.store.events import open_event
    from wikitown.finds.export import export_finds

    event = open_event(args.dir)
    result = export_finds(event, Path(args.out), include_queue=args.include_queue,
                          image_base_url=args.image_base_url, copy_images=not args.no_images, lang=args.lang)
    print(t("finds.cli.exported", args.lang, rows=result.rows, images=result.images, csv=result.csv_path,
            geojson=result.geojson_path))
    return 0


def _queue(args) -> int:
    from wikitown.store.events import open_event
    from wikitown.finds.capture import queue

    event = open_event(args.dir)
    for f in queue(event):
        where = f"{f['lat']:.6f},{f['lon']:.6f}" if f["lat"] is not None else "-"
        print("\t".join([f["id"], f["created_at"] or "", where, f["credit"] or "", str(len(f["media"])),
                         (f["note"] or "").replace("\n", " ")[:60]]))
    return 0


def _assign(args) -> int:
    from wikitown.finds.capture import assign_find
    from wikitown.store.events import open_event

    find = assign_find(open_event(args.dir), args.find_id, args.site_id)
    print(t("finds.cli.assigned", args.lang, find=find["id"], site=find.get("site_id") or args.site_id))
    return 0
