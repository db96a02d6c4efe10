"""Many phones at once against the real app: the driving shared by the load bench
(``bench/bench_load_app.py``) and the load and fault tests.

Each phone is a Playwright browser context at iPhone size in ONE headless Chromium (the async
API, so 30 phones run concurrently in one process). A phone joins through the QR link
(``?event=...&code=...``), consents, then sends its photos in batches through the participant
page's own uploader and Send button, and reads the per-file results the page shows.

    photos = make_photos(site_points(event_dir), phones=30, per_phone=20)
    async with phone_browser() as (pw, browser):
        phone = Phone(pw, browser, url, "p01")
        await phone.join()
        sent = await phone.send(photos[0][:5])     # -> Sent(latency_s, results {name: text})
    check = check_store(event_dir)                 # integrity, half finds, files on disk

Results are read from the page, never from the store, so "acknowledged" means what the person
holding the phone saw.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import random
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import PROJECT_ROOT
from .app import CHROMIUM_ARGS, PHONE
from tests.photo_samples import _dms

DEMO = "demo-yaizu"
DEMO_CODE = "YAIZU-DEMO"

# What the participant page says for one file (wikitown/locale/en/finds.json).
RECEIVED = ": received."
NO_FINDS = "Nothing sent yet."
ALREADY = ": this photo was already sent, so it is kept once."


# --------------------------------------------------------------------------------------------
# the event and the photos


def copy_demo_event(events_dir: Path) -> Path:
    """A fresh copy of the bundled demo event (no store, no media) with its open-data sites
    imported, as the app would on first open. Returns the event folder."""
    from wikitown.gaps.collect import load_configured_opendata
    from wikitown.store.events import open_event

    dest = Path(events_dir) / DEMO
    shutil.copytree(PROJECT_ROOT / "events" / DEMO, dest, ignore=shutil.ignore_patterns("store.sqlite*", "media"))
    event = open_event(dest)
    try:
        load_configured_opendata(event)
    finally:
        event.close()
    return dest


def site_points(event_dir: Path, limit: int = 40) -> list[tuple[str, float, float]]:
    """Sites that a photo taken on the spot matches without doubt: no other site within twice
    the event's match radius. ``(site_id, lat, lon)``, in a stable order."""
    from wikitown.store.events import open_event
    from wikitown.finds.capture import located_sites
    from wikitown.core.geo import haversine_m

    event = open_event(event_dir)
    try:
        with event.store.read() as conn:
            rows = sorted(located_sites(conn), key=lambda r: r["id"])
        radius = event.config.match_radius_m
    finally:
        event.close()
    alone = [r for r in rows if all(r is o or haversine_m(r["lat"], r["lon"], o["lat"], o["lon"]) > 2 * radius
                                    for o in rows)]
    return [(r["id"], r["lat"], r["lon"]) for r in alone[:limit]]



def gps_jpeg(lat: float, lon: float, seed: int, size=(960, 720), quality: int = 88) -> bytes:
    """A real camera-like JPEG (noise and shapes, so it compresses like a photo: about 150-250 KB
    at the default size) with EXIF GPS (IFD 0x8825), a time taken and a make/model."""
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    base = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(base)
    for _ in range(12):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        draw.ellipse([x, y, x + rnd.randrange(40, 300), y + rnd.randrange(40, 300)],
                     fill=tuple(rnd.randrange(256) for _ in range(3)))
    draw.text((10, 10), f"photo {seed}", fill=(255, 255, 255))
    noise = Image.effect_noise(size, 30 + seed % 7).convert("RGB")
    im = Image.blend(base, noise, 0.18)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "LoadTest", "Phone 1", 1
    exif[0x8769] = {0x9003: f"2026:11:28 {10 + seed % 6:02d}:{seed % 60:02d}:00"}
    exif[0x8825] = {0: b"\x02\x02\x00\x00", 1: "N" if lat >= 0 else "S", 2: _dms(lat),
                    3: "E" if lon >= 0 else "W", 4: _dms(lon)}
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def make_photos(points: list[tuple[str, float, float]], phones: int, per_phone: int, per_site: int = 1,
                size=(960, 720)) -> list[list[tuple[str, bytes, str]]]:
    """``photos[phone] = [(file name, JPEG bytes, site id the GPS points at), ...]``: every photo
    distinct, taken a few metres from a site; phone i walks the sites from its own start,
    taking ``per_site`` photos at each."""
    out = []
    for i in range(phones):
        mine = []
        for k in range(per_phone):
            site, lat, lon = points[(i + k // per_site) % len(points)]
            rnd = random.Random(i * 1000 + k)
            # within about 10 m of the site: well inside any match radius
            jitter_lat, jitter_lon = rnd.uniform(-8e-5, 8e-5), rnd.uniform(-8e-5, 8e-5)
            data = gps_jpeg(lat + jitter_lat, lon + jitter_lon, seed=i * 1000 + k, size=size)
            mine.append((f"p{i:02d}-{k:02d}.jpg", data, site))
        out.append(mine)
    return out


# --------------------------------------------------------------------------------------------
# phones


@dataclass
class Sent:
    latency_s: float  # from the Send click to every file's result being visible
    results: dict[str, str] = field(default_factory=dict)  # file name -> the message shown

    def status(self, name: str) -> str:
        text = self.results.get(name, "")
        if text.endswith(RECEIVED):
            return "received"
        if text.endswith(ALREADY):
            return "already"
        return "other" if text else "missing"


# Every alert on the page, as its text (results are st.success/st.info/st.error alerts).
_ALERT_TEXTS = """() => Array.from(document.querySelectorAll('[data-testid="stAlert"]'))
    .map(e => e.innerText.trim())"""
_ALL_ANSWERED = """(names) => { const t = Array.from(document.querySelectorAll('[data-testid="stAlert"]'))
    .map(e => e.innerText.trim());
  return names.every(n => t.some(x => x.startsWith(n + ': '))); }"""


@contextlib.asynccontextmanager
async def phone_browser():
    """``(playwright, browser)``: Debian's Chromium, headless, for many phone contexts."""
    from playwright.async_api import async_playwright

    from .requirements import need

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=need("chromium"), args=CHROMIUM_ARGS)
        try:
            yield pw, browser
        finally:
            await browser.close()


class Phone:
    """One participant's phone: its own browser context (cookies, session) at iPhone size."""

    def __init__(self, pw, browser, url: str, name: str, geolocation=(34.8669, 138.3236),
                 timeout_ms: float = 180_000):
        self.pw, self.browser, self.url, self.name = pw, browser, str(url), name
        self.geolocation = geolocation
        self.timeout_ms = timeout_ms
        self.context = None
        self.page = None
        self.participant_id: str | None = None

    async def open(self) -> None:
        device = dict(self.pw.devices[PHONE])
        device.pop("default_browser_type", None)
        lat, lon = self.geolocation
        self.context = await self.browser.new_context(
            **device, permissions=["geolocation"], geolocation={"latitude": lat, "longitude": lon})
        self.context.set_default_timeout(self.timeout_ms)
        self.page = await self.context.new_page()

    async def close(self) -> None:
        if self.context is not None:
            with contextlib.suppress(Exception):
                await self.context.close()

    async def settled(self) -> None:
        """The script run started by the last action has finished (see harness.app.wait_for_app)."""
        page = self.page
        await page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']",
                                     state="attached")
        await page.wait_for_timeout(150)
        await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                                     state="attached")

    def link(self, base: str | None = None) -> str:
        query = f"event={DEMO}&code={DEMO_CODE}&lang=en"
        if self.participant_id:
            query += f"&p={self.participant_id}"
        return f"{base or self.url}/participant?{query}"

    async def join(self) -> None:
        """Open the QR link, consent, and wait for the upload form."""
        if self.page is None:
            await self.open()
        page = self.page
        await page.goto(self.link(), wait_until="domcontentloaded")
        await self.settled()
        await page.get_by_text("Before you start").wait_for()
        await page.get_by_role("textbox", name="Name to be credited by").fill(f"Phone {self.name}")
        await page.get_by_text("I took these photos myself").click()
        await page.get_by_role("button", name="Start").click()
        await page.get_by_text(f"Sending as Phone {self.name}").wait_for()
        await self.settled()
        match = re.search(r"[?&]p=([^&]+)", page.url)
        self.participant_id = match.group(1) if match else None

    async def reopen(self, url: str) -> None:
        """After a server restart: load the phone's own link (``p=`` keeps "my finds") on ``url``."""
        self.url = str(url)
        await self.page.goto(self.link(), wait_until="domcontentloaded")
        await self.settled()
        await self.page.get_by_text(f"Sending as Phone {self.name}").wait_for()

    async def choose(self, files: list[tuple[str, bytes, str]]) -> None:
        """Put ``files`` in the uploader and wait until the page has read them."""
        page = self.page
        # First the phone's position: the geolocation component answers with a rerun of its own,
        # and files chosen while that rerun replaces the uploader are lost (on a phone nobody
        # picks photos within a fraction of a second of the previous result).
        await page.get_by_text("Location: from your phone").wait_for()
        await self.settled()
        payload = [{"name": n, "mimeType": "image/jpeg", "buffer": data} for n, data, *_ in files]
        await page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(payload)
        # The page reads the first photo's GPS once the upload reached the server.
        await page.get_by_text("Location: from the photo's GPS.").wait_for()
        await self.settled()

    async def press_send(self) -> float:
        await self.page.get_by_role("button", name="Send", exact=True).click()
        return time.perf_counter()

    async def results(self, names: list[str]) -> Sent:
        """Wait until every name has its result on the page; the texts shown."""
        await self.page.wait_for_function(_ALL_ANSWERED, arg=names, polling=100)
        done = time.perf_counter()
        texts = await self.page.evaluate(_ALERT_TEXTS)
        found = {}
        for name in names:
            found[name] = next((x for x in texts if x.startswith(name + ": ")), "")
        return Sent(done, found)

    async def send(self, files: list[tuple[str, bytes, str]]) -> Sent:
        """Choose ``files``, press Send, wait for each file's result; the latency is click to
        the last result visible."""
        await self.choose(files)
        start = await self.press_send()
        sent = await self.results([n for n, *_ in files])
        sent.latency_s = sent.latency_s - start
        await self.settled()
        return sent

    async def my_finds_count(self) -> int:
        """The "Finds sent: N" figure of the My finds tab."""
        await self.page.get_by_role("tab", name="My finds").click()
        caption = self.page.get_by_text(re.compile(r"^Finds sent: \d+$"))
        await caption.or_(self.page.get_by_text(NO_FINDS)).wait_for()
        count = int((await caption.inner_text()).split(":")[1]) if await caption.count() else 0
        await self.page.get_by_role("tab", name="Send").click()
        await self.settled()
        return count


# --------------------------------------------------------------------------------------------
# the store afterwards


@dataclass
class StoreCheck:
    integrity: str
    finds: int
    media: int
    distinct_sha1: int
    finds_without_media: list[str]
    media_without_find: list[str]
    missing_files: list[str]  # paths named by media rows that are not on disk
    bad_files: list[str]  # files under media/ whose content does not match their (SHA-1) name
    by_name: dict[str, list[str]]  # original file name -> the find ids holding it

    @property
    def duplicates(self) -> dict[str, list[str]]:
        return {n: ids for n, ids in self.by_name.items() if len(ids) > 1}


def check_store(event_dir: Path) -> StoreCheck:
    """Everything a crash or a full disk could have broken, read straight from the store and
    the disk (a fresh connection, as after a restart)."""
    import sqlalchemy as sa

    from wikitown.store.events import open_event
    from wikitown.store.db import finds, media

    event_dir = Path(event_dir)
    event = open_event(event_dir)
    try:
        integrity = event.store.integrity_check()
        with event.store.read() as conn:
            find_ids = {r.id for r in conn.execute(sa.select(finds.c.id))}
            rows = conn.execute(sa.select(media)).mappings().all()
    finally:
        event.close()
    with_media = {r["find_id"] for r in rows}
    missing = [p for r in rows for p in (r["path"], r["publish_path"], r["thumb_path"])
               if p and not (event_dir / p).is_file()]
    bad = []
    for path in (event_dir / "media").rglob("*") if (event_dir / "media").exists() else ():
        if path.is_file() and not path.name.startswith("."):  # .tmp files are never final names
            if hashlib.sha1(path.read_bytes()).hexdigest() != path.stem:
                bad.append(str(path.relative_to(event_dir)))
    by_name: dict[str, list[str]] = {}
    for r in rows:
        by_name.setdefault(r["original_name"], []).append(r["find_id"])
    return StoreCheck(integrity=integrity, finds=len(find_ids), media=len(rows),
                      distinct_sha1=len({r["sha1"] for r in rows}),
                      finds_without_media=sorted(find_ids - with_media),
                      media_without_find=sorted(r["sha1"] for r in rows if r["find_id"] not in find_ids),
                      missing_files=missing, bad_files=bad, by_name=by_name)


def peak_rss_mb(pid: int) -> float | None:
    """A process's peak resident memory (VmHWM) in MB, or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --------------------------------------------------------------------------------------------
# the load scenario


@dataclass
class LoadRun:
    latencies: list[float]  # one per Send press
    statuses: dict[str, str]  # file name -> received / already / other / missing
    join_s: float  # all phones joined and consented
    wall_s: float  # from the first Send to the last result
    errors: list[str]


async def run_load(url: str, photos: list[list[tuple[str, bytes, str]]], batch: int,
                   points: list[tuple[str, float, float]] | None = None) -> LoadRun:
    """Every phone joins, then all send their photos, ``batch`` files per Send, at the same time."""
    import asyncio

    latencies: list[float] = []
    statuses: dict[str, str] = {}
    errors: list[str] = []
    async with phone_browser() as (pw, browser):
        phones = [Phone(pw, browser, url, f"{i:02d}",
                        geolocation=(points[i % len(points)][1:] if points else (34.8669, 138.3236)))
                  for i in range(len(photos))]
        start = time.perf_counter()
        joined = await asyncio.gather(*(p.join() for p in phones), return_exceptions=True)
        join_s = time.perf_counter() - start
        errors += [f"phone {p.name} join: {r!r}" for p, r in zip(phones, joined) if isinstance(r, BaseException)]
        ready = [(p, mine) for p, mine, r in zip(phones, photos, joined) if not isinstance(r, BaseException)]

        async def walk(phone: Phone, mine):
            for k in range(0, len(mine), batch):
                chunk = mine[k:k + batch]
                sent = await phone.send(chunk)
                latencies.append(sent.latency_s)
                for name, *_ in chunk:
                    statuses[name] = sent.status(name)

        start = time.perf_counter()
        walked = await asyncio.gather(*(walk(p, mine) for p, mine in ready), return_exceptions=True)
        wall_s = time.perf_counter() - start
        errors += [f"phone {p.name}: {r!r}"[:500] for (p, _), r in zip(ready, walked) if isinstance(r, BaseException)]
        await asyncio.gather(*(p.close() for p in phones))
    for mine in photos:
        for name, *_ in mine:
            statuses.setdefault(name, "missing")
    return LoadRun(latencies, statuses, join_s, wall_s, errors)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run_async(coro):
    """Run ``coro`` to completion in a fresh thread with its own event loop.

    The sync Playwright fixtures keep an event loop running in the main thread for the whole
    session, and asyncio.run() refuses to start inside it."""
    import asyncio
    import threading

    box: dict = {}

    def target():
        try:
            box["result"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="async-phones")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]
