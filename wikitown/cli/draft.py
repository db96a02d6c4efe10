"""``draft``: a site's article draft: print it (building one if it has none), choose its title,
and take it through review (the same library calls as the app's draft pages)."""

from __future__ import annotations

import sys

from wikitown.core.i18n import t

ORDER = 62


def register(sub) -> None:
    p = sub.add_parser("draft", help="print a site's current article draft (built from the site's data "
                                     "if it has none yet), choose its title, submit, approve or send it back")
    p.add_argument("dir", help="the event folder")
    p.add_argument("site_id")
    p.add_argument("--offline", action="store_true", help="do not check the title on the wiki")
    p.add_argument("--check", action="store_true", help="also print the checks' findings (to stderr)")
    p.add_argument("--diff", action="store_true",
                   help="for an edit of an existing article: print the diff against the article instead")
    act = p.add_mutually_exclusive_group()
    act.add_argument("--submit", dest="action", action="store_const", const="submit",
                     help="ask for review")
    act.add_argument("--approve", dest="action", action="store_const", const="approve",
                     help="approve (refused while the checks report findings, unless --reason says why, "
                          "and for the draft's own writers)")
    act.add_argument("--request-changes", dest="action", action="store_const", const="request_changes",
                     help="send it back to its writers (--reason says what to change)")
    act.add_argument("--withdraw", dest="action", action="store_const", const="withdraw",
                     help="take it out of review")
    act.add_argument("--rebase", dest="action", action="store_const", const="rebase",
                     help="(edits of existing articles) carry the draft over to the article's current revision")
    act.add_argument("--choose-title", metavar="TITLE",
                     help="(ambiguous titles) write a new article under TITLE, or with --edit-existing "
                          "improve the existing article TITLE")
    p.add_argument("--edit-existing", action="store_true", help="with --choose-title: TITLE is an article to edit")
    p.add_argument("--as", dest="name", metavar="NAME", help="who does it (kept in the history)")
    p.add_argument("--role", default="organizer", choices=("organizer", "librarian", "participant"),
                   help="the role acted in (default organizer)")
    p.add_argument("--reason", default="", metavar="TEXT",
                   help="the comment: what to change, or why to approve despite the checks' findings")
    p.set_defaults(func=_draft, action=None)


def _draft(args) -> int:
    from wikitown.core.errors import InputError
    from wikitown.drafts import builder as drafts
    from wikitown.drafts import edits, review
    from wikitown.store.events import open_event

    lang = args.lang
    event = open_event(args.dir)
    if (args.action or args.choose_title) and not (args.name or "").strip():
        raise InputError("--as NAME is needed", key="drafts.cli.needs_as")
    if args.choose_title:
        target = edits.choose_title(event.store, args.site_id, args.choose_title,
                                    "edit" if args.edit_existing else "new", by=args.name)
        print(t(f"drafts.choose.saved.{target.mode}", lang, title=target.title), file=sys.stderr)
        return 0
    draft, title_check = drafts.open_draft(event, args.site_id, author=args.name or review.GENERATED_BY,
                                           role=args.role if args.action else "organizer",
                                           check_wiki=not args.offline)
    if title_check is not None and title_check.status == "unchecked":
        print(t("drafts.cli.title_unchecked", lang, title=title_check.title, reason=title_check.reason),
              file=sys.stderr)
    base = edits.base_of(event.store, draft.id)
    if args.action == "rebase":
        base = edits.refresh_base(event, draft.id, author=args.name, role=args.role)
        print(t("drafts.refreshed", lang, revid=base.revid), file=sys.stderr)
        return 0
    if args.action:
        findings = drafts.check_draft(event.store, draft.id) if args.action == "approve" else []
        for finding in findings:
            print(finding.message(lang), file=sys.stderr)
        # Approving despite findings: --reason is the written override (kept in the history).
        draft = drafts.act(event, draft.id, args.action, author=args.name, role=args.role,
                           comment="" if findings else args.reason,
                           override_reason=args.reason if findings else "")
        given = review.approvals(event.store, draft.id)
        print(t("drafts.cli.done", lang, action=t(f"drafts.action.{args.action}", lang), title=draft.title,
                state=t(f"drafts.state.{draft.state}", lang)), file=sys.stderr)
        if args.action == "approve" and draft.state == "in_review":
            print(t("drafts.approvals", lang, given=len(given), required=event.config.approvals_required,
                    names="、".join(given)), file=sys.stderr)
        return 0
    print(t("drafts.cli.header", lang, title=draft.title, state=t(f"drafts.state.{draft.state}", lang)),
          file=sys.stderr)
    if base is not None:
        print(t("drafts.edit_of", lang, title=base.title, revid=base.revid), file=sys.stderr)
    current = review.current_wikitext(event.store, draft.id)
    if args.diff and base is not None:
        sys.stdout.write(review.diff_text(base.wikitext, current, f"{base.title} r{base.revid}",
                                          f"{draft.title} (draft)"))
    else:
        sys.stdout.write(current)
    if args.check:
        for finding in drafts.check_draft(event.store, draft.id):
            print(finding.message(lang), file=sys.stderr)
    return 0

