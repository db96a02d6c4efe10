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


def _run(args) -> int:
    if not (args.plan or args.apply or args.quickstatements):
        print(t("publish.cli.need_mode", args.lang), file=sys.stderr)
        return 2
    event = open_event(args.dir)
    lang = args.lang
    status = 0
    if args.plan or args.apply:
        from wikitown.publish import make_plan, run_apply
        from wikitown.publish.plan import render_plan

        files_spec, pages_spec = _specs(args, event)
        bot_password = _bot_password(args) if args.apply else None
        plan = make_plan(event, files_spec, pages_spec, bot_password=bot_password)
        if args.plan:
            sys.stdout.write(render_plan(plan, lang))
        else:
            for n in plan.notices:
                print("! " + n.message(lang), file=sys.stderr)
        if args.apply:
            def progress(done, total, item):
                print(t("publish.cli.progress", lang, done=done, total=total,
                        status=t(f"publish.status.{item.status}", lang), target=item.target,
                        reason=item.reason if item.status == "failed" else ""), file=sys.stderr, flush=True)

            result = run_apply(event, plan, files_spec, pages_spec, bot_password=bot_password,
                               progress=progress, chunk_size=int(args.chunk_mb * 1024 * 1024))
            for item in result.failed:
                detail = "; ".join(n.message(lang) for n in item.notices) or item.detail
                print(t("publish.cli.failed_item", lang, target=item.target, reason=item.reason,
                        detail=detail), file=sys.stderr)
            print(t("publish.cli.summary", lang, **result.counts()))
            status = 1 if result.failed else 0
    if args.quickstatements:
        from wikitown.core.fsutil import atomic_write_bytes
        from wikitown.publish.quickstatements import p18_lines

        lines = p18_lines(event.store)
        out = Path(args.quickstatements)
        atomic_write_bytes(out, ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8"))
        print(t("publish.cli.qs_written", lang, count=len(lines), path=out))
    return status
