"""``event``: create, check, list events; set passphrases."""

from __future__ import annotations

import datetime as dt
import getpass
import sys

from wikitown.finds import access
from wikitown.store.events import create_event, list_events, open_event
from wikitown.cli._args import latlon
from wikitown.core.i18n import t

ORDER = 10


def register(sub) -> None:
    p = sub.add_parser("event", help="create, check and list events; set passphrases")
    ev = p.add_subparsers(dest="event_command", metavar="ACTION", required=True)

    new = ev.add_parser("new", help="create an event folder with event.toml")
    new.add_argument("dir")
    new.add_argument("--name", required=True)
    new.add_argument("--center", required=True, metavar="LAT,LON", type=latlon)
    new.add_argument("--radius-km", required=True, type=float)
    new.add_argument("--wiki", choices=["ja", "en"], default="ja")
    new.add_argument("--municipality-code", default="")
    new.add_argument("--municipality", default="")
    new.add_argument("--start-date", type=dt.date.fromisoformat)
    new.add_argument("--end-date", type=dt.date.fromisoformat)
    new.add_argument("--code", default="", help="the join code for participants (made up if not given)")
    new.set_defaults(func=_new)

    check = ev.add_parser("check", help="validate an event's event.toml and store")
    check.add_argument("dir")
    check.set_defaults(func=_check)

    lst = ev.add_parser("list", help="list the events under the events folder")
    lst.set_defaults(func=_list)

    pw = ev.add_parser("passphrase", help="set the organizer or librarian passphrase (stored as a hash, "
                                          "outside the event folder)")
    pw.add_argument("dir")
    pw.add_argument("--role", choices=list(access.PASSPHRASE_ROLES), required=True)
    pw.add_argument("--stdin", action="store_true", help="read the passphrase from standard input")
    pw.set_defaults(func=_passphrase)


def _new(args) -> int:
    from wikitown.store.events import check_join_code

    if args.code:
        check_join_code(args.code)  # a code chosen by hand: as hard to guess as a made-up one
    lat, lon = args.center
    event = create_event(args.dir, name=args.name, lat=lat, lon=lon, radius_km=args.radius_km, wiki=args.wiki,
                         municipality_code=args.municipality_code, municipality=args.municipality,
                         start_date=args.start_date, end_date=args.end_date, code=args.code)
    print(t("cli.event.created", args.lang, path=event.dir, code=event.config.code))
    return 0


def _check(args) -> int:
    event = open_event(args.dir)
    versions = event.store.migrate()
    print(t("cli.event.ok", args.lang, name=event.name, path=event.dir,
            versions=", ".join(f"{k} {v}" for k, v in versions.items())))
    return 0


def _list(args) -> int:
    for path in list_events():
        try:
            print(f"{path.name}\t{open_event(path).name}")
        except Exception as exc:  # a broken event must not hide the others
            print(f"{path.name}\t({exc})")
    return 0


def _passphrase(args) -> int:
    event = open_event(args.dir)
    if args.stdin:
        phrase = sys.stdin.readline().rstrip("\n")
    else:
        phrase = getpass.getpass(t("cli.event.passphrase_prompt", args.lang, role=args.role))
        if getpass.getpass(t("cli.event.passphrase_again", args.lang)) != phrase:
            print(t("cli.event.passphrase_mismatch", args.lang), file=sys.stderr)
            return 1
    access.set_passphrase(event.dir, args.role, phrase)
    print(t("cli.event.passphrase_set", args.lang, role=args.role))
    return 0
