"""The disk full while saving: the event folder on a small tmpfs, filled nearly to the brim.

Through the library and through the participant page (AppTest): the sender gets the clear
"disk full" message in their language (never a traceback), nothing stored so far is damaged
(integrity check, earlier finds and their files intact, no partial file under a final name),
and once space is freed the very same upload goes through. The SQLite side too: when SQLite
itself hits "database or disk is full", ``store.write()`` raises DiskFull and rolls back.

Mounting needs root (CAP_SYS_ADMIN): the test fails in CI and skips elsewhere without it.
"""
import errno
import os
import subprocess

import pytest
from streamlit.testing.v1 import AppTest

from tests.harness import phones as ph
from tests.harness.requirements import missing
from wikitown.core.errors import DiskFull
from wikitown.store.events import open_event
from wikitown.finds.capture import join_event, list_finds, submit_find
from wikitown.core.i18n import t
from wikitown.core.paths import PROJECT_ROOT
from wikitown.store.db import kv
from tests.harness.apptest import click

SIZE_MB = 16
# 常楽寺 (a demo site): photos taken here match it
JORAKUJI = (34.894452, 138.322446)


class SmallDisk:
    def __init__(self, root):
        self.root = root
        self.filler = root / "filler.bin"

    def fill(self, leave: int = 0) -> None:
        """Fill the disk, then give back ``leave`` bytes (rounded by tmpfs to whole pages)."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (1 << 20, 65536, 4096, 512):  # big steps, then the last scraps
                while True:
                    try:
                        os.write(fd, b"\0" * size)
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC
                        break
        finally:
            os.close(fd)
        if leave:
            os.truncate(self.filler, max(0, self.filler.stat().st_size - leave))

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def available(self) -> int:
        st = os.statvfs(self.root)
        return st.f_bavail * st.f_frsize


@pytest.fixture
def small_disk(tmp_path):
    root = tmp_path / "disk"
    root.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(root)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        missing(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield SmallDisk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


@pytest.fixture
def demo_on_disk(small_disk, tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))  # throttling and passphrases elsewhere
    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(small_disk.root / "events"))
    return ph.copy_demo_event(small_disk.root / "events")


def _photo(seed: int) -> bytes:
    return ph.gps_jpeg(*JORAKUJI, seed=seed)  # about 160-190 KB


def _tmp_files(event_dir):
    return [p for p in (event_dir / "media").rglob(".*")] if (event_dir / "media").exists() else []


def _whole(event_dir) -> ph.StoreCheck:
    check = ph.check_store(event_dir)
    assert check.integrity == "ok"
    assert check.finds_without_media == [] and check.media_without_find == []
    assert check.missing_files == [] and check.bad_files == []
    assert _tmp_files(event_dir) == []  # a failed write leaves no temporary file behind either
    return check


def test_library_disk_full_while_saving_photos(small_disk, demo_on_disk):
    event = open_event(demo_on_disk)
    try:
        pid = join_event(event, "Hanako", "cc-by-sa-4.0")
        first = submit_find(event, pid, [("a.jpg", _photo(1))], note="before", client_key="k-a")
        assert first.created and first.accepted

        small_disk.fill(leave=32 * 1024)  # room for a small write, not for a photo
        photo = _photo(2)
        with pytest.raises(DiskFull) as err:
            submit_find(event, pid, [("b.jpg", photo)], note="during", client_key="k-b")
        assert err.value.key == "error.disk_full"
        assert err.value.message("ja") == t("error.disk_full", "ja")  # the participant's language
        assert err.value.message("en") == t("error.disk_full", "en")

        check = _whole(demo_on_disk)
        assert check.finds == 1 and list(check.by_name) == ["a.jpg"]
        assert [r["note"] for r in list_finds(event)] == ["before"]

        small_disk.free()
        again = submit_find(event, pid, [("b.jpg", photo)], note="during", client_key="k-b")
        assert again.created and [f.status for f in again.files] == ["accepted"]
        check = _whole(demo_on_disk)
        assert check.finds == 2 and sorted(check.by_name) == ["a.jpg", "b.jpg"]
    finally:
        event.close()


def test_sqlite_full_is_disk_full_and_rolls_back(small_disk, demo_on_disk):
    event = open_event(demo_on_disk)
    try:
        pid = join_event(event, "Taro", "cc-by-4.0")
        before = submit_find(event, pid, [("a.jpg", _photo(3))], client_key="k-a")
        small_disk.fill()
        assert small_disk.available() < 64 * 1024
        big = "x" * (2 * 1024 * 1024)  # more than any WAL space left from earlier writes
        with pytest.raises(DiskFull):
            with event.store.write() as conn:
                conn.execute(kv.insert().values(key="big", value=big))
        # rolled back, and the store still answers
        assert event.store.get_kv("big") is None
        small_disk.free()
        with event.store.write() as conn:
            conn.execute(kv.insert().values(key="big", value=big))
        assert event.store.get_kv("big") == big
        check = _whole(demo_on_disk)
        assert check.finds == 1 and list_finds(event)[0]["id"] == before.find_id
    finally:
        event.close()


# --------------------------------------------------------------------------------------------
# the participant page

APP = str(PROJECT_ROOT / "app.py")
PAGE = "wikitown/app/views/participant.py"


def _texts(at, kind):
    return [str(e.value) for e in getattr(at, kind)]




@pytest.mark.parametrize("lang", ["ja", "en"])
def test_page_says_disk_full_then_sends_the_same_photo(small_disk, demo_on_disk, lang):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.query_params["event"] = "demo-yaizu"
    at.query_params["code"] = "YAIZU-DEMO"
    at.run()
    at.switch_page(PAGE).run()
    at.text_input[0].input("Disk Tester")
    at.checkbox(key="participant_agree").check()
    click(at, "はじめる" if lang == "ja" else "Start")
    at.file_uploader(key="participant_files_0").set_value([("full.jpg", _photo(4), "image/jpeg")])
    at.run()
    send = "送信" if lang == "ja" else "Send"
    assert any(b.label == send for b in at.button), [b.label for b in at.button]

    small_disk.fill(leave=32 * 1024)
    click(at, send)
    assert not at.exception
    assert t("error.disk_full", lang) in _texts(at, "error")
    check = _whole(demo_on_disk)
    assert check.finds == 0

    small_disk.free()
    click(at, send)  # the photo is still chosen: the same upload, once there is room
    assert not at.exception
    assert t("finds.file.accepted", lang, name="full\\.jpg") in _texts(at, "success")  # name Markdown-escaped
    check = _whole(demo_on_disk)
    assert check.finds == 1 and list(check.by_name) == ["full.jpg"]


def test_no_room_for_a_new_file_entry_is_disk_full(tmp_path):
    """Out of inodes (or directory space on ext4): creating the folder or the temporary file
    fails with ENOSPC before any byte is written; that is the same "disk full" message."""
    from wikitown.store.media import put_bytes

    root = tmp_path / "inodes"
    root.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,nr_inodes=40", "tmpfs", str(root)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        missing(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
    try:
        first_sha1, first = put_bytes(root, b"first photo", "jpg")
        n = 0
        while True:  # use up every inode
            try:
                (root / f"f{n}").touch()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
            n += 1
        with pytest.raises(DiskFull):
            put_bytes(root, b"second photo", "jpg")  # needs a new folder media/<ab>/
        (root / "f0").unlink()
        (root / "f1").unlink()
        sha1, rel = put_bytes(root, b"second photo", "jpg")
        assert (root / rel).read_bytes() == b"second photo" and (root / first).read_bytes() == b"first photo"
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)
