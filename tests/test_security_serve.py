"""``serve`` defaults (issue 13, points 5 and 7): this computer only unless HTTPS or a proxy is
in front, allowed host names from the served address, uploads no bigger than the event takes."""

import base64
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.harness.mediawiki import kill_group
from tests.harness.mediawiki import reserve_port
from tests.harness.requirements import need
from wikitown.core.paths import PROJECT_ROOT
from wikitown.finds.serve import lan_ip

DEMO = PROJECT_ROOT / "events" / "demo-yaizu"


def _print_only(tmp_path, *args):
    env = {**os.environ, "WIKITOWN_HOME": str(tmp_path / "home"), "WIKITOWN_LANG": "en"}
    proc = subprocess.run([sys.executable, "-m", "wikitown", "serve", "--print-only", "--port", "8765",
                           "--event", str(DEMO), *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    command = proc.stdout.strip().splitlines()[-1].split()
    options: dict[str, list[str]] = {}
    for flag, value in zip(command, command[1:]):
        if flag.startswith("--server.") or flag.startswith("--browser."):
            options.setdefault(flag, []).append(value)
    return proc.stdout, options


def test_plain_http_serves_this_computer_only(tmp_path):
    out, options = _print_only(tmp_path)
    assert options["--server.address"] == ["127.0.0.1"]
    assert "--server.sslCertFile" not in options
    assert set(options["--server.allowedHosts"]) == {"localhost", "127.0.0.1", "::1"}
    assert options["--server.maxUploadSize"] == ["50"]  # the event's photos.max_upload_mb, not 200
    assert "this computer only" in out


def test_https_and_public_url_listen_on_the_network_with_named_hosts(tmp_path):
    _out, options = _print_only(tmp_path, "--https")
    assert options["--server.address"] == ["0.0.0.0"]
    hosts = set(options["--server.allowedHosts"])
    assert {"localhost", "127.0.0.1"} <= hosts and "0.0.0.0" not in hosts and "*" not in hosts
    if lan_ip():
        assert lan_ip() in hosts
    out, options = _print_only(tmp_path, "--public-url", "https://walk.example.org", "--host", "127.0.0.1")
    assert options["--server.address"] == ["127.0.0.1"]
    assert "walk.example.org" in options["--server.allowedHosts"]
    assert "https://walk.example.org/" in out and "demo-yaizu" in out  # the join link on the public URL


def _ws_handshake(port: int, host: str) -> int:
    """The status of a WebSocket handshake to Streamlit's stream sent with ``Host: host``."""
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Origin: http://{host}\r\n\r\n").encode())
        answer = s.recv(4096).decode("latin1")
    return int(answer.split()[1])


@pytest.fixture
def served(tmp_path):
    """`wikitown serve` (no --https, default host) on a free port; yields the port."""
    need("streamlit")
    events = tmp_path / "events"
    shutil.copytree(DEMO, events / "demo-yaizu", ignore=shutil.ignore_patterns("store.sqlite*", "media"))
    port, reservation = reserve_port()
    reservation.close()
    env = {**os.environ, "WIKITOWN_HOME": str(tmp_path / "home"), "WIKITOWN_LANG": "en"}
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "wikitown", "serve", "--port", str(port), "--event",
                             str(events / "demo-yaizu")], cwd=PROJECT_ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            try:
                if requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=5).text == "ok":
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            pytest.fail((tmp_path / "serve.log").read_text())
        yield port
    finally:
        kill_group(proc, timeout=15)
        log.close()


def test_served_app_refuses_other_hosts_and_the_network(served):
    port = served
    assert _ws_handshake(port, f"127.0.0.1:{port}") == 101
    assert _ws_handshake(port, f"localhost:{port}") == 101
    assert _ws_handshake(port, "evil.example") != 101  # DNS rebinding / a forged Host
    ip = lan_ip()
    if ip:  # not listening on the LAN address at all
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://{ip}:{port}/_stcore/health", timeout=5)
