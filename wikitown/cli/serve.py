"""``serve``: start the app for phones on the local network (``--https`` for the
camera and location)."""

from __future__ import annotations

import re
import subprocess
import sys

from wikitown.core.i18n import t
from wikitown.core.paths import PROJECT_ROOT

ORDER = 90


def register(sub) -> None:
    p = sub.add_parser("serve", help="start the app; with --https, phones on the same Wi-Fi can use the camera "
                                     "and location (self-signed certificate)")
    p.add_argument("--https", action="store_true", help="make (or reuse) a self-signed certificate and serve HTTPS")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default: every interface)")
    p.add_argument("--event", metavar="DIR", help="the event folder participants join (default: the first event)")
    p.add_argument("--public-url", metavar="URL", default="",
                   help="the address phones use, e.g. https://walk.example.org behind a reverse proxy (default: the "
                        "event's public_url, else this computer's address); goes into join links, QR codes, sheets")
    p.add_argument("--print-only", action="store_true", help="print the addresses and the command, start nothing")
    p.set_defaults(func=_serve)


def _serve(args) -> int:
    from wikitown.finds.serve import ensure_certificate, join_url, lan_ip, qr_text, serve_env, streamlit_command

    event = None
    if args.event:
        from wikitown.store.events import open_event

        event = open_event(args.event)
    else:
        from wikitown.store.events import list_events, open_event

        found = list_events()
        event = open_event(found[0]) if found else None
    local_only = args.host in ("127.0.0.1", "localhost", "::1")
    ip = "127.0.0.1" if local_only else lan_ip()
    scheme = "https" if args.https else "http"
    cert = None
    if args.https:
        cert = ensure_certificate(["127.0.0.1"] + ([ip] if ip and ip != "127.0.0.1" else []))
        print(t("finds.cli.serve_cert", args.lang, path=cert.cert_path, fingerprint=cert.fingerprint))
    else:
        print(t("finds.cli.serve_http_warning", args.lang))
    print(t("finds.cli.serve_local", args.lang, url=f"{scheme}://localhost:{args.port}/"))
    if ip is None:
        print(t("finds.cli.serve_no_lan", args.lang))
        ip = "127.0.0.1"
    base = (args.public_url or (event.config.public_url if event else "") or f"{scheme}://{ip}:{args.port}").rstrip("/")
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", base):
        print(f"wikitown: --public-url must be an http(s) address, not {base!r}", file=sys.stderr)
        return 2
    url = join_url(base, event.dir.name, event.config.code) if event else base + "/"
    print(t("phone.cli.public_url", args.lang, url=base))
    print(t("finds.cli.serve_url", args.lang, url=url))
    print(qr_text(url))
    cmd = streamlit_command(port=args.port, address=args.host, server_address=ip, cert=cert)
    if args.print_only:
        print(" ".join(cmd))
        return 0
    sys.stdout.flush()
    env = serve_env(event.dir if event else None)
    env["WIKITOWN_PUBLIC_URL"] = base  # the app's sheets and QR codes use what was printed here
    if event is not None:
        from wikitown.walk.sheets import SERVED_URL_KEY

        event.store.set_kv(SERVED_URL_KEY, base)  # and `plan` run later in another terminal
    proc = subprocess.Popen(cmd, env=env, cwd=str(PROJECT_ROOT))  # .streamlit/config.toml is read from here
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0


