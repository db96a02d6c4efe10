"""Publishing an event's work: photos to Wikimedia Commons, drafts to Wikipedia.

``plan`` first (reads only; shows every file name, file page, page and text),
then ``apply`` (pywikibot; journaled, so it can always be run again).
The command line (``python -m wikitown publish``) and the organizer page call
these functions.
"""

from __future__ import annotations

import time

from wikitown.net.mwapi import MediaWikiAPI
from wikitown.net.wiki import SessionBotPassword, WikiSpec, api_url_of, configured_user, connect


def wiki_specs(event, *, family: str = "", lang: str = "", api_url: str = "", user: str = "",
               files_family: str = "", files_lang: str = "", files_api_url: str = "") -> tuple[WikiSpec, WikiSpec]:
    """(where files go, where drafts go). By default Commons and the event's Wikipedia;
    ``family``/``lang``/``api_url`` name one wiki for both (a test wiki, a local wiki),
    ``files_*`` override the files' wiki alone. With none given, a wiki the event's services name
    (``[services]`` or ``WIKITOWN_WIKI_API_URL`` / ``WIKITOWN_COMMONS_API_URL``) is the default, so
    publishing reads and writes the wiki the gaps and the report read."""
    default_pages = "" if family or api_url else _configured_service(event, "wiki_api")
    pages = WikiSpec(family or "wikipedia", lang or (event.config.wiki if not family else family),
                     api_url or default_pages, user)
    if files_family or files_lang or files_api_url:
        files = WikiSpec(files_family or "commons", files_lang or files_family or "commons", files_api_url, user)
    elif family or api_url:
        files = WikiSpec(pages.family, pages.code, api_url, user)
    else:
        files = WikiSpec("commons", "commons", _configured_service(event, "commons_api"), user)
    return files, pages


def _configured_service(event, name: str) -> str:
    """The event's endpoint for service ``name`` when it is not the public default, else ""."""
    from wikitown.core.services import DEFAULTS

    url = event.service(name)
    return "" if url == DEFAULTS[name].replace("{lang}", event.config.wiki) else url


def make_plan(event, files_spec: WikiSpec, pages_spec: WikiSpec, *, progress=None, account: str = "",
              bot_password: SessionBotPassword | None = None, own_accounts=()):
    """Build the plan: reads the wikis with wikitown's own HTTP client (no login, no pywikibot
    configuration needed; offline, the plan shows what could not be checked); writes nothing.
    ``own_accounts``: photographers signing in to upload their own photos in this publish."""
    from wikitown.publish.plan import build_plan

    client = event.http_client(cached=False)
    files_url, pages_url = api_url_of(files_spec), api_url_of(pages_spec)
    # Messages name the wiki by its API address: the organizer typed it or configured it.
    files_api = MediaWikiAPI(files_url, client, service=files_url)
    pages_api = files_api if pages_url == files_url else MediaWikiAPI(pages_url, client, service=pages_url)
    account = account or (bot_password.user if bot_password else "") or configured_user(pages_spec)
    own = [a.user if isinstance(a, SessionBotPassword) else str(a) for a in own_accounts]
    return build_plan(event, files_api, pages_api, account=account, progress=progress, own_accounts=own)


def run_apply(event, plan, files_spec: WikiSpec, pages_spec: WikiSpec, *,
              bot_password: SessionBotPassword | None = None, progress=None, chunk_size: int | None = None,
              author_logins: dict | list | None = None):
    """Log in and carry out ``plan``; log out afterwards (see :meth:`Wiki.close`).

    Photos marked as their photographer's own work go up first, each photographer signed in
    with their own login from ``author_logins`` (a list of :class:`SessionBotPassword`, or
    {user: login}), one after the other; then everything else under the organizer's account
    (``bot_password``, or pywikibot's user-config). A plan made offline is refused: make it
    again with the wiki reachable."""
    from dataclasses import replace

    from wikitown.core.errors import WikitownError
    from wikitown.publish.apply import CHUNK_SIZE, ApplyResult, apply_files_as, apply_plan
    from wikitown.publish.filepage import same_user

    if plan.offline:
        raise WikitownError("the plan was made without reaching the wiki; make it again online",
                            key="publish.error.plan_offline")
    started = time.perf_counter()
    logins = list(author_logins.values()) if isinstance(author_logins, dict) else list(author_logins or [])
    chunk_size = chunk_size or CHUNK_SIZE
    total = len(plan.files) + len(plan.pages)
    done = [0]

    def step(_done, _total, item):
        done[0] += 1
        if progress:
            progress(done[0], total, item)

    result = ApplyResult()
    handled: set[str] = set()
    for login in logins:
        own = [a for a in plan.files if a.own_work and a.key not in handled and same_user(a.uploader, login.user)]
        if not own:
            continue
        handled.update(a.key for a in own)
        uploading = [a for a in own if a.status == "todo" and a.kind == "upload"]
        wiki = connect(replace(files_spec, user=login.user), login) if uploading else None
        try:
            part = apply_files_as(event, plan, own, wiki, progress=step, chunk_size=chunk_size)
        finally:
            if wiki is not None:
                wiki.close()  # the photographer's session ends with their uploads
        result.items.extend(part.items)
        result.wiki_seconds += part.wiki_seconds
    rest = replace(plan, files=[a for a in plan.files if a.key not in handled])
    needs_files = any(a.status == "todo" and a.kind == "upload" for a in rest.files)
    needs_pages = any(a.status == "todo" for a in rest.pages)
    files_wiki = pages_wiki = None
    try:
        files_wiki = connect(files_spec, bot_password) if needs_files else None
        if needs_pages:
            same = files_wiki is not None and pages_spec == files_spec
            pages_wiki = files_wiki if same else connect(pages_spec, bot_password)
        part = apply_plan(event, rest, files_wiki, pages_wiki, progress=step, chunk_size=chunk_size)
    finally:
        for wiki in {id(w): w for w in (files_wiki, pages_wiki) if w is not None}.values():
            wiki.close()  # no live session left behind (pywikibot's cookie file holds one)
    result.items.extend(part.items)
    result.wiki_seconds += part.wiki_seconds
    result.total_seconds = time.perf_counter() - started
    return result


def run_vrt_ticket(event, files_spec: WikiSpec, author: str, ticket: str, *,
                   bot_password: SessionBotPassword | None = None, progress=None):
    """Record a VRT ticket for ``author`` and replace {{Permission pending}} with it on every
    file of theirs on the wiki (logged in as the organizer; logged out afterwards)."""
    from wikitown.publish.permission import apply_ticket, files_of_author

    wiki = connect(files_spec, bot_password) if files_of_author(event.store, author) else None
    try:
        return apply_ticket(event, author, ticket, wiki, progress=progress)
    finally:
        if wiki is not None:
            wiki.close()


def parse_wiki(text: str, user: str = "") -> WikiSpec:
    """``family:code`` (pywikibot, e.g. ``commons:commons``, ``wikipedia:ja``), a bare family
    (code = family), or an ``http(s)://.../api.php`` URL, as typed in the app."""
    text = (text or "").strip()
    if text.startswith(("http://", "https://")):
        return WikiSpec(api_url=text, user=user)
    family, _, code = text.partition(":")
    return WikiSpec(family.strip(), (code or family).strip(), "", user)


def spec_text(spec: WikiSpec) -> str:
    return spec.api_url or f"{spec.family}:{spec.code}"
