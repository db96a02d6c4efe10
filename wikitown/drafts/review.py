"""The review workflow of article drafts: states, who may do what, revisions, comments, diffs.

States: ``draft`` -> ``in_review`` -> ``approved`` -> ``published``, with
``changes_requested`` sending a draft back to its writers. Writers (participants)
and librarians/organizers save revisions and submit; only librarians and
organizers request changes or approve. Every save is a new revision that is
kept; reviewers comment on a revision; any two revisions can be compared.

For the publish feature::

    for d in approved_drafts(store): ...           # id, site_id, title, revision_id, wikitext
    mark_published(store, draft_id, title, revid, by="TownBot")

Approval is a gate, not a formality:

- it is refused while the draft's checks report findings, unless the reviewer writes why the
  draft may go anyway (``override_reason``; kept in the history as an ``override`` row);
- the people who wrote a revision of the draft or submitted it cannot approve it (the text
  wikitown generated, author ``wikitown``, is nobody's);
- an event can require more than one approval (``[review] approvals = 2`` in event.toml): each
  approval is for the current revision by a different person, and the draft is ``approved``
  when enough of them agree; a new revision or a new submission starts the count again.

Refusals raise :class:`wikitown.core.errors.AccessDenied` with a ``drafts.review.*`` key.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import sqlalchemy as sa

from wikitown.core.errors import AccessDenied, InputError
from wikitown.core.normalize import nfkc
from wikitown.store.db import Store, draft_revisions, drafts, now, reviews

STATES = ("draft", "in_review", "changes_requested", "approved", "published")
WRITERS = {"participant", "librarian", "organizer"}
REVIEWERS = {"librarian", "organizer"}
PUBLISHERS = {"organizer", "bot"}
# action -> (states it may start from, state it leads to, roles allowed)
TRANSITIONS = {
    "submit": ({"draft", "changes_requested"}, "in_review", WRITERS),
    "request_changes": ({"in_review", "approved"}, "changes_requested", REVIEWERS),
    "approve": ({"in_review"}, "approved", REVIEWERS),
    "withdraw": ({"in_review", "approved"}, "draft", REVIEWERS),
    "publish": ({"approved"}, "published", PUBLISHERS),
}
MAX_WIKITEXT = 2_000_000  # characters; a draft is an article, not a dump
GENERATED_BY = "wikitown"  # the author of text wikitown generated: not a person, never "the writer"


@dataclass
class Draft:
    id: int
    site_id: str
    title: str
    state: str
    current_revision_id: int | None
    published_title: str | None = None
    published_revid: int | None = None
    updated_at: str | None = None


@dataclass
class Revision:
    id: int
    draft_id: int
    wikitext: str
    author: str
    role: str
    summary: str
    created_at: str


def _role(role: str) -> str:
    return "participant" if role == "writer" else (role or "")


def _refuse(key: str, **params):
    raise AccessDenied(f"refused: {key} {params}", key=f"drafts.review.{key}", **params)


def allowed_actions(state: str, role: str) -> list[str]:
    """The state changes ``role`` may make on a draft in ``state`` (for buttons)."""
    role = _role(role)
    return [a for a, (froms, _to, roles) in TRANSITIONS.items() if state in froms and role in roles
            and a != "publish"]


# ---------------------------------------------------------------------------------------------
# reading


def get_draft(store: Store, draft_id: int) -> Draft | None:
    with store.read() as c:
        row = c.execute(sa.select(drafts).where(drafts.c.id == draft_id)).mappings().first()
    return _draft(row) if row else None


def draft_for_site(store: Store, site_id: str) -> Draft | None:
    with store.read() as c:
        row = c.execute(sa.select(drafts).where(drafts.c.site_id == site_id)).mappings().first()
    return _draft(row) if row else None


def _draft(row) -> Draft:
    return Draft(row["id"], row["site_id"], row["title"], row["state"], row["current_revision_id"],
                 row["published_title"], row["published_revid"], row["updated_at"])


def list_drafts(store: Store, state: str | None = None) -> list[Draft]:
    with store.read() as c:
        q = sa.select(drafts).order_by(drafts.c.updated_at.desc())
        if state:
            q = q.where(drafts.c.state == state)
        return [_draft(r) for r in c.execute(q).mappings()]


def get_revision(store: Store, revision_id: int) -> Revision | None:
    with store.read() as c:
        row = c.execute(sa.select(draft_revisions).where(draft_revisions.c.id == revision_id)).mappings().first()
    return Revision(**{k: row[k] for k in Revision.__dataclass_fields__}) if row else None


def current_wikitext(store: Store, draft_id: int) -> str:
    d = get_draft(store, draft_id)
    rev = get_revision(store, d.current_revision_id) if d and d.current_revision_id else None
    return rev.wikitext if rev else ""


def revisions(store: Store, draft_id: int) -> list[Revision]:
    """Every saved revision, oldest first."""
    with store.read() as c:
        rows = c.execute(sa.select(draft_revisions).where(draft_revisions.c.draft_id == draft_id)
                         .order_by(draft_revisions.c.id)).mappings().all()
    return [Revision(**{k: r[k] for k in Revision.__dataclass_fields__}) for r in rows]


def review_log(store: Store, draft_id: int) -> list[dict]:
    """Comments and state changes, oldest first."""
    with store.read() as c:
        return [dict(r) for r in c.execute(sa.select(reviews).where(reviews.c.draft_id == draft_id)
                                           .order_by(reviews.c.id)).mappings()]


def approved_drafts(store: Store) -> list[dict]:
    """What the publish step takes: approved drafts with their approved revision's wikitext."""
    with store.read() as c:
        rows = c.execute(sa.select(drafts.c.id, drafts.c.site_id, drafts.c.title, drafts.c.current_revision_id,
                                   draft_revisions.c.wikitext)
                         .join(draft_revisions, draft_revisions.c.id == drafts.c.current_revision_id)
                         .where(drafts.c.state == "approved").order_by(drafts.c.id)).mappings().all()
    return [{"id": r["id"], "site_id": r["site_id"], "title": r["title"],
             "revision_id": r["current_revision_id"], "wikitext": r["wikitext"]} for r in rows]


# ---------------------------------------------------------------------------------------------
# writing


def create_draft(store: Store, site_id: str, title: str, wikitext: str, *, author: str, role: str,
                 summary: str = "", base=None) -> Draft:
    """A new draft with its first revision. One draft per site: the existing one is returned.
    ``base``: the article (:class:`wikitown.drafts.edits.Article`) this draft is an edit of."""
    role = _role(role)
    if role not in WRITERS:
        _refuse("cannot_edit", role=role)
    with store.write() as c:
        row = c.execute(sa.select(drafts.c.id).where(drafts.c.site_id == site_id)).first()
        if row is None:
            stamp = now()
            draft_id = c.execute(drafts.insert().values(site_id=site_id, title=title, state="draft",
                                                        created_at=stamp, updated_at=stamp)
                                 ).inserted_primary_key[0]
            _add_revision(c, draft_id, wikitext, author, role, summary)
            if base is not None:
                from wikitown.drafts.edits import save_base

                save_base(c, draft_id, base)
        else:
            draft_id = row.id
    return get_draft(store, draft_id)


def _add_revision(c: sa.Connection, draft_id: int, wikitext: str, author: str, role: str, summary: str) -> int:
    if len(wikitext) > MAX_WIKITEXT:
        raise InputError("the draft is too long", key="drafts.error.too_long", limit=MAX_WIKITEXT)
    stamp = now()
    rev_id = c.execute(draft_revisions.insert().values(draft_id=draft_id, wikitext=wikitext, author=author,
                                                       role=role, summary=summary, created_at=stamp)
                       ).inserted_primary_key[0]
    c.execute(drafts.update().where(drafts.c.id == draft_id).values(current_revision_id=rev_id, updated_at=stamp))
    return rev_id


def save_revision(store: Store, draft_id: int, wikitext: str, *, author: str, role: str, summary: str = "",
                  base_revision_id: int | None = None, title: str | None = None) -> int:
    """Save the editor's text as a new revision. Returns its id.

    ``base_revision_id``: the revision the editor started from; if someone saved
    in between, the save is refused (``drafts.error.conflict``) so no work is
    silently overwritten. Saving an approved draft sends it back to review (the
    approval was for other text). Published drafts are edited on the wiki."""
    role = _role(role)
    if role not in WRITERS:
        _refuse("cannot_edit", role=role)
    with store.write() as c:
        row = c.execute(sa.select(drafts).where(drafts.c.id == draft_id)).mappings().first()
        if row is None:
            raise InputError(f"no draft {draft_id}", key="drafts.error.no_draft", id=draft_id)
        if row["state"] == "published":
            _refuse("published", title=row["published_title"] or row["title"])
        if base_revision_id is not None and row["current_revision_id"] != base_revision_id:
            raise InputError("someone saved this draft meanwhile", key="drafts.error.conflict")
        current = c.execute(sa.select(draft_revisions.c.wikitext)
                            .where(draft_revisions.c.id == row["current_revision_id"])).scalar()
        if current == wikitext and (title is None or title == row["title"]):
            return row["current_revision_id"]  # nothing changed: no empty revision
        rev_id = _add_revision(c, draft_id, wikitext, author, role, summary)
        if title:
            c.execute(drafts.update().where(drafts.c.id == draft_id).values(title=title))
        if row["state"] == "approved":
            _log(c, draft_id, rev_id, author, role, "save", "approved", "in_review", summary)
            c.execute(drafts.update().where(drafts.c.id == draft_id).values(state="in_review"))
    return rev_id


def _log(c, draft_id, revision_id, author, role, action, from_state, to_state, comment) -> None:
    c.execute(reviews.insert().values(draft_id=draft_id, revision_id=revision_id, author=author, role=role,
                                      action=action, from_state=from_state, to_state=to_state,
                                      comment=comment or "", created_at=now()))


def same_person(a: str, b: str) -> bool:
    """Names as people type them: width, case and surrounding spaces do not make another person."""
    return bool(a) and nfkc(a).strip().casefold() == nfkc(b).strip().casefold()


def writers(store: Store, draft_id: int) -> list[str]:
    """The people who wrote a revision of the draft or submitted it (first seen first)."""
    with store.read() as c:
        authors = [r.author for r in c.execute(sa.select(draft_revisions.c.author)
                                               .where(draft_revisions.c.draft_id == draft_id)
                                               .order_by(draft_revisions.c.id))]
        authors += [r.author for r in c.execute(sa.select(reviews.c.author)
                                                .where((reviews.c.draft_id == draft_id) &
                                                       (reviews.c.action == "submit")).order_by(reviews.c.id))]
    out: list[str] = []
    for name in authors:
        if name and not same_person(name, GENERATED_BY) and not any(same_person(name, o) for o in out):
            out.append(name)
    return out


def approvals(store: Store, draft_id: int) -> list[str]:
    """Who approved the current revision since it was last submitted."""
    with store.read() as c:
        return _approvals(c, draft_id)


def _approvals(c: sa.Connection, draft_id: int) -> list[str]:
    current = c.execute(sa.select(drafts.c.current_revision_id).where(drafts.c.id == draft_id)).scalar()
    last_submit = c.execute(sa.select(sa.func.max(reviews.c.id)).where(
        (reviews.c.draft_id == draft_id) & (reviews.c.action.in_(("submit", "request_changes", "withdraw",
                                                                    "save"))))).scalar() or 0
    rows = c.execute(sa.select(reviews.c.author).where(
        (reviews.c.draft_id == draft_id) & (reviews.c.action == "approve") & (reviews.c.id > last_submit) &
        (reviews.c.revision_id == current)).order_by(reviews.c.id))
    out: list[str] = []
    for r in rows:
        if not any(same_person(r.author, o) for o in out):
            out.append(r.author)
    return out


def transition(store: Store, draft_id: int, action: str, *, author: str, role: str, comment: str = "",
               override_reason: str = "", approvals_required: int = 1, findings: list | None = None) -> Draft:
    """Move a draft to another state; refused (AccessDenied) for the wrong role or state.

    ``approve`` also checks the draft (``findings``: the checks' open findings, computed when not
    given), that ``author`` did not write or submit it, and counts ``approvals_required``."""
    role = _role(role)
    if action not in TRANSITIONS:
        raise InputError(f"unknown action {action!r}", key="drafts.error.action", action=action)
    froms, to_state, roles = TRANSITIONS[action]
    if role not in roles:
        _refuse("role", action=action, role=role)
    if action == "request_changes" and not (comment or "").strip():
        raise InputError("say what to change", key="drafts.error.comment_needed")
    author = (author or "").strip()
    reason = (override_reason or "").strip()
    if action == "approve":
        if not author:
            _refuse("name_needed")
        if any(same_person(author, w) for w in writers(store, draft_id)):
            _refuse("own_draft", name=author)
        if findings is None:
            from wikitown.drafts.builder import check_draft

            findings = check_draft(store, draft_id)
        if findings and not reason:
            _refuse("checks_fail", count=len(findings))
    with store.write() as c:
        row = c.execute(sa.select(drafts).where(drafts.c.id == draft_id)).mappings().first()
        if row is None:
            raise InputError(f"no draft {draft_id}", key="drafts.error.no_draft", id=draft_id)
        if row["state"] not in froms:
            _refuse("state", action=action, state=row["state"])
        if action == "approve":
            given = _approvals(c, draft_id)
            if any(same_person(author, a) for a in given):
                _refuse("already_approved", name=author)
            if findings:
                # Why this draft goes on despite its findings, and which they were, for the history.
                listed = "; ".join(f"{f.code} ({f.section or '-'}:{f.line})" for f in findings)
                _log(c, draft_id, row["current_revision_id"], author, role, "override", row["state"],
                     row["state"], f"{reason}\n[{listed}]")
            if len(given) + 1 < max(1, int(approvals_required or 1)):
                to_state = row["state"]  # more approvals needed: stays in review
        c.execute(drafts.update().where(drafts.c.id == draft_id).values(state=to_state, updated_at=now()))
        _log(c, draft_id, row["current_revision_id"], author, role, action, row["state"], to_state, comment)
    return get_draft(store, draft_id)


def comment(store: Store, draft_id: int, revision_id: int, text: str, *, author: str, role: str) -> None:
    """A reviewer's (or writer's) comment on one revision. Stored as typed; shown as text."""
    role = _role(role)
    if role not in WRITERS:
        _refuse("cannot_edit", role=role)
    if not (text or "").strip():
        raise InputError("empty comment", key="drafts.error.comment_needed")
    with store.write() as c:
        rev = c.execute(sa.select(draft_revisions.c.draft_id).where(draft_revisions.c.id == revision_id)).first()
        if rev is None or rev.draft_id != draft_id:
            raise InputError(f"no revision {revision_id} in draft {draft_id}", key="drafts.error.no_revision",
                             id=revision_id)
        _log(c, draft_id, revision_id, author, role, "comment", None, None, text)


def mark_published(store: Store, draft_id: int, title: str, revid: int | None, by: str,
                   role: str = "bot") -> Draft:
    """Called by the publish step after the wiki accepted the edit: state ``published``,
    the page title and revision id kept, a ``publish`` review row written."""
    role = _role(role)
    if role not in PUBLISHERS:
        _refuse("role", action="publish", role=role)
    with store.write() as c:
        row = c.execute(sa.select(drafts).where(drafts.c.id == draft_id)).mappings().first()
        if row is None:
            raise InputError(f"no draft {draft_id}", key="drafts.error.no_draft", id=draft_id)
        if row["state"] == "published" and row["published_revid"] == revid:
            return _draft(row)  # the same publish reported twice: nothing to do
        if row["state"] != "approved":
            _refuse("state", action="publish", state=row["state"])
        c.execute(drafts.update().where(drafts.c.id == draft_id).values(
            state="published", published_title=title, published_revid=revid, updated_at=now()))
        _log(c, draft_id, row["current_revision_id"], by, role, "publish", "approved", "published",
             f"{title} (revid {revid})")
    return get_draft(store, draft_id)


def diff(store: Store, old_revision_id: int, new_revision_id: int, *, context: int = 3) -> str:
    """A unified diff between any two revisions (either order)."""
    old, new = get_revision(store, old_revision_id), get_revision(store, new_revision_id)
    if old is None or new is None:
        raise InputError("no such revision", key="drafts.error.no_revision",
                         id=old_revision_id if old is None else new_revision_id)
    return diff_text(old.wikitext, new.wikitext, f"r{old.id}", f"r{new.id}", context=context)


def diff_text(old: str, new: str, old_name: str = "a", new_name: str = "b", *, context: int = 3) -> str:
    # A last line without a newline would run into the next diff line.
    old, new = (t if t.endswith("\n") or not t else t + "\n" for t in (old, new))
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        old_name, new_name, n=context))
