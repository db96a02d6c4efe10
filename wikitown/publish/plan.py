"""The publish plan: every upload and every edit, in full, before anything is written.

:func:`build_plan` reads the event's store and only *reads* the wikis: free
file names, the same bytes already on the wiki (SHA-1), target pages that
exist, the wiki's Draft namespace. It writes nothing to any wiki. The one
local write is the publish JPEG for photos that have no ``publish_path`` yet
(made with :func:`wikitown.finds.photos.prepare_photo`, as the finds feature makes it).

The journal (``publish_journal``) makes the plan stable across runs: a photo
already uploaded is shown as done under the name it got, a photo whose upload
was started keeps its name, so running the plan and apply again never produces
a second copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from types import SimpleNamespace

import sqlalchemy as sa

from wikitown.core.errors import InputError, ServiceError, ServiceUnavailable, WikitownError
from wikitown.core.i18n import t
from wikitown.net.mwapi import MediaWikiAPI
from wikitown.publish import decisions, filepage
from wikitown.publish.holds import embedded_creators, hold_reasons
from wikitown.publish.filenames import NameAllocator, build_name, clean_part, describe, normal_key, problems
from wikitown.store.db import draft_revisions, drafts, finds, media, participants, publish_journal
from wikitown.store.sites import table_rows

FILE_NS = "File"
DRAFT_NS_ID = 118
MAX_NAME_ROUNDS = 20
MAX_ORIGINAL_BYTES = 1_000_000_000
# What a read that could not be made (offline, the wiki down) leaves unchecked; the plan still shows.
UNREACHABLE = (ServiceUnavailable, ServiceError)


@dataclass
class Notice:
    """A warning or note for a person, as a message key (shown in their language)."""

    key: str
    params: dict = field(default_factory=dict)

    def message(self, lang: str, *, markdown: bool = False) -> str:
        return t(self.key, lang, markdown=markdown, **self.params)


@dataclass
class FileAction:
    key: str  # journal action key: upload:<sha1 of the bytes>
    kind: str  # upload | link (the same bytes are already on the wiki)
    status: str  # todo | done | blocked | held (waits for the organizer: see ``holds``)
    filename: str  # without the File: prefix
    text: str = ""
    summary: str = ""
    sha1: str = ""
    path: str = ""  # the bytes to upload, relative to the event folder
    size: int = 0
    media_sha1: str = ""
    find_id: str = ""
    site_id: str = ""
    site_name: str = ""
    existing: str = ""  # the file on the wiki holding the same bytes
    retry: bool = False  # an earlier attempt exists: check the wiki before uploading
    notices: list[Notice] = field(default_factory=list)
    # Who uploads (the organizer's account, or the photographer's own for their own work) and who
    # took it; own_work: {{self}}/{{own}} (uploader = photographer), else VRT permission.
    uploader: str = ""
    author: str = ""
    author_user: str = ""
    own_work: bool = False
    vrt_ticket: str = ""
    licence: str = ""
    holds: list[Notice] = field(default_factory=list)  # why it waits for the organizer
    released: bool = False  # held, then released by the organizer
    categories: list[str] = field(default_factory=list)  # as wanted, before the organizer's changes

    @property
    def title(self) -> str:
        return f"{FILE_NS}:{self.existing or self.filename or f'({self.media_sha1[:12]})'}"


@dataclass
class PageAction:
    key: str  # edit:draft:<draft id>:<revision id>
    kind: str  # edit
    status: str  # todo | done | blocked
    title: str
    text: str = ""
    summary: str = ""
    base_revid: int | None = None  # None: the page must not exist (create only)
    draft_id: int = 0
    revision_id: int = 0
    site_id: str = ""
    site_name: str = ""
    notices: list[Notice] = field(default_factory=list)


@dataclass
class CategoryUse:
    """A category the plan's file pages or drafts put pages in, and whether the wiki has it."""

    name: str
    wiki: str  # files | pages
    exists: bool | None  # None: could not be checked (offline)
    used_by: int = 0
    change: str | None = None  # the organizer's rename ("" = dropped); None: used as it is


@dataclass
class Plan:
    event_name: str
    files_api: str
    pages_api: str
    account: str
    files: list[FileAction] = field(default_factory=list)
    pages: list[PageAction] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    categories: list[CategoryUse] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # reads that failed: what could not be checked
    errors: list[WikitownError] = field(default_factory=list)  # why (the first failure of each wiki)

    @property
    def offline(self) -> bool:
        """Something could not be checked on the wiki: fine to look at, not to apply."""
        return bool(self.unchecked)

    def actions(self):
        return [*self.files, *self.pages]

    def missing_categories(self) -> list[CategoryUse]:
        return [c for c in self.categories if c.exists is False and c.change is None]

    def counts(self) -> dict[str, int]:
        out = {"upload": 0, "link": 0, "edit": 0, "done": 0, "blocked": 0, "held": 0}
        for a in self.actions():
            out[a.status if a.status != "todo" else a.kind] += 1
        return out


@dataclass
class PhotoRow:
    media_sha1: str
    find_id: str
    path: str
    width: int | None
    height: int | None
    display_name: str
    publish_path: str
    publish_sha1: str
    taken: str
    lat: float | None
    lon: float | None
    site_id: str
    site_name: str
    site_name_en: str
    municipality: str
    site_lat: float | None
    site_lon: float | None
    commons_category: str
    note: str
    licence: str
    credit: str
    wiki_user: str
    lang: str


def _photo_rows(store) -> tuple[list[PhotoRow], int]:
    """Photos of finds matched to a site; and how many photos have no site yet."""
    j = media.join(finds, media.c.find_id == finds.c.id) \
        .outerjoin(participants, finds.c.participant_id == participants.c.id)
    q = sa.select(
        media.c.sha1, media.c.find_id, media.c.path, media.c.width, media.c.height,
        participants.c.display_name, media.c.publish_path, media.c.publish_sha1, media.c.taken,
        media.c.lat, media.c.lon, finds.c.site_id, finds.c.note,
        sa.func.coalesce(finds.c.licence, participants.c.licence).label("licence"),
        sa.func.coalesce(finds.c.credit, participants.c.display_name).label("credit"),
        participants.c.wiki_user, participants.c.lang,
    ).select_from(j).where(finds.c.site_id.is_not(None))
    with store.read() as conn:  # one snapshot: the photos and the sites they are of
        rows = conn.execute(q).all()
        site = {s["id"]: s for s in table_rows(conn, {r.site_id for r in rows})}
        unmatched = conn.execute(sa.select(sa.func.count()).select_from(
            media.outerjoin(finds, media.c.find_id == finds.c.id)).where(finds.c.site_id.is_(None))).scalar_one()
    out = []
    for r in rows:
        s = site.get(r.site_id)
        if s is None:
            continue
        out.append(PhotoRow(r.sha1, r.find_id or "", r.path or "", r.width, r.height, r.display_name or "",
                            r.publish_path or "", r.publish_sha1 or "",
                            r.taken or "", r.lat, r.lon, r.site_id, s["name"] or "", s["name_en"] or "",
                            s["municipality"] or "", s["lat"], s["lon"], s["commons_category"] or "",
                            r.note or "", r.licence or "", r.credit or "", r.wiki_user or "", r.lang or "ja"))
    out.sort(key=lambda p: (p.site_name, p.taken, p.media_sha1))
    return out, unmatched


def publish_bytes(event, row: PhotoRow) -> tuple[str, str, int]:
    """(sha1, path relative to the event, size) of the JPEG to upload for ``row``.

    Uses ``media.publish_path`` as the finds feature made it; a photo without one (stored
    before that existed, or imported by other means) gets it made now, the same way
    (:func:`wikitown.finds.photos.prepare_photo`), stored in the event's media folder and recorded
    in the row so the next plan (and apply) use the very same bytes."""
    if row.publish_path:
        path = event.path(row.publish_path)
        if path.is_file():
            sha1 = row.publish_sha1 or hashlib.sha1(path.read_bytes()).hexdigest()
            return sha1, row.publish_path, path.stat().st_size
    from wikitown.store.media import put_bytes
    from wikitown.finds.photos import prepare_photo

    if not row.path:
        raise InputError("the photo has no file", key="publish.notice.no_file", sha1=row.media_sha1)
    try:
        data = event.path(row.path).read_bytes()
    except OSError:
        raise InputError(f"the photo file is missing: {row.path}", key="publish.notice.no_file",
                         sha1=row.media_sha1) from None
    # The original was accepted once already; the size limit here only guards memory.
    jpeg = prepare_photo(data, row.path.rsplit("/", 1)[-1], max_bytes=MAX_ORIGINAL_BYTES).publish
    sha1, rel = put_bytes(event.dir, jpeg, "jpg", kind="publish")
    with event.store.write() as conn:
        conn.execute(media.update().where((media.c.sha1 == row.media_sha1) &
                                          (sa.func.coalesce(media.c.publish_path, "") == ""))
                     .values(publish_path=rel, publish_sha1=sha1))
    return sha1, rel, len(jpeg)


def journal_rows(store) -> dict[str, dict]:
    with store.read() as conn:
        return {r["action_key"]: dict(r) for r in conn.execute(sa.select(publish_journal)).mappings()}


def files_by_sha1(api: MediaWikiAPI, sha1s: list[str]) -> dict[str, str]:
    """{sha1: a file name holding those bytes} for the SHA-1s found on the wiki.

    ``list=allimages&aisha1=`` takes one hash a request (the API offers no batch
    for this), so this is one small request per photo."""
    found: dict[str, str] = {}
    for sha1 in dict.fromkeys(sha1s):
        for part in api.query({"list": "allimages", "aisha1": sha1, "ailimit": 5, "aiprop": "sha1"}):
            for img in part.get("allimages", []):
                found.setdefault(sha1, img["name"].replace("_", " "))
            break
    return found


def files_with_prefixes(api: MediaWikiAPI, descriptions: list[str]) -> set[str]:
    """Normalised names of the wiki's files starting with any of ``descriptions``."""
    names: set[str] = set()
    for desc in dict.fromkeys(descriptions):
        prefix = build_name(desc, 1, "x").rsplit(" ", 1)[0].replace(" ", "_")  # cleaned as names are
        for part in api.query({"list": "allimages", "aiprefix": prefix, "ailimit": "max", "aiprop": ""}):
            names.update(normal_key(img["name"].replace("_", " ")) for img in part.get("allimages", []))
    return names


def draft_target(title: str, location: str, has_draft_ns: bool, account: str) -> str:
    title = clean_part(title)
    if location == "draft" and has_draft_ns:
        return f"Draft:{title}"
    return f"User:{account}/{title}"


def _has_draft_namespace(api: MediaWikiAPI) -> bool:
    info = api.siteinfo()
    for ns in (info.get("namespaces") or {}).values():
        if ns.get("canonical") == "Draft" or ns.get("name") == "Draft" or ns.get("id") == DRAFT_NS_ID:
            return True
    return False


def _file_summary(event_name: str, lang: str) -> str:
    return clean_part(t("publish.summary.upload", lang, event=event_name))


def _edit_summary(event_name: str, lang: str) -> str:
    return clean_part(t("publish.summary.edit", lang, event=event_name))


class _StopsWhenDown(MediaWikiAPI):
    """The same API, but once the wiki could not be reached, later reads fail at once
    (offline, each read would wait for its own timeouts and retries)."""

    def __init__(self, api: MediaWikiAPI):
        super().__init__(api.api_url, api.client, service=api.service, batch=api.batch)
        self.down: ServiceUnavailable | None = None

    def call(self, params: dict, *, post: bool = False) -> dict:
        if self.down is not None:
            raise self.down
        try:
            return super().call(params, post=post)
        except ServiceUnavailable as exc:
            self.down = exc
            raise


def build_plan(event, files_api: MediaWikiAPI, pages_api: MediaWikiAPI | None = None, *, account: str = "",
               progress=None, own_accounts=()) -> Plan:
    """The full plan for ``event`` (see the module doc). ``progress(done, total)``
    is called while photos are prepared. ``account`` is the organizer's publishing account;
    ``own_accounts`` the photographers who sign in to upload their own photos in this run
    (their photos get {{self}}; everyone else's go up under ``account`` with VRT permission).
    A read the wiki does not answer (offline) leaves that check undone and says so
    (``plan.unchecked``); the rest of the plan is still made."""
    same = pages_api is None or pages_api is files_api
    files_api = _StopsWhenDown(files_api)
    pages_api = files_api if same else _StopsWhenDown(pages_api)
    cfg = event.config
    plan = Plan(cfg.name, files_api.api_url, pages_api.api_url, account)
    journal = journal_rows(event.store)
    _plan_files(event, plan, files_api, journal, progress, list(own_accounts))
    _plan_pages(event, plan, pages_api, journal)
    _plan_categories(event, plan, files_api, pages_api)
    if plan.unchecked:
        plan.notices.insert(0, Notice("publish.notice.offline", {}))
    return plan


def _unreachable(plan: Plan, what: str, actions=(), error: WikitownError | None = None) -> None:
    plan.unchecked.append(what)
    if error is not None and str(error) not in {str(e) for e in plan.errors}:
        plan.errors.append(error)
    for a in actions:
        a.notices.append(Notice(f"publish.notice.unchecked.{what}", {}))


def _route(plan: Plan, row: PhotoRow, own_accounts: list[str]) -> tuple[str, bool]:
    """(uploading account, own work?) for a photo: the photographer's own account when they
    sign in for this upload (or are the publishing account); else the organizer's, as not own work."""
    user = row.wiki_user.strip() if filepage.valid_username(row.wiki_user) else ""
    if user and any(filepage.same_user(user, a) for a in [*own_accounts, plan.account] if a):
        return user, True
    return plan.account, False


def _long_side(event, row: PhotoRow, rel: str) -> int | None:
    if row.width and row.height:
        return max(row.width, row.height)
    from PIL import Image

    try:
        with Image.open(event.path(rel)) as im:  # the header only: no decode
            return max(im.size)
    except Exception:  # noqa: BLE001 - an unreadable copy is reported when it is uploaded
        return None


def _plan_files(event, plan: Plan, api: MediaWikiAPI, journal: dict, progress, own_accounts) -> None:
    cfg = event.config
    rows, unmatched = _photo_rows(event.store)
    if unmatched:
        plan.notices.append(Notice("publish.notice.unmatched", {"count": unmatched}))
    summary = _file_summary(cfg.name, cfg.wiki)
    released = decisions.released(event.store)
    tickets = decisions.vrt_tickets(event.store)
    renames = decisions.category_changes(event.store)
    allocator = NameAllocator()
    pending: list[FileAction] = []  # actions still to do
    to_name: list[tuple[FileAction, str]] = []  # new actions and their description
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if progress:
            progress(i, len(rows))
        try:
            sha1, rel, size = publish_bytes(event, row)
        except WikitownError as exc:
            plan.files.append(FileAction(f"upload:media:{row.media_sha1}", "upload", "blocked", "",
                                         media_sha1=row.media_sha1, find_id=row.find_id, site_id=row.site_id,
                                         site_name=row.site_name,
                                         notices=[Notice(exc.key, {**exc.params, "reason": str(exc)})]))
            continue
        key = f"upload:{sha1}"
        if key in seen:
            continue
        seen.add(key)
        uploader, own_work = _route(plan, row, own_accounts)
        went_up = journal.get(key) or {}
        payload = (went_up.get("payload") or {}) if went_up.get("status") == "done" else {}
        if "own_work" in payload:  # a file on the wiki keeps the route it went up by, whoever signs in now
            uploader, own_work = payload.get("uploader") or uploader, bool(payload["own_work"])
        author = row.credit.strip() or row.wiki_user.strip()
        ticket = "" if own_work else (tickets.get(decisions.author_key(author)) or
                                      tickets.get(decisions.author_key(row.wiki_user)) or "")
        wanted = filepage.categories_for(row.commons_category, cfg.event_category, cfg.commons_categories)
        categories = []  # as the organizer changed them (renamed, dropped)
        for cat in wanted:
            new = renames.get(cat, cat)
            if new and new not in categories:
                categories.append(new)
        info = filepage.FilePageInfo(
            site_name=row.site_name, site_name_en=row.site_name_en, municipality=row.municipality or
            cfg.area.municipality, event_name=cfg.name, note=row.note, note_lang=row.lang, taken=row.taken,
            credit=row.credit, wiki_user=row.wiki_user, licence=row.licence or cfg.licence, lat=row.lat,
            lon=row.lon, site_lat=row.site_lat, site_lon=row.site_lon, categories=categories,
            uploader=uploader, own_work=own_work, vrt_ticket=ticket)
        action = FileAction(key, "upload", "todo", "", summary=summary, sha1=sha1, path=rel, size=size,
                            media_sha1=row.media_sha1, find_id=row.find_id, site_id=row.site_id,
                            site_name=row.site_name, uploader=uploader, author=author,
                            author_user=row.wiki_user.strip(), own_work=own_work, vrt_ticket=ticket,
                            categories=wanted, licence=info.licence)
        if not row.licence:
            action.notices.append(Notice("publish.notice.default_licence", {"licence": cfg.licence}))
        if row.wiki_user and not filepage.valid_username(row.wiki_user):
            action.notices.append(Notice("publish.notice.bad_username", {"user": row.wiki_user}))
        if not own_work:
            action.notices.append(Notice("publish.notice.vrt_ticket" if ticket else "publish.notice.vrt_pending",
                                         {"author": author, "ticket": ticket}))
        try:
            action.text = filepage.text(info)
        except WikitownError as exc:
            action.status = "blocked"
            action.notices.append(Notice(exc.key, exc.params))
        creators = embedded_creators(event.path(row.path)) if row.path else []
        for reason_key, params in hold_reasons(
                photo_lat=row.lat, photo_lon=row.lon, site_lat=row.site_lat, site_lon=row.site_lon,
                taken=filepage.iso_date(row.taken), long_side=_long_side(event, row, rel), creators=creators,
                credited=[row.credit, row.wiki_user, row.display_name], max_distance_m=cfg.publish_max_distance_m,
                min_long_side=cfg.publish_min_long_side):
            action.holds.append(Notice(reason_key, params))
        done = journal.get(key)
        if done and done["status"] == "done":
            action.status, action.kind = "done", done["kind"]
            action.filename = done["target"]
            if done["kind"] == "link":
                action.existing = done["target"]
            allocator.reserve(done["target"])
        elif action.holds and row.media_sha1 not in released and action.status == "todo":
            action.status = "held"  # not uploaded until the organizer releases it
        elif done:
            action.retry = (done.get("attempts") or 0) > 0
            action.filename = done["target"]  # keep the name an earlier attempt may have used
            allocator.reserve(done["target"])
            pending.append(action)
        else:
            # No date known: none in the name either (never the event's date as if it were the photo's).
            date = filepage.iso_date(row.taken)
            to_name.append((action, describe(row.site_name, row.municipality or cfg.area.municipality, date)))
            pending.append(action)
        if action.holds and row.media_sha1 in released:
            action.released = True
            action.notices.append(Notice("publish.notice.released", {"by": released[row.media_sha1].get("by")
                                                                     or "-"}))
        plan.files.append(action)
    if progress:
        progress(len(rows), len(rows))
    # Names are numbered in shooting order after the names the wiki already has for the same
    # description (one prefix query per site and day), so a clash never surfaces halfway through.
    try:
        on_wiki_names = files_with_prefixes(api, [d for _, d in to_name]) if to_name else set()
    except UNREACHABLE as exc:
        on_wiki_names = set()
        _unreachable(plan, "names", [a for a, _ in to_name], exc)
    for name in on_wiki_names:
        allocator.reserve(name)
    position: dict[str, int] = {}
    for action, desc in to_name:
        position[desc] = position.get(desc, 0) + 1
        action.filename = allocator.allocate(desc, "jpg")
        first_choice = build_name(desc, position[desc], "jpg")
        if action.filename != first_choice and normal_key(first_choice) in on_wiki_names:
            action.notices.append(Notice("publish.notice.name_taken", {"name": first_choice,
                                                                        "new": action.filename}))
    for action in pending:
        for problem in (problems(action.filename) if action.status == "todo" else []):
            action.status = "blocked"
            action.notices.append(Notice(f"publish.notice.name_{problem}", {"name": action.filename}))
    todo = [a for a in pending if a.status == "todo"]
    if not todo:
        return
    # The same bytes already on the wiki: link to that file instead of uploading again.
    try:
        on_wiki = files_by_sha1(api, [a.sha1 for a in todo])
    except UNREACHABLE as exc:
        _unreachable(plan, "duplicates", todo, exc)
        return
    for a in todo:
        if a.sha1 in on_wiki:
            a.existing = on_wiki[a.sha1]
            if a.retry:  # our own earlier attempt reached the wiki: apply marks it done
                a.notices.append(Notice("publish.notice.found_earlier", {"name": a.existing}))
            else:
                a.kind = "link"
                a.notices.append(Notice("publish.notice.duplicate", {"name": a.existing}))
    uploads = [a for a in todo if a.kind == "upload" and not a.existing]
    # Names already taken on the wiki (by other bytes): pick the next free number.
    for _round in range(MAX_NAME_ROUNDS):
        try:
            pages = api.pages_by_titles([f"{FILE_NS}:{a.filename}" for a in uploads], prop="imageinfo",
                                        iiprop="sha1")
        except UNREACHABLE as exc:
            _unreachable(plan, "names", uploads, exc)
            return
        clashes = []
        for a in uploads:
            page = pages.get(f"{FILE_NS}:{a.filename}", {})
            if not page.get("missing") or page.get("redirected_from"):
                clashes.append(a)
        if not clashes:
            return
        for a in clashes:
            taken = a.filename
            allocator.reserve(taken)
            stem = taken.rsplit(" ", 1)[0]  # the description without the number
            a.filename = allocator.allocate(stem, "jpg")
            a.notices.append(Notice("publish.notice.name_taken", {"name": taken, "new": a.filename}))
        uploads = clashes
    for a in uploads:
        a.status = "blocked"
        a.notices.append(Notice("publish.notice.no_free_name", {"name": a.filename}))


def _approved_drafts(store) -> list:
    from wikitown.store.db import draft_bases

    q = (sa.select(drafts.c.id, drafts.c.site_id, drafts.c.title, draft_revisions.c.id.label("revision_id"),
                   draft_revisions.c.wikitext, drafts.c.state,
                   drafts.c.published_title, draft_bases.c.title.label("base_title"),
                   draft_bases.c.revid.label("base_revid"), draft_bases.c.wikitext.label("base_text"))
         .select_from(drafts.join(draft_revisions, drafts.c.current_revision_id == draft_revisions.c.id)
                      .outerjoin(draft_bases, draft_bases.c.draft_id == drafts.c.id))
         .where(drafts.c.state.in_(("approved", "published"))).order_by(drafts.c.id))
    with store.read() as conn:
        rows = conn.execute(q).all()
        names = {s["id"]: s["name"] for s in table_rows(conn, {r.site_id for r in rows if r.site_id})}
    return [SimpleNamespace(**r._mapping, site_name=names.get(r.site_id)) for r in rows]


def _plan_pages(event, plan: Plan, api: MediaWikiAPI, journal: dict) -> None:
    cfg = event.config
    rows = _approved_drafts(event.store)
    if not rows:
        return
    try:
        has_draft_ns = _has_draft_namespace(api)
    except UNREACHABLE as exc:  # offline: shown where the event's setting puts drafts, marked unchecked
        has_draft_ns = cfg.draft_location == "draft"
        _unreachable(plan, "namespaces", (), exc)
    if cfg.draft_location == "draft" and not has_draft_ns:
        plan.notices.append(Notice("publish.notice.no_draft_namespace", {"account": plan.account}))
    if (cfg.draft_location == "user" or not has_draft_ns) and not plan.account:
        plan.notices.append(Notice("publish.notice.no_account", {}))
    summary = _edit_summary(cfg.name, cfg.wiki)
    # Pages wikitown itself wrote, with the revision it left: only those may be updated.
    ours = {r["target"]: (r.get("result") or {}).get("revid") for r in journal.values()
            if r["kind"] == "edit" and r["status"] == "done"}
    actions = []
    edits: list[PageAction] = []  # edits of existing articles: checked against their base revision
    for r in rows:
        if r.base_title:
            action = _article_edit(r, summary, journal)
            actions.append(action)
            if action.status == "todo":
                edits.append(action)
            continue
        title = draft_target(r.title, cfg.draft_location, has_draft_ns, plan.account or "?")
        # MediaWiki strips trailing whitespace on save: plan the text as the wiki will hold it.
        action = PageAction(f"edit:draft:{r.id}:{r.revision_id}", "edit", "todo", title, r.wikitext.rstrip(),
                            summary,
                            draft_id=r.id, revision_id=r.revision_id, site_id=r.site_id or "",
                            site_name=r.site_name or "")
        if title.startswith("User:") and not plan.account:
            action.status = "blocked"  # no account, no user page to put it under
            action.notices.append(Notice("publish.notice.no_account", {}))
        stem = title.split(":", 1)[1]
        if clean_part(r.title) != r.title.strip() or not clean_part(r.title):
            action.notices.append(Notice("publish.notice.title_cleaned", {"title": r.title, "new": stem}))
        if len(title.encode("utf-8")) > 255:
            action.status = "blocked"
            action.notices.append(Notice("publish.notice.name_too_long", {"name": title}))
        entry = journal.get(action.key)
        if r.state == "published":  # shown for the full picture; nothing to do
            action.status = "done"
            action.title = r.published_title or (entry or {}).get("target") or title
        elif entry and entry["status"] == "done":
            action.status = "done"
            action.title = entry["target"]
        elif entry:
            action.title = entry["target"]
        actions.append(action)
    todo = [a for a in actions if a.status == "todo" and all(a is not e for e in edits)]
    try:
        pages = api.pages_by_titles([a.title for a in todo + edits], prop="revisions", rvprop="ids|user")
    except UNREACHABLE as exc:
        _unreachable(plan, "pages", todo + edits, exc)
        plan.pages.extend(actions)
        return
    for a in edits:
        page = pages.get(a.title, {})
        latest = page.get("lastrevid") or (page.get("revisions") or [{}])[0].get("revid")
        if page.get("missing") or page.get("redirected_from"):
            a.status = "blocked"
            a.notices.append(Notice("publish.notice.article_gone", {"title": a.title}))
        elif latest != a.base_revid:  # edited since the draft was made: never overwrite that edit
            a.status = "blocked"
            a.notices.append(Notice("publish.notice.article_changed",
                                    {"title": a.title, "base": a.base_revid, "latest": latest}))
    for a in todo:
        page = pages.get(a.title, {})
        if page.get("missing") and not page.get("redirected_from"):
            a.base_revid = None
            continue
        latest = page.get("lastrevid") or (page.get("revisions") or [{}])[0].get("revid")
        mine = ours.get(a.title)
        if mine and latest == mine:
            a.base_revid = latest  # wikitown's own page, unchanged since: may be updated
            a.notices.append(Notice("publish.notice.update_own", {"title": a.title}))
        elif mine:
            a.status = "blocked"
            a.notices.append(Notice("publish.notice.changed_since", {"title": a.title}))
        else:
            a.status = "blocked"
            a.notices.append(Notice("publish.notice.exists_not_ours", {"title": a.title}))
    plan.pages.extend(actions)


CATEGORY_PREFIXES = {"category", "カテゴリ"}


def _category_prefixes(api: MediaWikiAPI) -> set[str]:
    prefixes = set(CATEGORY_PREFIXES)
    try:
        for ns in (api.siteinfo().get("namespaces") or {}).values():
            if ns.get("id") == 14:
                prefixes.update(str(ns.get(k, "")).casefold() for k in ("name", "canonical") if ns.get(k))
    except UNREACHABLE:
        pass
    return prefixes


def page_categories(text: str, prefixes=CATEGORY_PREFIXES) -> list[str]:
    """The categories a page's wikitext puts it in ([[Category:X]], [[カテゴリ:X|sort]])."""
    import mwparserfromhell

    out = []
    for link in mwparserfromhell.parse(text or "").filter_wikilinks(recursive=True):
        prefix, sep, name = str(link.title).partition(":")
        if sep and prefix.strip().casefold() in prefixes and not str(link.title).startswith(":"):
            name = filepage.category_name(name)
            if name and name not in out:
                out.append(name)
    return out


def rename_categories(text: str, changes: dict[str, str], prefixes=CATEGORY_PREFIXES) -> str:
    """``text`` with the organizer's category changes made: renamed, or dropped ("")."""
    import mwparserfromhell

    code = mwparserfromhell.parse(text or "")
    for link in code.filter_wikilinks(recursive=True):
        prefix, sep, name = str(link.title).partition(":")
        if not sep or prefix.strip().casefold() not in prefixes:
            continue
        name = filepage.category_name(name)
        if name not in changes:
            continue
        if changes[name]:
            link.title = f"{prefix}:{changes[name]}"
        else:
            code.remove(link)
    return str(code)


def _plan_categories(event, plan: Plan, files_api: MediaWikiAPI, pages_api: MediaWikiAPI) -> None:
    """Every category the file pages and drafts would use, and whether each wiki has it
    (one batched query per wiki); the organizer's renames and drops are applied to drafts here
    (file pages got them when they were built)."""
    changes = decisions.category_changes(event.store)
    uses: dict[tuple[str, str], CategoryUse] = {}

    def use(wiki, name):
        entry = uses.setdefault((wiki, name), CategoryUse(name, wiki, None, 0, changes.get(name)))
        entry.used_by += 1

    for a in plan.files:
        if a.status in ("todo", "held"):
            for cat in a.categories:
                use("files", cat)
    page_prefixes = _category_prefixes(pages_api) if any(a.status == "todo" for a in plan.pages) else set()
    for a in plan.pages:
        if a.status != "todo":
            continue
        for cat in page_categories(a.text, page_prefixes):
            use("pages", cat)
        if changes:
            a.text = rename_categories(a.text, changes, page_prefixes)
    for wiki, api in (("files", files_api), ("pages", pages_api)):
        names = [u.name if u.change is None else (u.change or "") for (w, _), u in uses.items() if w == wiki]
        names = [n for n in names if n]
        if not names:
            continue
        try:
            pages = api.pages_by_titles([f"Category:{n}" for n in names])
        except UNREACHABLE as exc:
            _unreachable(plan, "categories", (), exc)
            continue
        for (w, _), u in uses.items():
            if w != wiki:
                continue
            target = u.name if u.change is None else u.change
            if not target:
                continue
            page = pages.get(f"Category:{target}", {})
            u.exists = not page.get("missing")
    plan.categories = sorted(uses.values(), key=lambda u: (u.wiki, u.exists is not False, u.name))
    missing = [u.name for u in plan.missing_categories()]
    if missing:
        plan.notices.append(Notice("publish.notice.missing_categories", {"count": len(missing),
                                                                         "names": ", ".join(missing)}))


def category_line(c: CategoryUse, lang: str) -> str:
    state = "unchecked" if c.exists is None else "exists" if c.exists else "missing"
    if c.change == "":
        state = "dropped"
    elif c.change:
        state = f"renamed_{state}"
    return t(f"publish.plan.category.{state}", lang, name=c.name, new=c.change or "", count=c.used_by,
             wiki=t(f"publish.plan.wiki.{c.wiki}", lang))


def _article_edit(r, summary: str, journal: dict) -> PageAction:
    """The page action for a draft that edits an existing article: the article's own title, the
    revision the draft was made against as the base (the edit never creates a page)."""
    action = PageAction(f"edit:draft:{r.id}:{r.revision_id}", "edit", "todo", r.base_title, r.wikitext.rstrip(),
                        summary, base_revid=int(r.base_revid), draft_id=r.id, revision_id=r.revision_id,
                        site_id=r.site_id or "", site_name=r.site_name or "")
    action.notices.append(Notice("publish.notice.edit_article", {"title": r.base_title, "base": r.base_revid}))
    if action.text == (r.base_text or "").rstrip():
        action.status = "blocked"
        action.notices.append(Notice("publish.notice.edit_nothing", {"title": r.base_title}))
    entry = journal.get(action.key)
    if r.state == "published" or (entry and entry["status"] == "done"):
        action.status = "done"
        action.title = r.published_title or r.base_title
    return action


def render_plan(plan: Plan, lang: str) -> str:
    """The plan as text: every file name, file page and summary; every page and its text."""
    tr = lambda key, **p: t(key, lang, **p)  # noqa: E731
    out = [tr("publish.plan.header", event=plan.event_name, files=plan.files_api, pages=plan.pages_api,
              account=plan.account or "-")]
    c = plan.counts()
    out.append(tr("publish.plan.counts", **c))
    for n in plan.notices:
        out.append("! " + n.message(lang))
    for e in plan.errors:
        out.append("! " + e.message(lang))
    if plan.categories:
        out.append("")
        out.append(tr("publish.plan.categories"))
        for c in plan.categories:
            out.append("  " + category_line(c, lang))
    for a in plan.files:
        out.append("")
        out.append("=" * 72)
        out.append(tr(f"publish.plan.file.{a.status if a.status != 'todo' else a.kind}",
                      title=a.title, site=a.site_name, size=a.size, sha1=a.sha1, media=a.media_sha1,
                      find=a.find_id))
        if a.author:
            out.append(tr("publish.plan.route.own" if a.own_work else "publish.plan.route.vrt",
                          author=a.author, uploader=a.uploader or tr("publish.plan.organizer_account")))
        for n in a.holds:
            out.append(("* " if a.released else "? ") + n.message(lang))
        for n in a.notices:
            out.append("! " + n.message(lang))
        if a.status in ("todo", "held") and a.kind == "upload":
            out.append(tr("publish.plan.summary", summary=a.summary))
            out.append("-" * 72)
            out.append(a.text.rstrip("\n"))
    for a in plan.pages:
        out.append("")
        out.append("=" * 72)
        out.append(tr(f"publish.plan.page.{a.status if a.status != 'todo' else 'edit'}", title=a.title,
                      site=a.site_name, base=a.base_revid or "-"))
        for n in a.notices:
            out.append("! " + n.message(lang))
        if a.status == "todo":
            out.append(tr("publish.plan.summary", summary=a.summary))
            out.append("-" * 72)
            out.append(a.text.rstrip("\n"))
    return "\n".join(out) + "\n"


