"""``draft``: print a site's current article draft (building one if it has none)."""

from __future__ import annotations

import sys

from wikitown.core.i18n import t

ORDER = 62


def register(sub) -> None:
    p = sub.add_parser("draft", help="print a site's current article draft (built from the site's data "
                                     "if it has none yet)")
    p.add_argument("dir", help="the event folder")
    p.add_argument("site_id")
    p.add_argument("--offline", action="store_true", help="do not check the title on the wiki")
    p.add_argument("--check", action="store_true", help="also print the checks' findings (to stderr)")
    p.set_defaults(func=_draft)


def _draft(args) -> int:
    from wikitown.drafts import builder as drafts
    from wikitown.drafts import review
    from wikitown.store.events import open_event

    event = open_event(args.dir)
    draft, title_check = drafts.open_draft(event, args.site_id, author="cli", role="organizer",
                                           check_wiki=not args.offline)
    if title_check is not None and title_check.status == "unchecked":
        print(t("drafts.cli.title_unchecked", args.lang, title=title_check.title, reason=title_check.reason),
              file=sys.stderr)
    print(t("drafts.cli.header", args.lang, title=draft.title, state=t(f"drafts.state.{draft.state}", args.lang)),
          file=sys.stderr)
    sys.stdout.write(review.current_wikitext(event.store, draft.id))
    if args.check:
        for finding in drafts.check_draft(event.store, draft.id):
            print(finding.message(args.lang), file=sys.stderr)
    return 0
