"""``sources``: the event's source register (list, add a book, read an article's citations)."""

from __future__ import annotations

from pathlib import Path

from wikitown.core.i18n import t

ORDER = 61


def register(sub) -> None:
    p = sub.add_parser("sources", help="the event's register of books, web pages and datasets")
    sp = p.add_subparsers(dest="sources_command", metavar="ACTION", required=True)
    lst = sp.add_parser("list", help="list the register")
    lst.add_argument("dir")
    lst.set_defaults(func=_list)
    imp = sp.add_parser("import-wikitext", help="read the citations of an article (wikitext or a MediaWiki "
                                                "XML export) into the register")
    imp.add_argument("dir")
    imp.add_argument("file")
    imp.add_argument("--site", action="append", default=[], help="link the sources to this site id")
    imp.set_defaults(func=_import)


def _list(args) -> int:
    from wikitown.store.events import open_event
    from wikitown.drafts.register import list_sources, site_ids_for

    event = open_event(args.dir)
    for src in list_sources(event.store):
        print(f"{src.id}\t{src.kind}\t{src.label()}\t{','.join(site_ids_for(event.store, src.id))}")
    return 0


def _import(args) -> int:
    from wikitown.drafts.citations import extract_export_texts
    from wikitown.store.events import open_event
    from wikitown.drafts.register import import_wikitext

    event = open_event(args.dir)
    raw = Path(args.file).read_bytes().decode("utf-8", errors="replace")
    texts = [text for _title, text in extract_export_texts(raw)] if _is_export(raw) else [raw]
    total = 0
    for text in texts:
        ids, problems = import_wikitext(event.store, text, added_by="import", site_ids=args.site)
        total += len(ids)
        for problem in problems:
            print(problem)
    print(t("citations.cli.imported", args.lang, count=total))
    return 0


def _is_export(raw: str) -> bool:
    head = raw.lstrip()[:200]
    return head.startswith("<?xml") or head.startswith("<mediawiki")
