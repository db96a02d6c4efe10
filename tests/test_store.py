"""The store: migrations, WAL, atomic writes, concurrent writers."""

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from wikitown.store import db as store_mod
from wikitown.core.errors import DiskFull
from wikitown.core.fsutil import atomic_write_bytes
from wikitown.store.media import media_relpath, put_bytes, sha1_hex
from wikitown.store.sites import upsert_sites
from wikitown.store.db import Store, finds, participants, sites


# Every test here runs on SQLite and on PostgreSQL (the store_backend fixture, tests/conftest.py).
pytestmark = pytest.mark.usefixtures("store_backend")


def _store(tmp_path):
    return Store(os.environ.get("WIKITOWN_STORE_URL") or f"sqlite:///{tmp_path / 'store.sqlite'}")


def test_migrations_are_versioned_and_idempotent(tmp_path):
    s = _store(tmp_path)
    # "sites": the sites table's own chain (original text apart from keys, origins, importer findings);
    # "api": the phone page's tokens and capture times
    assert s.migrate() == {"core": 1, "drafts": 1, "sites": 1, "api": 1}
    with s.read() as conn:
        if s.is_sqlite:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        rows = conn.execute(sa.select(store_mod.schema_versions)).all()
    assert sorted((r.component, r.version) for r in rows) == [("api", 1), ("core", 1), ("drafts", 1), ("sites", 1)]
    Store(s.url)  # opening again applies nothing new


def test_a_new_component_migration_is_applied_once(tmp_path, monkeypatch):
    calls = []

    def step(conn):
        calls.append(1)
        conn.exec_driver_sql("CREATE TABLE extra_thing (id INTEGER PRIMARY KEY)")

    monkeypatch.setitem(store_mod.MIGRATIONS, "extra", [step])
    s = _store(tmp_path)
    Store(s.url)
    assert calls == [1]
    assert s.migrate()["extra"] == 1


def test_store_newer_than_code_is_refused(tmp_path):
    s = _store(tmp_path)
    with s.write() as conn:
        conn.execute(store_mod.schema_versions.update().values(version=99))
    with pytest.raises(Exception, match="newer than this wikitown"):
        Store(s.url)


def test_failed_transaction_leaves_no_half_record(tmp_path):
    s = _store(tmp_path)
    with pytest.raises(RuntimeError):
        with s.write() as conn:
            conn.execute(participants.insert().values(id="p1", display_name="A", licence="cc0",
                                                      consent_at="x"))
            conn.execute(finds.insert().values(id="f1", participant_id="p1", note="half"))
            raise RuntimeError("crash between two writes")
    with s.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(finds)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(participants)).scalar() == 0


def test_killed_process_mid_transaction_leaves_no_half_record(tmp_path):
    """A process killed while it holds a write transaction: nothing of it is stored."""
    s = _store(tmp_path)
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(store_mod.__file__.rsplit('/wikitown/', 1)[0])!r})
        from wikitown.store.db import Store, participants, finds
        s = Store({s.url!r})
        with s.write() as conn:
            conn.execute(participants.insert().values(id="p1", display_name="A", licence="cc0", consent_at="x"))
            for i in range(200):
                conn.execute(finds.insert().values(id=f"f{{i}}", participant_id="p1", note="n"))
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    s2 = Store(s.url)
    assert s2.integrity_check() == "ok"
    with s2.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(finds)).scalar() == 0


def _writer(url, n, worker):
    s = Store(url)
    for i in range(n):
        with s.write() as conn:
            conn.execute(participants.insert().values(id=f"w{worker}-{i}", display_name="x", licence="cc0",
                                                      consent_at="t"))


def test_concurrent_writer_processes_lose_nothing(tmp_path):
    s = _store(tmp_path)
    procs = [multiprocessing.get_context("spawn").Process(target=_writer, args=(s.url, 25, w))
             for w in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with s.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(participants)).scalar() == 150


def test_upsert_sites_keeps_provenance(tmp_path):
    s = _store(tmp_path)
    rec = {"id": "s1", "name": "常楽寺", "lat": 34.86, "lon": 138.32,
           "provenance": [{"source": "opendata:x.csv", "source_id": "3", "data": {"名称": "常楽寺"}}]}
    upsert_sites(s, [rec])
    upsert_sites(s, [dict(rec, name="常楽寺（更新）")])
    with s.read() as conn:
        assert conn.execute(sa.select(sites.c.name)).scalar() == "常楽寺（更新）"
        assert conn.execute(sa.select(sa.func.count()).select_from(store_mod.site_provenance)).scalar() == 1


def test_atomic_file_write_never_leaves_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(DiskFull):
        atomic_write_bytes(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]  # no temporary left behind


def test_media_is_content_addressed_and_path_safe(tmp_path):
    sha, rel = put_bytes(tmp_path, b"photo-bytes", "jpg")
    assert sha == sha1_hex(b"photo-bytes") and rel.startswith("media/") and rel.endswith(".jpg")
    assert put_bytes(tmp_path, b"photo-bytes", "jpg") == (sha, rel)
    for bad in ("../../etc", "jp/g", ""):
        with pytest.raises(ValueError):
            media_relpath(sha, bad)
    with pytest.raises(ValueError):
        media_relpath("../" + sha[3:], "jpg")
