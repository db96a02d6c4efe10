"""``report``: the event's summary, printed and exported."""

from __future__ import annotations

from pathlib import Path

from wikitown.store.events import open_event
from wikitown.core.i18n import t
from wikitown.report import build_report, to_markdown, write_exports

ORDER = 90


def register(sub) -> None:
    p = sub.add_parser("report", help="print the event's summary and write report.md/.html/.csv and results.wiki")
    p.add_argument("dir", help="the event folder")
    p.add_argument("--out", help="where to write the exports (default: DIR/out/report)")
    p.add_argument("--confirm", action="store_true", help="ask the wikis which published pages and files exist")
    p.set_defaults(func=_report)


def _report(args) -> int:
    event = open_event(args.dir)
    report = build_report(event, confirm_with_wiki=args.confirm)
    print(to_markdown(report, args.lang))
    out = Path(args.out) if args.out else event.dir / "out" / "report"
    write_exports(report, out, args.lang)
    print(t("report.cli.written", args.lang, path=out))
    return 0
