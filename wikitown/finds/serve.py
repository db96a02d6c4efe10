"""Serving the app to phones on the local network.

Phone browsers allow the camera and geolocation only on a secure origin, and
``http://192.168.x.y`` is not one. :func:`ensure_certificate` makes a
self-signed certificate for the LAN address and localhost (kept under
``WIKITOWN_HOME/tls``, never in the event folder or git); phones warn once and
then work. A reverse proxy with a real certificate is the alternative
(docs/finds.md).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from wikitown.core.fsutil import atomic_write_bytes
from wikitown.core.paths import PROJECT_ROOT, home_dir

CERT_DAYS = 90
RENEW_DAYS = 7


@dataclass
class Certificate:
    cert_path: Path
    key_path: Path
    fingerprint: str  # SHA-256, colon-separated hex
    names: list[str]  # the subject alternative names
    created: bool


def lan_ip() -> str | None:
    """This computer's address on the local network, or None. A UDP "connect" picks
    the outgoing interface without sending anything."""
    for probe in ("10.255.255.255", "192.168.255.255", "172.31.255.255"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((probe, 1))
                ip = s.getsockname()[0]
        except OSError:
            continue
        if ip and not ip.startswith("127.") and ip != "0.0.0.0":
            return ip
    return None


def tls_dir() -> Path:
    path = home_dir() / "tls"
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _sans(ips: list[str], hostnames: list[str]):
    from cryptography import x509

    names = [x509.DNSName(h) for h in hostnames]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    return names


def _fingerprint(cert) -> str:
    from cryptography.hazmat.primitives import hashes

    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def _covers(cert, ips: list[str], hostnames: list[str]) -> bool:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    have_ips = {str(i) for i in san.get_values_for_type(x509.IPAddress)}
    have_dns = set(san.get_values_for_type(x509.DNSName))
    left = cert.not_valid_after_utc - dt.datetime.now(dt.timezone.utc)
    return set(ips) <= have_ips and set(hostnames) <= have_dns and left > dt.timedelta(days=RENEW_DAYS)


def ensure_certificate(ips: list[str] | None = None, hostnames: list[str] | None = None,
                       directory: Path | None = None) -> Certificate:
    """A certificate valid for ``ips`` (default: 127.0.0.1 and the LAN address) and
    ``hostnames`` (default: localhost and this computer's name); reused while it covers
    them and is not about to expire, else made anew (EC P-256, self-signed)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    if ips is None:
        ips = ["127.0.0.1"] + ([lan_ip()] if lan_ip() else [])
    if hostnames is None:
        hostnames = ["localhost"]
        host = socket.gethostname()
        if host and host != "localhost" and all(c.isalnum() or c in "-." for c in host):
            hostnames.append(host)
    directory = directory or tls_dir()
    cert_path, key_path = directory / "wikitown-cert.pem", directory / "wikitown-key.pem"
    if cert_path.exists() and key_path.exists():
        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            if _covers(cert, ips, hostnames):
                return Certificate(cert_path, key_path, _fingerprint(cert), hostnames + ips, False)
        except ValueError:
            pass  # unreadable: make a new one
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wikitown (self-signed)"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wikitown")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=CERT_DAYS))
            .add_extension(x509.SubjectAlternativeName(_sans(ips, hostnames)), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    atomic_write_bytes(key_path, key.private_bytes(serialization.Encoding.PEM,
                                                   serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()), mode=0o600)
    atomic_write_bytes(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return Certificate(cert_path, key_path, _fingerprint(cert), hostnames + ips, True)


def join_url(base: str, event_slug: str, code: str) -> str:
    """What the QR code on the sheet opens: the phone page with the event and its code."""
    from wikitown.walk.sheets import join_url as sheet_join_url

    return sheet_join_url(base, event_slug, code)


def qr_text(url: str) -> str:
    """The QR code as text for a terminal (qrcode's ASCII art)."""
    import io

    import qrcode

    qr = qrcode.QRCode(border=1)
    qr.add_data(url)
    qr.make(fit=True)
    buf = io.StringIO()
    qr.print_ascii(out=buf, invert=True)
    return buf.getvalue()


def streamlit_command(*, port: int, address: str, server_address: str, cert: Certificate | None,
                      extra: list[str] | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"),
           "--server.port", str(port), "--server.address", address, "--server.headless", "true",
           "--browser.gatherUsageStats", "false",
           # Streamlit otherwise looks up its external IP on the internet to print a URL.
           "--browser.serverAddress", server_address, "--browser.serverPort", str(port)]
    if cert is not None:
        cmd += ["--server.sslCertFile", str(cert.cert_path), "--server.sslKeyFile", str(cert.key_path)]
    return cmd + list(extra or [])


def serve_env(event_dir: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if event_dir is not None:
        event_dir = Path(event_dir).resolve()
        env["WIKITOWN_EVENTS_DIR"] = str(event_dir.parent)
        env["WIKITOWN_EVENT"] = event_dir.name
    return env
