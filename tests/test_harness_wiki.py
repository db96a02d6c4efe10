"""The loopback MediaWiki works end to end with pywikibot (login, edit, upload, read back)."""
from __future__ import annotations

import hashlib
import io
import uuid

import pytest

pytestmark = pytest.mark.wiki


def _jpeg_bytes(seed: str) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (64, 48), (int(seed[:2], 16), int(seed[2:4], 16), int(seed[4:6], 16)))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def test_pywikibot_round_trip(mediawiki, pywikibot_dir, tmp_path):
    import pywikibot

    assert pywikibot.config.base_dir == str(pywikibot_dir)
    site = pywikibot.Site("townwiki", "townwiki")
    site.login()
    assert site.logged_in()
    assert site.user() == mediawiki.bot_user
    assert site.has_right("bot") or "bot" in site.userinfo["groups"]
    assert site.namespaces[118].custom_name == "Draft"

    tag = uuid.uuid4().hex[:10]
    page = pywikibot.Page(site, f"Harness round trip {tag}")
    page.text = f"Hello from the harness {tag}.<ref>A source</ref>\n{{{{Reflist}}}}"
    page.save(summary="harness test")
    again = pywikibot.Page(site, page.title())
    assert again.exists()
    assert again.text == page.text
    assert again.latest_revision.user == mediawiki.bot_user
    assert "A source" in mediawiki.api({"action": "parse", "page": page.title(),
                                        "prop": "text"})["parse"]["text"]

    data = _jpeg_bytes(tag)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    file_page = pywikibot.FilePage(site, f"File:Harness photo {tag}.jpg")
    assert file_page.upload(str(path), summary="harness upload",
                            text="{{Information|description=test|source={{own}}}}")
    file_page = pywikibot.FilePage(site, file_page.title())
    assert file_page.latest_file_info.sha1 == hashlib.sha1(data).hexdigest()


def test_pages_by_someone_else_and_disambiguation(mediawiki):
    tag = uuid.uuid4().hex[:10]
    title = f"Shrine {tag}"
    mediawiki.create_page(title, "An article written by someone else.")
    assert mediawiki.page_exists(title)
    assert mediawiki.page_info(title)["revisions"][0]["user"] == mediawiki.other_user

    dab = f"Mercury {tag}"
    mediawiki.create_page(dab, f"'''Mercury''' may be:\n* [[{title}]]\n{{{{Disambiguation}}}}")
    assert "disambiguation" in mediawiki.page_info(dab).get("pageprops", {})
    assert "disambiguation" not in mediawiki.page_info(title).get("pageprops", {})

    mediawiki.create_page(f"Redirect {tag}", f"#REDIRECT [[{title}]]")
    res = mediawiki.api({"action": "query", "titles": f"Redirect {tag}", "redirects": 1})
    assert res["query"]["redirects"][0]["to"] == title


def test_wiki_stop_and_start_on_same_port(mediawiki):
    import requests

    port = mediawiki.port
    with mediawiki.down():
        with pytest.raises(requests.ConnectionError):
            requests.get(mediawiki.api_url, timeout=5)
    assert mediawiki.port == port and mediawiki.running
    assert mediawiki.api({"action": "query", "meta": "siteinfo"})["query"]["general"]["sitename"]
