"""A real PostgreSQL server for the store tests: Debian's binaries (``apt-get install postgresql``),
a throwaway cluster in a temp folder, on a free loopback port, trust authentication.

PostgreSQL refuses to run as root (CI runs as root): the server and initdb then run as the
``postgres`` user the Debian package creates (else ``nobody``), switched to in the child before
exec, so the test process keeps its own rights.

    server = start_postgres()                # one per test session
    url = server.new_database()              # postgresql+psycopg://wikitown@127.0.0.1:PORT/t1
    ...
    server.stop()
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .mediawiki import kill_group, reserve_port

SUPERUSER = "wikitown"


def postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged account to run PostgreSQL as, when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' account exists")


def _become(account: pwd.struct_passwd | None):
    def preexec():
        if account is not None:
            os.setgroups([])
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
        # After the user switch (which clears it): stop with the test process, even if it is killed.
        try:
            import ctypes
            import signal

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
        except Exception:
            pass
    return preexec


@dataclass
class PostgresServer:
    dir: Path
    port: int
    process: subprocess.Popen
    log_path: Path
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
        return self.url(name)

    def stop(self) -> None:
        kill_group(self.process, timeout=15)
        shutil.rmtree(self.dir, ignore_errors=True)


def start_postgres(timeout: float = 60.0) -> PostgresServer:
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin")
    account = _run_as()
    # Not under pytest's tmp folder: that one is private to root, and the server runs as another user.
    base = Path(tempfile.mkdtemp(prefix="wikitown-pg-"))
    data, sockets = base / "data", base / "sockets"
    data.mkdir()
    sockets.mkdir()
    if account is not None:
        for path in (base, data, sockets):
            os.chown(path, account.pw_uid, account.pw_gid)
    os.chmod(data, 0o700)
    log_path = base / "server.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                    "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True, env=env, cwd=str(base),
                   preexec_fn=_become(account))
    port, reservation = reserve_port()
    reservation.close()  # postgres does not set SO_REUSEADDR on a socket still bound here
    log = open(log_path, "ab")
    if account is not None:
        os.chown(log_path, account.pw_uid, account.pw_gid)
    proc = subprocess.Popen(
        [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets),
         "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "fsync=off",
         "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "shared_buffers=32MB"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=str(base),
        start_new_session=True, preexec_fn=_become(account))
    log.close()
    server = PostgresServer(base, port, proc, log_path)
    deadline = time.monotonic() + timeout
    import psycopg

    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"postgres exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            psycopg.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres", connect_timeout=2).close()
            return server
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"postgres not ready after {timeout}s")
            time.sleep(0.1)
