"""The phone page's nearby map: OpenStreetMap tiles only while online (here served by a stand-in
route, as the test machine has no internet), markers for the event's sites; offline, the plain list."""

import io

from PIL import Image

from tests.harness.phones import DEMO, copy_demo_event, site_points


def _tile() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 220, 200)).save(buf, "PNG")
    return buf.getvalue()


def test_map_online_list_offline(tmp_path, start_app, phone_context):
    events = tmp_path / "events"
    events.mkdir()
    event_dir = copy_demo_event(events)
    app = start_app(events)
    points = site_points(event_dir)
    site, lat, lon = points[3]
    context = phone_context(geolocation=(lat + 3e-4, lon), bypass_csp=True)
    tiles = []
    tile = _tile()

    def serve_tile(route):
        tiles.append(route.request.url)
        route.fulfill(status=200, body=tile, content_type="image/png")

    context.route("https://tile.openstreetmap.org/**", serve_tile)
    page = context.new_page()
    page.goto(f"{app}/phone/?event={DEMO}&code=YAIZU-DEMO&lang=en")
    page.fill("#join-credit", "Map tester")
    page.click("#join-button")
    page.locator("#map").wait_for(state="visible")
    marker = page.locator(f"#map .marker[data-site-id='{site}']")
    marker.wait_for()
    assert tiles and all("/16/" in url for url in tiles)
    assert page.locator("#map .credit").inner_text() == "© OpenStreetMap contributors"
    marker.click()
    assert page.locator("#site-select").input_value() == site
    page.locator("#site-distance").wait_for(state="visible")
    assert page.locator("#site-distance").inner_text().startswith("The chosen site is 3")  # about 33 m

    context.set_offline(True)
    page.locator("#map").wait_for(state="hidden")
    assert page.locator("#nearby li").first.get_attribute("data-site-id") == site
    assert "S " in page.locator("#nearby li").first.inner_text()  # the site is to the south
