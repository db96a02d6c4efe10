"""The app server killed (SIGKILL) while phones are uploading, then restarted on the same event.

What a participant saw as received before the crash must still be there; nothing may be half
stored (a find without its photos, a photo row without its files, a file whose bytes do not
match its name); the database passes its integrity check; and the phones go on after a reload:
"my finds" still lists what they sent, and sending an acknowledged photo again says "already
sent" instead of making a second find.
"""
import asyncio
import os
import signal
import time

import pytest

from tests.harness import phones as ph
from tests.harness.requirements import need

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHONES = 4
PHOTOS = 8  # each sent on its own, one after another
KILL_AFTER = 6  # acknowledged photos (all phones together) before the kill


def _assert_whole(check: ph.StoreCheck) -> None:
    assert check.integrity == "ok"
    assert check.finds_without_media == [] and check.media_without_find == []
    assert check.missing_files == [] and check.bad_files == []
    assert check.duplicates == {}


async def _scenario(server, start_again, event_dir, photos, points):
    acked: dict[str, str] = {}  # photo name -> phone, for results shown before the kill
    async with ph.phone_browser() as (pw, browser):
        phones = [ph.Phone(pw, browser, server, f"{i:02d}", geolocation=points[i][1:], timeout_ms=60_000)
                  for i in range(PHONES)]
        await asyncio.gather(*(p.join() for p in phones))
        assert all(p.participant_id for p in phones)  # the page put ?p= in the URL for reloads

        async def walk(phone, mine):
            for item in mine:
                sent = await phone.send([item])
                if sent.status(item[0]) == "received":
                    acked[item[0]] = phone.name

        walks = [asyncio.ensure_future(walk(p, mine)) for p, mine in zip(phones, photos)]
        deadline = time.monotonic() + 240
        while len(acked) < KILL_AFTER and time.monotonic() < deadline:
            assert not any(w.done() for w in walks), [w.exception() for w in walks if w.done()]
            await asyncio.sleep(0.05)
        assert len(acked) >= KILL_AFTER, "phones did not get far enough to kill the server mid-way"
        os.killpg(server.process.pid, signal.SIGKILL)  # the whole server, mid-upload, no cleanup
        server.process.wait(10)
        acked_at_kill = dict(acked)
        await asyncio.sleep(1)
        for w in walks:
            w.cancel()
        await asyncio.gather(*walks, return_exceptions=True)
        assert len(acked_at_kill) < PHONES * PHOTOS  # the kill came mid-way

        # Straight after the crash, before anything reopens the store.
        check = ph.check_store(event_dir)
        _assert_whole(check)
        assert set(acked_at_kill) <= set(check.by_name)  # every acknowledged photo is stored

        url = start_again()
        for phone in phones:
            await phone.reopen(url)
            mine = {n for n, who in acked_at_kill.items() if who == phone.name}
            stored = {n for n in check.by_name if n.startswith(f"p{phone.name}-")}
            assert await phone.my_finds_count() == len(stored) >= len(mine)
            if mine:
                again = sorted(mine)[0]
                item = next(p for p in photos[int(phone.name)] if p[0] == again)
                sent = await phone.send([item])
                assert sent.status(again) == "already", sent.results
                await phone.reopen(url)  # nothing new was stored, so the form keeps that photo: start afresh
            fresh = next(p for p in photos[int(phone.name)] if p[0] not in check.by_name)
            sent = await phone.send([fresh])
            assert sent.status(fresh[0]) == "received", sent.results
        await asyncio.gather(*(p.close() for p in phones))
    return acked_at_kill, check


def test_server_killed_mid_upload_then_restarted(start_app, tmp_path):
    need("playwright")
    need("chromium")
    events = tmp_path / "events"
    event_dir = ph.copy_demo_event(events)
    points = ph.site_points(event_dir)
    photos = ph.make_photos(points, PHONES, PHOTOS)
    server = start_app(events)

    def start_again():
        return start_app(events, home=server.home)

    acked, before = ph.run_async(_scenario(server, start_again, event_dir, photos, points))
    after = ph.check_store(event_dir)
    _assert_whole(after)
    # after the restart: one fresh photo per phone, and nothing stored twice
    assert after.media == before.media + PHONES
    assert after.finds == before.finds + PHONES
    assert set(acked) <= set(after.by_name)
