"""Carrying a plan out with pywikibot, so that it can always be run again safely.

Every action is written to ``publish_journal`` first (pending), then done or
failed with its reason. An action whose earlier attempt may have reached the
wiki (it was started: ``attempts > 0``) is checked on the wiki first, by SHA-1
for a file and by the page's last revision for a page, and marked done when it
is there: never a second upload, never a second edit. A failure of one item
(abuse filter, rate limit, edit conflict, a lost connection) is recorded and
the rest go on; after a few connection failures in a row the rest are marked
failed untried (the wiki is gone; running apply again finishes the job).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from wikitown.publish.filepage import same_user
from wikitown.publish.plan import FILE_NS, FileAction, PageAction, Plan
from wikitown.core.errors import WikitownError
from wikitown.store.db import now, publish_journal
from wikitown.store.sites import set_has_photo
from wikitown.net.wiki import Wiki, scrub

CHUNK_SIZE = 4 * 1024 * 1024  # files bigger than this go up in chunks (Commons allows 100 MB a request)
MAX_CONNECTION_FAILURES = 3
SESSION_LOST = ("badtoken", "assertuserfailed", "assertbotfailed", "notloggedin")


@dataclass
class ItemResult:
    key: str
    kind: str
    target: str
    status: str  # done | failed | skipped | held (waits for the organizer; nothing sent)
    reason: str = ""  # a code: abusefilter, ratelimited, editconflict, exists, connection, blocked ...
    detail: str = ""  # English, as recorded in the journal
    notices: list = field(default_factory=list)  # why it was held back (plan.Notice, any language)


@dataclass
class ApplyResult:
    items: list[ItemResult] = field(default_factory=list)
    wiki_seconds: float = 0.0  # time spent inside pywikibot's upload/edit calls
    total_seconds: float = 0.0

    @property
    def failed(self) -> list[ItemResult]:
        return [i for i in self.items if i.status == "failed"]

    def counts(self) -> dict[str, int]:
        out = {"done": 0, "failed": 0, "skipped": 0}
        for i in self.items:
            out[i.status] = out.get(i.status, 0) + 1  # "held" only when some photo waits
        return out


Progress = Callable[[int, int, ItemResult], None]


# --------------------------------------------------------------------------------------------
# the journal


def _journal_get(conn, key: str) -> dict | None:
    row = conn.execute(sa.select(publish_journal).where(publish_journal.c.action_key == key)).mappings().first()
    return dict(row) if row else None


def record_pending(store, action, kind: str, target: str, payload: dict) -> dict:
    """Make sure ``action`` has a journal row; returns it. A done row is left as it is."""
    with store.write() as conn:
        row = _journal_get(conn, action.key)
        if row is None:
            conn.execute(publish_journal.insert().values(
                action_key=action.key, kind=kind, target=target, payload=payload, status="pending",
                attempts=0, created_at=now(), updated_at=now()))
        elif row["status"] != "done":
            conn.execute(publish_journal.update().where(publish_journal.c.action_key == action.key).values(
                kind=kind, target=target, payload=payload, updated_at=now()))
        return _journal_get(conn, action.key)


def _start_attempt(store, key: str) -> None:
    # Committed before the request: a crash afterwards leaves evidence that it may have reached the wiki.
    with store.write() as conn:
        conn.execute(publish_journal.update().where(publish_journal.c.action_key == key).values(
            status="pending", attempts=publish_journal.c.attempts + 1, updated_at=now()))


def _finish(store, key: str, status: str, *, result: dict | None = None, error: str = "", kind: str = "",
            target: str = "", extra=None) -> None:
    values = {"status": status, "updated_at": now(), "error": scrub(error) if error else None}
    if result is not None:
        values["result"] = result
    if kind:
        values["kind"] = kind
    if target:
        values["target"] = target
    with store.write() as conn:
        conn.execute(publish_journal.update().where(publish_journal.c.action_key == key).values(**values))
        if extra:
            extra(conn)


def journal(store, status: str | None = None) -> list[dict]:
    """The journal rows (newest change last), optionally of one status."""
    q = sa.select(publish_journal).order_by(publish_journal.c.updated_at, publish_journal.c.id)
    if status:
        q = q.where(publish_journal.c.status == status)
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


# --------------------------------------------------------------------------------------------
# reasons


def classify(exc: BaseException) -> tuple[str, str]:
    """(reason code, detail) for an exception from pywikibot or the network."""
    import requests

    from wikitown.net.wiki import import_pywikibot

    pwb = import_pywikibot()
    ex = pwb.exceptions
    detail = scrub(f"{type(exc).__name__}: {exc}")[:500]
    if isinstance(exc, ex.AbuseFilterDisallowedError):
        return "abusefilter", detail
    if isinstance(exc, (ex.PageCreatedConflictError, ex.ArticleExistsConflictError)):
        return "exists", detail
    if isinstance(exc, ex.EditConflictError):
        return "editconflict", detail
    if isinstance(exc, (ex.SpamblacklistError, ex.TitleblacklistError)):
        return "blacklist", detail
    if isinstance(exc, ex.LockedPageError):
        return "protected", detail
    if isinstance(exc, ex.APIError):
        code = str(getattr(exc, "code", "") or "")
        if code.startswith("abusefilter"):
            return "abusefilter", detail
        if code == "ratelimited":
            return "ratelimited", detail
        if code in ("editconflict",):
            return "editconflict", detail
        if code in ("articleexists", "fileexists-no-change", "exists"):
            return "exists", detail
        return code or "apierror", detail
    if isinstance(exc, ex.ApiTimeoutError) and _gave_up_on_rate_limit(exc):
        return "ratelimited", f"the wiki's rate limit; pywikibot stopped waiting for it ({detail})"
    if isinstance(exc, (ex.ServerError, ex.ApiTimeoutError, requests.RequestException, ConnectionError,
                        OSError, TimeoutError)) or "Maximum retries" in str(exc):
        return "connection", detail
    return "error", detail


def _gave_up_on_rate_limit(exc: BaseException) -> bool:
    """pywikibot answers a ``ratelimited`` refusal itself: it waits and tries again, and when its
    retries run out it raises ``ApiTimeoutError('Maximum retries attempted ...')`` from
    ``Request._ratelimited``, without the code. Read as a lost connection it would be wrong, and
    a few of them in a row would stop the batch as if the wiki were gone."""
    import traceback

    return any(frame.f_code.co_name == "_ratelimited" for frame, _ in traceback.walk_tb(exc.__traceback__))


# --------------------------------------------------------------------------------------------
# applying


class _Runner:
    def __init__(self, event, plan: Plan, files_wiki: Wiki | None, pages_wiki: Wiki | None,
                 progress: Progress | None, chunk_size: int, by: str):
        self.event = event
        self.store = event.store
        self.plan = plan
        self.files_wiki = files_wiki
        self.pages_wiki = pages_wiki or files_wiki
        self.progress = progress
        self.chunk_size = chunk_size
        self.by = by
        self.result = ApplyResult()
        self.connection_failures = 0
        self.total = len(plan.files) + len(plan.pages)

    def report(self, item: ItemResult) -> None:
        self.result.items.append(item)
        if item.status == "failed" and item.reason == "connection":
            self.connection_failures += 1
        elif item.status == "done":
            self.connection_failures = 0
        if self.progress:
            self.progress(len(self.result.items), self.total, item)

    def _blocked(self, a) -> None:
        """Held back by the plan: recorded as failed with the plan's reasons, nothing sent."""
        detail = "; ".join(n.message("en") for n in a.notices) or "held back by the plan"
        _finish(self.store, a.key, "failed", error=f"blocked: {detail}")
        self.report(ItemResult(a.key, a.kind, a.title, "failed", "blocked", detail, list(a.notices)))

    @property
    def wiki_gone(self) -> bool:
        return self.connection_failures >= MAX_CONNECTION_FAILURES

    # -- files --------------------------------------------------------------------------------
    def file(self, a: FileAction) -> None:
        if a.status == "done":
            return self.report(ItemResult(a.key, a.kind, a.title, "skipped", "done"))
        if a.status == "held":  # waits for the organizer: nothing sent, nothing recorded
            return self.report(ItemResult(a.key, a.kind, a.title, "held", "held", "", list(a.holds)))
        payload = {"filename": a.filename, "summary": a.summary, "sha1": a.sha1, "path": a.path, "size": a.size,
                   "site_id": a.site_id, "find_id": a.find_id, "media_sha1": a.media_sha1, "text": a.text,
                   "existing": a.existing, "author": a.author, "author_user": a.author_user,
                   "uploader": a.uploader, "own_work": a.own_work}
        row = record_pending(self.store, a, a.kind, a.existing if a.kind == "link" else a.filename, payload)
        if row["status"] == "done":
            return self.report(ItemResult(a.key, row["kind"], row["target"], "skipped", "done"))
        if a.status == "blocked":
            return self._blocked(a)
        if a.kind == "link":
            _finish(self.store, a.key, "done", result={"title": f"{FILE_NS}:{a.existing}", "linked": True},
                    extra=lambda c: _site_has_photo(c, a.site_id))
            return self.report(ItemResult(a.key, "link", f"{FILE_NS}:{a.existing}", "done"))
        if self.wiki_gone:
            _finish(self.store, a.key, "failed", error="connection: not tried, the wiki could not be reached")
            return self.report(ItemResult(a.key, a.kind, a.title, "failed", "connection", "not tried"))
        if a.own_work and not same_user(a.uploader, self.files_wiki.user):
            # {{self}} says the uploader took the photo: never true under another account.
            detail = f"own work of {a.uploader}, but the account is {self.files_wiki.user}"
            _finish(self.store, a.key, "failed", error=f"not_own_account: {detail}")
            return self.report(ItemResult(a.key, a.kind, a.title, "failed", "not_own_account", detail))
        try:
            if (row.get("attempts") or 0) > 0 or a.retry or a.existing:
                found = self._file_on_wiki(a.sha1)
                if found:
                    _finish(self.store, a.key, "done", kind="upload" if found == a.filename else "link",
                            target=found, result={"title": f"{FILE_NS}:{found}", "found_on_wiki": True},
                            extra=lambda c: _site_has_photo(c, a.site_id))
                    return self.report(ItemResult(a.key, "upload", f"{FILE_NS}:{found}", "done", "found"))
            _start_attempt(self.store, a.key)
            outcome = self._upload(a)
        except Exception as exc:  # one item's failure never stops the rest
            reason, detail = classify(exc)
            _finish(self.store, a.key, "failed", error=f"{reason}: {detail}")
            return self.report(ItemResult(a.key, a.kind, a.title, "failed", reason, detail))
        status, reason, detail, target = outcome
        if status == "done":
            _finish(self.store, a.key, "done", target=target, kind="upload" if target == a.filename else "link",
                    result={"title": f"{FILE_NS}:{target}"}, extra=lambda c: _site_has_photo(c, a.site_id))
        else:
            _finish(self.store, a.key, "failed", error=f"{reason}: {detail}")
        self.report(ItemResult(a.key, a.kind, f"{FILE_NS}:{target}", status, reason, detail))

    def _file_on_wiki(self, sha1: str) -> str:
        for img in self.files_wiki.site.allimages(sha1=sha1, total=1):
            return img.title(with_ns=False)
        return ""

    def _upload(self, a: FileAction):
        import pywikibot

        path = self.event.path(a.path)
        page = pywikibot.FilePage(self.files_wiki.site, f"{FILE_NS}:{a.filename}")
        warnings: list = []

        def refuse(found):  # never ignore a warning: duplicate, exists, badfilename ... are failures
            warnings.extend(found)
            return False

        def upload():
            started = time.perf_counter()
            try:
                return page.upload(str(path), summary=a.summary, text=a.text, chunk_size=self.chunk_size,
                                   ignore_warnings=refuse, report_success=False)
            finally:
                self.result.wiki_seconds += time.perf_counter() - started

        ok = self._with_session(self.files_wiki, upload)
        if ok:
            return "done", "", "", a.filename
        codes = [getattr(w, "code", "warning") for w in warnings]
        if "duplicate" in codes or "duplicate-archive" in codes:
            found = self._file_on_wiki(a.sha1)
            if found:
                return "done", "duplicate", "", found
        detail = scrub("; ".join(f"{getattr(w, 'code', '')}: {getattr(w, 'message', w)}" for w in warnings))
        return "failed", (codes[0] if codes else "warning"), detail[:500], a.filename

    # -- pages --------------------------------------------------------------------------------
    def page(self, a: PageAction) -> None:
        if a.status == "done":
            return self.report(ItemResult(a.key, a.kind, a.title, "skipped", "done"))
        payload = {"title": a.title, "summary": a.summary, "text": a.text, "base_revid": a.base_revid,
                   "draft_id": a.draft_id, "revision_id": a.revision_id, "site_id": a.site_id}
        row = record_pending(self.store, a, "edit", a.title, payload)
        if row["status"] == "done":
            return self.report(ItemResult(a.key, "edit", row["target"], "skipped", "done"))
        if a.status == "blocked":
            return self._blocked(a)
        if self.wiki_gone:
            _finish(self.store, a.key, "failed", error="connection: not tried, the wiki could not be reached")
            return self.report(ItemResult(a.key, a.kind, a.title, "failed", "connection", "not tried"))
        try:
            status, reason, detail, revid = self._edit(a, (row.get("attempts") or 0) > 0)
        except Exception as exc:
            reason, detail = classify(exc)
            _finish(self.store, a.key, "failed", error=f"{reason}: {detail}")
            return self.report(ItemResult(a.key, a.kind, a.title, "failed", reason, detail))
        if status == "done":
            # The draft first, then the journal: a crash in between leaves a published draft, which the
            # next plan shows as done (the other order would leave the draft 'approved' for ever).
            from wikitown.drafts.review import mark_published

            note = ""
            try:
                mark_published(self.store, a.draft_id, a.title, revid, self.by or "wikitown")
            except WikitownError as exc:  # the edit is on the wiki whatever the draft's state says
                note = f"draft state not updated: {exc}"
            _finish(self.store, a.key, "done", result={"title": a.title, "revid": revid, "note": note})
        else:
            _finish(self.store, a.key, "failed", error=f"{reason}: {detail}")
        self.report(ItemResult(a.key, "edit", a.title, status, reason, detail))

    def _edit(self, a: PageAction, tried_before: bool):
        import pywikibot

        site = self.pages_wiki.site
        page = pywikibot.Page(site, a.title)
        exists = page.exists()
        if exists:
            latest = page.latest_revision
            if tried_before and latest.revid != a.base_revid and latest.user == site.user() \
                    and page.text == a.text:
                return "done", "found", "", latest.revid  # our earlier attempt did reach the wiki
            if a.base_revid is None:
                return "failed", "exists", "the page exists and wikitown did not create it", None
            if latest.revid != a.base_revid:
                return "failed", "editconflict", f"changed since the plan (r{a.base_revid} -> r{latest.revid})", None
        elif a.base_revid is not None:
            return "failed", "editconflict", "the page was deleted since the plan", None
        _start_attempt(self.store, a.key)
        kwargs = {"createonly": True} if a.base_revid is None else {"nocreate": True, "baserevid": a.base_revid}
        def edit():
            started = time.perf_counter()
            try:
                return site.editpage(page, summary=a.summary, minor=False, text=a.text, **kwargs)
            finally:
                self.result.wiki_seconds += time.perf_counter() - started

        self._with_session(self.pages_wiki, edit)
        return "done", "", "", page.latest_revision_id

    @staticmethod
    def _with_session(wiki: Wiki, call):
        """``call()``; if the wiki lost our session (an expired login: badtoken, assertuserfailed),
        log in again and try once more. Such a refusal means nothing was written."""
        import pywikibot

        try:
            return call()
        except pywikibot.exceptions.APIError as exc:
            if exc.code not in SESSION_LOST:
                raise
        except KeyError as exc:
            # pywikibot's token wallet, asked for a token after the wiki dropped the session,
            # logs in again itself but raises "Invalid token 'csrf' for user None": the same case.
            if "Invalid token" not in str(exc):
                raise
        wiki.relogin()
        return call()


def _site_has_photo(conn, site_id: str) -> None:
    if site_id:
        set_has_photo(conn, site_id)


def apply_plan(event, plan: Plan, files_wiki: Wiki | None, pages_wiki: Wiki | None = None, *,
               progress: Progress | None = None, chunk_size: int = CHUNK_SIZE, by: str = "") -> ApplyResult:
    """Carry out ``plan``: uploads first, then page edits. Returns what happened to each item."""
    started = time.perf_counter()
    runner = _Runner(event, plan, files_wiki, pages_wiki, progress, chunk_size,
                     by or ((files_wiki or pages_wiki).user if (files_wiki or pages_wiki) else ""))
    for a in plan.files:
        runner.file(a)
    for p in plan.pages:
        runner.page(p)
    runner.result.total_seconds = time.perf_counter() - started
    return runner.result


def apply_files_as(event, plan: Plan, actions: list[FileAction], wiki: Wiki, *, progress: Progress | None = None,
                   chunk_size: int = CHUNK_SIZE) -> ApplyResult:
    """Upload ``actions`` (one photographer's own photos) under ``wiki``'s account."""
    started = time.perf_counter()
    runner = _Runner(event, plan, wiki, None, progress, chunk_size, wiki.user)
    runner.total = len(actions)
    for a in actions:
        runner.file(a)
    runner.result.total_seconds = time.perf_counter() - started
    return runner.result
