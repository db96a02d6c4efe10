"""Permission for photos the uploader did not take (the VRT route).

When the organizer's account uploads a participant's photo, the file page names the photographer
and their licence and carries ``{{Permission pending}}``. The photographer then sends a
declaration of consent listing their files to the Volunteer Response Team
(permissions-commons@wikimedia.org); VRT answers with a ticket number.
:func:`declarations` writes that declaration (Japanese and English) per photographer;
:func:`apply_ticket` records the ticket and replaces the pending tag with
``{{PermissionTicket|id=...}}`` on every file of that photographer (journaled edits: running it
again changes nothing that is done).
"""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from wikitown.core.errors import InputError, WikitownError
from wikitown.core.fsutil import atomic_write_bytes
from wikitown.publish import decisions
from wikitown.publish.apply import ApplyResult, ItemResult, _finish, classify, journal, record_pending
from wikitown.publish.filepage import FilePageError, with_ticket
from wikitown.net.wiki import Wiki, scrub

VRT_ADDRESS = "permissions-commons@wikimedia.org"
CONSENT_DIR = "publish/consent"
LICENCE_NAMES = {
    "cc-by-sa-4.0": ("クリエイティブ・コモンズ 表示-継承 4.0 国際 (CC BY-SA 4.0)",
                     "Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)"),
    "cc-by-4.0": ("クリエイティブ・コモンズ 表示 4.0 国際 (CC BY 4.0)",
                  "Creative Commons Attribution 4.0 International (CC BY 4.0)"),
    "cc0": ("CC0 1.0 全世界 パブリック・ドメイン提供", "CC0 1.0 Universal Public Domain Dedication"),
}

# The declaration Commons asks for (Commons:Email templates/Consent), in both languages.
CONSENT = {
    "ja": """件名: 写真の利用許諾（{event}）

私、{author} は、以下の写真の著作者であり、その著作権を単独で保有していることを表明します。

{files}

私は、これらの写真を自由なライセンス「{licence}」のもとで公開することに同意します。

このことにより、このライセンスの条件と適用される法律を守る限り、誰もがこれらの写真を、商用を含むあらゆる目的で利用し、必要に応じて改変できることを了承します。
この同意がウィキペディアやその関連サイトに限られないことを了承します。
著作権は引き続き私が保有し、選んだライセンスに従って著作者として表示される権利を持つことを了承します。他者による改変が私によるものとされることはありません。
この同意は取り消せないこと、また写真がウィキメディアのプロジェクトに恒久的に保存されるとは限らないことを了承します。

{author}（著作権者）
{date}
""",
    "en": """Subject: Permission for photos ({event})

I hereby affirm that I, {author}, am the creator and the sole owner of the exclusive copyright of the following media works:

{files}

I agree to publish the above-mentioned works under the free license {licence}.

I acknowledge that by doing so I grant anyone the right to use the work, even in a commercial product or otherwise, and to modify it according to their needs, provided that they abide by the terms of the license and any other applicable laws.
I am aware that this agreement is not limited to Wikipedia or related sites.
I am aware that I always retain copyright of my work, and retain the right to be attributed in accordance with the license chosen. Modifications others make to the work will not be claimed to have been made by me.
I acknowledge that I cannot withdraw this agreement, and that the content may or may not be kept permanently on a Wikimedia project.

{author}, copyright holder
{date}
""",
}


def file_url(api_url: str, filename: str) -> str:
    """The address of File:``filename`` on the wiki whose API is ``api_url``."""
    title = urllib.parse.quote(f"File:{filename}".replace(" ", "_"), safe=":/()_,")
    if api_url.endswith("/w/api.php"):
        return api_url[: -len("/w/api.php")] + "/wiki/" + title
    return api_url.rsplit("/", 1)[0] + "/index.php?title=" + title


@dataclass
class AuthorFiles:
    author: str
    author_user: str = ""
    licence: str = ""
    files: list[str] = field(default_factory=list)  # file names, uploaded or planned


def authors_needing_permission(plan) -> list[AuthorFiles]:
    """Photographers whose photos go up (or went up) under someone else's account, with their files."""
    found: dict[str, AuthorFiles] = {}
    for a in plan.files:
        if a.own_work or not a.author or a.status == "blocked" or a.kind == "link":
            continue  # a link: the same bytes were already on the wiki, not our file page
        entry = found.setdefault(decisions.author_key(a.author), AuthorFiles(a.author, a.author_user))
        entry.licence = entry.licence or a.licence
        if a.filename and a.filename not in entry.files:
            entry.files.append(a.filename)
    return sorted(found.values(), key=lambda e: e.author)


def declaration(entry: AuthorFiles, lang: str, *, event_name: str, api_url: str, date: str = "") -> str:
    licence_ja, licence_en = LICENCE_NAMES.get(entry.licence, LICENCE_NAMES["cc-by-sa-4.0"])
    files = "\n".join(f"- File:{name}\n  {file_url(api_url, name)}" for name in entry.files)
    return CONSENT[lang].format(author=entry.author, event=event_name, files=files,
                                licence=licence_ja if lang == "ja" else licence_en,
                                date=date or time.strftime("%Y-%m-%d"))


def _safe_file_part(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name.strip())
    return keep[:60] or "author"


def declarations(event, plan) -> list[tuple[AuthorFiles, dict[str, Path]]]:
    """Write each photographer's declaration of consent (ja, en) into the event folder
    (``publish/consent/<author>.<lang>.txt``), for them to send to VRT. Returns what was written."""
    out = []
    for entry in authors_needing_permission(plan):
        if not entry.files:
            continue
        paths = {}
        for lang in ("ja", "en"):
            text = declaration(entry, lang, event_name=plan.event_name, api_url=plan.files_api)
            path = event.dir / CONSENT_DIR / f"{_safe_file_part(entry.author)}.{lang}.txt"
            atomic_write_bytes(path, text.encode("utf-8"))
            paths[lang] = path
        out.append((entry, paths))
    return out


# --------------------------------------------------------------------------------------------
# the ticket


def files_of_author(store, author: str) -> list[dict]:
    """Journal rows of files uploaded for ``author`` (credit or user name) under another account."""
    key = decisions.author_key(author)
    rows = []
    for row in journal(store, "done"):
        payload = row.get("payload") or {}
        if row["kind"] != "upload" or payload.get("own_work"):
            continue
        if key in (decisions.author_key(payload.get("author", "")), decisions.author_key(payload.get("author_user", ""))):
            rows.append(row)
    return rows


class _TicketAction:
    def __init__(self, key: str):
        self.key = key


def apply_ticket(event, author: str, ticket: str, wiki: Wiki | None, *, progress=None) -> ApplyResult:
    """Record ``ticket`` for ``author`` (the next plans use it) and put it on every file of theirs
    already on the wiki: ``{{Permission pending}}`` becomes ``{{PermissionTicket|id=ticket}}``.
    Each edit is journaled (``edit:vrt:<upload key>:<ticket>``); a page that already carries
    the ticket is left alone. ``wiki`` may be None to record the ticket only."""
    if decisions.author_key(author) not in decisions.known_authors(event.store):
        raise InputError(f"nobody named {author!r} took photos in this event", key="publish.error.unknown_author",
                         author=author)
    decisions.set_ticket(event.store, author, ticket)
    ticket = ticket.strip()
    rows = files_of_author(event.store, author)  # none yet: the ticket goes on their next uploads
    result = ApplyResult()
    started = time.perf_counter()
    for i, row in enumerate(rows):
        title = (row.get("result") or {}).get("title") or f"File:{row['target']}"
        action = _TicketAction(f"edit:vrt:{row['action_key']}:{ticket}")
        entry = record_pending(event.store, action, "edit", title, {"title": title, "ticket": ticket,
                                                                    "author": author})
        if entry["status"] == "done":
            item = ItemResult(action.key, "edit", title, "skipped", "done")
        elif wiki is None:
            item = ItemResult(action.key, "edit", title, "skipped", "no_login")
        else:
            item = _put_ticket(event, wiki, action.key, title, ticket)
        result.items.append(item)
        if progress:
            progress(i + 1, len(rows), item)
    result.total_seconds = time.perf_counter() - started
    return result


def _put_ticket(event, wiki: Wiki, key: str, title: str, ticket: str) -> ItemResult:
    import pywikibot

    from wikitown.publish.apply import _Runner, _start_attempt

    try:
        page = pywikibot.FilePage(wiki.site, title)
        old = page.get(force=True)
        try:
            new = with_ticket(old, ticket)
        except FilePageError as exc:
            _finish(event.store, key, "failed", error=f"no_pending_tag: {exc}")
            return ItemResult(key, "edit", title, "failed", "no_pending_tag", str(exc))
        if new == old:
            _finish(event.store, key, "done", result={"title": title, "revid": page.latest_revision_id,
                                                      "unchanged": True})
            return ItemResult(key, "edit", title, "done", "unchanged")
        _start_attempt(event.store, key)
        page.text = new
        summary = f"VRT permission ticket {ticket}"
        base = page.latest_revision_id

        def save():
            return wiki.site.editpage(page, summary=summary, minor=False, text=new, nocreate=True,
                                      baserevid=base)

        _Runner._with_session(wiki, save)
        _finish(event.store, key, "done", result={"title": title, "revid": page.latest_revision_id})
        return ItemResult(key, "edit", title, "done")
    except WikitownError:
        raise
    except Exception as exc:  # one file's failure never stops the rest
        reason, detail = classify(exc)
        _finish(event.store, key, "failed", error=f"{reason}: {scrub(detail)}")
        return ItemResult(key, "edit", title, "failed", reason, detail)
