"""``serve --https``: the self-signed certificate and a real HTTPS server on loopback."""

import os
import shutil
import ssl
import subprocess
import sys
import time

import pytest
import requests
from cryptography import x509

from tests.harness.mediawiki import kill_group
from tests.harness.mediawiki import reserve_port
from tests.harness.requirements import need
from wikitown.core.paths import PROJECT_ROOT
from wikitown.finds.serve import ensure_certificate, join_url, qr_text


def _sans(path):
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(san.get_values_for_type(x509.DNSName)), {str(i) for i in san.get_values_for_type(x509.IPAddress)}


def test_certificate_names_the_lan_address_and_is_reused(tmp_path):
    first = ensure_certificate(["127.0.0.1", "192.168.10.23"], ["localhost"], directory=tmp_path)
    assert first.created
    dns, ips = _sans(first.cert_path)
    assert dns == {"localhost"} and ips == {"127.0.0.1", "192.168.10.23"}
    assert (first.key_path.stat().st_mode & 0o777) == 0o600
    assert b"PRIVATE KEY" in first.key_path.read_bytes() and b"PRIVATE" not in first.cert_path.read_bytes()
    again = ensure_certificate(["127.0.0.1", "192.168.10.23"], ["localhost"], directory=tmp_path)
    assert not again.created and again.fingerprint == first.fingerprint
    moved = ensure_certificate(["127.0.0.1", "10.0.0.7"], ["localhost"], directory=tmp_path)  # another Wi-Fi
    assert moved.created and _sans(moved.cert_path)[1] == {"127.0.0.1", "10.0.0.7"}
    # The key and certificate load as a pair, the way Streamlit's server loads them.
    ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(moved.cert_path, moved.key_path)


def test_default_key_lives_under_wikitown_home(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    cert = ensure_certificate(["127.0.0.1"], ["localhost"])
    assert cert.key_path.parent == tmp_path / "home" / "tls"
    assert PROJECT_ROOT not in cert.key_path.parents


def test_join_url_and_qr():
    url = join_url("https://192.168.1.5:8501", "demo-yaizu", "YAIZU DEMO&x")
    assert url == "https://192.168.1.5:8501/phone/?event=demo-yaizu&code=YAIZU+DEMO%26x"
    art = qr_text(url)
    lines = art.splitlines()
    # Two modules per text row, a square symbol with its border: version 3+ for this URL (29+ modules).
    assert len(lines) >= 15 and len({len(line) for line in lines}) == 1 and len(lines[0]) >= 29
    assert set(art) <= set("█▀▄ \xa0\n")


def test_print_only_shows_address_qr_and_command(tmp_path):
    env = {**os.environ, "WIKITOWN_HOME": str(tmp_path / "home"), "WIKITOWN_LANG": "en"}
    proc = subprocess.run([sys.executable, "-m", "wikitown", "serve", "--https", "--print-only", "--port", "8765",
                           "--event", str(PROJECT_ROOT / "events" / "demo-yaizu")], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "phone/?event=demo-yaizu&code=YAIZU-DEMO" in out and ":8765/" in out
    assert "█" in out  # the QR code
    assert "--server.sslCertFile" in out and "--browser.serverAddress" in out
    assert str(tmp_path / "home" / "tls") in out


def test_https_server_answers_on_loopback(tmp_path):
    need("streamlit")
    events = tmp_path / "events"
    shutil.copytree(PROJECT_ROOT / "events" / "demo-yaizu", events / "demo-yaizu",
                    ignore=shutil.ignore_patterns("store.sqlite*", "media"))
    port, reservation = reserve_port()
    reservation.close()
    home = tmp_path / "home"
    env = {**os.environ, "WIKITOWN_HOME": str(home), "WIKITOWN_LANG": "en"}
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "wikitown", "serve", "--https", "--host", "127.0.0.1",
                             "--port", str(port), "--event", str(events / "demo-yaizu")], cwd=PROJECT_ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        cert = home / "tls" / "wikitown-cert.pem"
        deadline = time.time() + 60
        answer = None
        while time.time() < deadline:
            if proc.poll() is not None:
                break
            try:
                answer = requests.get(f"https://127.0.0.1:{port}/_stcore/health", verify=str(cert), timeout=5)
                break
            except (requests.ConnectionError, FileNotFoundError, OSError):
                time.sleep(0.5)
        log.flush()
        output = (tmp_path / "serve.log").read_text()
        assert answer is not None and answer.status_code == 200 and answer.text == "ok", output
        # Plain HTTP on the same port is refused: the server speaks only TLS.
        with pytest.raises(requests.RequestException):
            requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=5)
        assert f"https://127.0.0.1:{port}/phone/?event=demo-yaizu" in output
    finally:
        kill_group(proc, timeout=15)
        log.close()
