"""A hostile note on a phone's "my finds": shown as text, it makes no element and runs no script."""

from __future__ import annotations

import pytest

from tests.harness.app import goto_app, shot, wait_for_app
from wikitown.store.events import create_event
from wikitown.finds.capture import join_event, submit_find
from wikitown.store.sites import upsert_sites

pytestmark = pytest.mark.browser

NOTE = ("<img src=x id=pwned-img onerror=\"window.__pwned=1\"><script id=pwned-script>window.__pwned=2</script>"
        "**bold** [a](javascript:window.__pwned=3) }}{{Delete}}")
NAME = "<svg id=pwned-svg onload=\"window.__pwned=4\"></svg>[[Category:X]]"


def test_hostile_note_on_my_finds_is_text_in_the_browser(start_app, phone_context, tmp_path):
    events = tmp_path / "events"
    ev = create_event(events / "town", name="注入", lat=34.86, lon=138.32, radius_km=3, code="CODE-X")
    upsert_sites(ev.store, [{"id": "s1", "name": "<b id=pwned-b>常楽寺</b>", "lat": 34.8647761,
                             "lon": 138.3246443}])
    pid = join_event(ev, NAME, "cc-by-sa-4.0")
    submit_find(ev, pid, [], note=NOTE, site_id="s1")
    ev.close()
    url = start_app(events)
    page = phone_context().new_page()
    goto_app(page, f"{url}/participant?event=town&code=CODE-X&p={pid}&lang=en")
    page.get_by_role("tab", name="My finds").click()
    wait_for_app(page)
    page.get_by_test_id("stText").filter(has_text="window.__pwned=2</script>").first.wait_for()
    page.get_by_test_id("stText").filter(has_text="<b id=pwned-b>常楽寺</b>").first.wait_for()
    shot(page, "injection-my-finds", tall=True)
    assert page.evaluate("window.__pwned") is None
    for selector in ("#pwned-img", "#pwned-script", "#pwned-svg", "#pwned-b", "a[href^='javascript']"):
        assert page.locator(selector).count() == 0, selector
    # The credit line is Markdown: shown escaped, as typed
    page.get_by_text("Sending as <svg id=pwned-svg", exact=False).wait_for()
    assert page.locator("strong", has_text="bold").count() == 0
