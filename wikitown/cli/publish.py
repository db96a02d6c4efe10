"""``publish``: plan, then apply, uploads to Commons and drafts to Wikipedia (pywikibot)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from wikitown.store.events import open_event
from wikitown.core.i18n import t

ORDER = 70


def register(sub) -> None:
    p = sub.add_parser("publish", help="publish photos to Commons and approved drafts to Wikipedia "
                                       "(--plan shows everything first; --apply can be run again safely)")
    p.add_argument("dir", help="the event folder (or its name under the events folder)")
    mode = p.add_argument_group("what to do")
    mode.add_argument("--plan", action="store_true", help="print the full plan; write nothing to any wiki")
    mode.add_argument("--apply", action="store_true", help="carry the plan out (only what is not done yet)")
    mode.add_argument("--quickstatements", metavar="OUT",
                      help="write a QuickStatements v1 file adding P18 to site items without an image")
    mode.add_argument("--vrt-ticket", nargs=2, metavar=("AUTHOR", "TICKET"),
                      help="record the VRT ticket for a photographer (credit or user name) and put it on every "
                           "file of theirs on the wiki in place of {{Permission pending}} (safe to run again)")
    review = p.add_argument_group("the organizer's decisions (kept in the event; used by every plan)")
    review.add_argument("--release", action="append", default=[], metavar="SHA1",
                        help="publish a photo that waits for a look (its SHA-1 as --plan shows it)")
    review.add_argument("--hold", action="append", default=[], metavar="SHA1",
                        help="make a released photo wait for a look again")
    review.add_argument("--category-rename", nargs=2, action="append", default=[], metavar=("OLD", "NEW"),
                        help="use category NEW wherever OLD would be used (file pages and drafts)")
    review.add_argument("--category-drop", action="append", default=[], metavar="NAME",
                        help="leave category NAME out of file pages and drafts")
    review.add_argument("--category-keep", action="append", default=[], metavar="NAME",
                        help="forget a rename or drop of category NAME")
    wiki = p.add_argument_group("which wiki (default: Commons for files, the event's Wikipedia for drafts)")
    wiki.add_argument("--family", default="", help="pywikibot family for both files and drafts")
    wiki.add_argument("--lang", dest="wiki_lang", default="", help="pywikibot code (language) for both")
    wiki.add_argument("--api-url", default="", help="an api.php URL for both (instead of a family)")
    wiki.add_argument("--files-family", default="", help="pywikibot family for files only (e.g. commons)")
    wiki.add_argument("--files-lang", default="", help="pywikibot code for files only")
    wiki.add_argument("--files-api-url", default="", help="api.php URL for files only")
    wiki.add_argument("--user", default="", help="the publishing account (default: pywikibot's user-config)")
    wiki.add_argument("--bot-password-stdin", action="store_true",
                      help="read a BotPassword for --user (given as User@AppName) from standard input, for "
                           "this run only (otherwise pywikibot's password file under PYWIKIBOT_DIR is used)")
    wiki.add_argument("--author-login", action="append", default=[], metavar="LOGIN",
                      help="a photographer uploads their own photos under their own account (User, or "
                           "User@AppName for a BotPassword); their password is read from standard input after "
                           "the organizer's (or asked for), for this run only. Their photos get {{self}}")
    wiki.add_argument("--chunk-mb", type=float, default=4.0, help="upload files larger than this in chunks")
    p.set_defaults(func=_run)


def _specs(args, event):
    from wikitown.publish import wiki_specs

    user = args.user.split("@", 1)[0] if args.user else ""
    return wiki_specs(event, family=args.family, lang=args.wiki_lang, api_url=args.api_url, user=user,
                      files_family=args.files_family, files_lang=args.files_lang,
                      files_api_url=args.files_api_url)


def _bot_password(args):
    from wikitown.net.wiki import SessionBotPassword

    if not args.bot_password_stdin:
        return None
    if "@" not in args.user:
        from wikitown.net.wiki import WikiError

        raise WikiError("--bot-password-stdin needs --user User@AppName")
    if sys.stdin.isatty():
        secret = getpass.getpass(t("publish.cli.password_prompt", args.lang, user=args.user))
    else:
        secret = sys.stdin.readline().strip()
    return SessionBotPassword(args.user, secret)


def _author_logins(args) -> list:
    from wikitown.net.wiki import SessionLogin

    logins = []
    for login in args.author_login:
        if sys.stdin.isatty():
            secret = getpass.getpass(t("publish.cli.author_password_prompt", args.lang, user=login))
        else:
            secret = sys.stdin.readline().strip()
        logins.append(SessionLogin(login, secret))
    return logins


def _decisions(args, event) -> bool:
    """The organizer's decisions given on the command line; True when any was."""
    from wikitown.publish import decisions

    lang = args.lang
    store = event.store
    for sha1 in args.release:
        if not _known_photo(store, sha1):
            print(t("publish.cli.not_held", lang, sha1=sha1), file=sys.stderr)
            continue
        decisions.release(store, sha1, "cli")
        print(t("publish.cli.released", lang, sha1=sha1))
    for sha1 in args.hold:
        decisions.hold_again(store, sha1)
        print(t("publish.cli.held_again", lang, sha1=sha1))
    for old, new in args.category_rename:
        decisions.change_category(store, old, new)
        print(t("publish.cli.category_changed", lang, name=old, new=new))
    for name in args.category_drop:
        decisions.change_category(store, name, "")
        print(t("publish.cli.category_dropped", lang, name=name))
    for name in args.category_keep:
        decisions.change_category(store, name, None)
    return bool(args.release or args.hold or args.category_rename or args.category_drop or args.category_keep)


def _known_photo(store, sha1: str) -> bool:
    import sqlalchemy as sa

    from wikitown.store.db import media

    with store.read() as conn:
        return conn.execute(sa.select(media.c.sha1).where(media.c.sha1 == sha1)).first() is not None


def _vrt_ticket(args, event) -> int:
    from wikitown.publish import run_vrt_ticket

    author, ticket = args.vrt_ticket
    files_spec, _ = _specs(args, event)
    result = run_vrt_ticket(event, files_spec, author, ticket, bot_password=_bot_password(args))
    if not result.items:
        print(t("publish.cli.vrt_none_yet", args.lang, author=author, ticket=ticket))
        return 0
    for item in result.failed:
        print(t("publish.cli.failed_item", args.lang, target=item.target, reason=item.reason, detail=item.detail),
              file=sys.stderr)
    print(t("publish.cli.vrt_result", args.lang, author=author, ticket=ticket, **result.counts()))
    return 1 if result.failed else 0


def _write_declarations(args, event, plan) -> None:
    from wikitown.publish.permission import VRT_ADDRESS, declarations

    for entry, paths in declarations(event, plan):
        print(t("publish.cli.consent_written", args.lang, author=entry.author, ja=paths["ja"], en=paths["en"],
                address=VRT_ADDRESS), file=sys.stderr)


def _run(args) -> int:
    decided = False
    if args.release or args.hold or args.category_rename or args.category_drop or args.category_keep:
        decided = _decisions(args, open_event(args.dir))
    if not (args.plan or args.apply or args.quickstatements or args.vrt_ticket):
        if decided:
            return 0
        print(t("publish.cli.need_mode", args.lang), file=sys.stderr)
        return 2
    event = open_event(args.dir)
    lang = args.lang
    status = 0
    if args.vrt_ticket:
        status = _vrt_ticket(args, event)
    if args.plan or args.apply:
        from wikitown.publish import make_plan, run_apply
        from wikitown.publish.plan import render_plan

        files_spec, pages_spec = _specs(args, event)
        bot_password = _bot_password(args) if args.apply else None
        author_logins = _author_logins(args) if args.apply else []
        own = author_logins or [login.split("@", 1)[0] for login in args.author_login]
        plan = make_plan(event, files_spec, pages_spec, bot_password=bot_password, own_accounts=own)
        if args.plan:
            sys.stdout.write(render_plan(plan, lang))
        else:
            for n in plan.notices:
                print("! " + n.message(lang), file=sys.stderr)
        _write_declarations(args, event, plan)
        if args.apply:
            def progress(done, total, item):
                print(t("publish.cli.progress", lang, done=done, total=total,
                        status=t(f"publish.status.{item.status}", lang), target=item.target,
                        reason=item.reason if item.status == "failed" else ""), file=sys.stderr, flush=True)

            result = run_apply(event, plan, files_spec, pages_spec, bot_password=bot_password,
                               progress=progress, chunk_size=int(args.chunk_mb * 1024 * 1024),
                               author_logins=author_logins)
            del bot_password, author_logins  # held no longer than the publish
            for item in result.items:
                if item.status == "held":
                    print(t("publish.cli.held_item", lang, target=item.target,
                            detail="; ".join(n.message(lang) for n in item.notices)), file=sys.stderr)
            for item in result.failed:
                detail = "; ".join(n.message(lang) for n in item.notices) or item.detail
                print(t("publish.cli.failed_item", lang, target=item.target, reason=item.reason,
                        detail=detail), file=sys.stderr)
            print(t("publish.cli.summary", lang, **result.counts()))
            status = 1 if result.failed else status
    if args.quickstatements:
        from wikitown.core.fsutil import atomic_write_bytes
        from wikitown.publish.quickstatements import p18_lines

        lines = p18_lines(event.store)
        out = Path(args.quickstatements)
        atomic_write_bytes(out, ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8"))
        print(t("publish.cli.qs_written", lang, count=len(lines), path=out))
    return status
