"""Publishing an event's work: photos to Wikimedia Commons, drafts to Wikipedia.

``plan`` first (reads only; shows every file name, file page, page and text),
then ``apply`` (pywikibot; journaled, so it can always be run again).
The command line (``python -m wikitown publish``) and the organizer page call
these functions.
"""

from __future__ import annotations

from wikitown.net.mwapi import MediaWikiAPI
from wikitown.net.wiki import SessionBotPassword, WikiSpec, api_url_of, configured_user, connect


def wiki_specs(event, *, family: str = "", lang: str = "", api_url: str = "", user: str = "",
               files_family: str = "", files_lang: str = "", files_api_url: str = "") -> tuple[WikiSpec, WikiSpec]:
    """(where files go, where drafts go). By default Commons and the event's Wikipedia;
    ``family``/``lang``/``api_url`` name one wiki for both (a test wiki, a local wiki),
    ``files_*`` override the files' wiki alone."""
    pages = WikiSpec(family or "wikipedia", lang or (event.config.wiki if not family else family), api_url, user)
    if files_family or files_lang or files_api_url:
        files = WikiSpec(files_family or "commons", files_lang or files_family or "commons", files_api_url, user)
    elif family or api_url:
        files = WikiSpec(pages.family, pages.code, api_url, user)
    else:
        files = WikiSpec("commons", "commons", "", user)
    return files, pages


def make_plan(event, files_spec: WikiSpec, pages_spec: WikiSpec, *, progress=None, account: str = "",
              bot_password: SessionBotPassword | None = None):
    """Build the plan (reads the wikis over HTTP; writes nothing to them)."""
    from wikitown.publish.plan import build_plan

    client = event.http_client(cached=False)
    files_url, pages_url = api_url_of(files_spec), api_url_of(pages_spec)
    # Messages name the wiki by its API address: the organizer typed it or configured it.
    files_api = MediaWikiAPI(files_url, client, service=files_url)
    pages_api = files_api if pages_url == files_url else MediaWikiAPI(pages_url, client, service=pages_url)
    account = account or (bot_password.user if bot_password else "") or configured_user(pages_spec)
    return build_plan(event, files_api, pages_api, account=account, progress=progress)


def run_apply(event, plan, files_spec: WikiSpec, pages_spec: WikiSpec, *,
              bot_password: SessionBotPassword | None = None, progress=None, chunk_size: int | None = None):
    """Log in (user-config or the session's BotPassword) and carry out ``plan``."""
    from wikitown.publish.apply import CHUNK_SIZE, apply_plan

    needs_files = any(a.status == "todo" and a.kind == "upload" for a in plan.files)
    needs_pages = any(a.status == "todo" for a in plan.pages)
    files_wiki = connect(files_spec, bot_password) if needs_files else None
    if needs_pages:
        same = files_wiki is not None and pages_spec == files_spec
        pages_wiki = files_wiki if same else connect(pages_spec, bot_password)
    else:
        pages_wiki = None
    return apply_plan(event, plan, files_wiki, pages_wiki, progress=progress,
                      chunk_size=chunk_size or CHUNK_SIZE)


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
