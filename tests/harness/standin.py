"""A tiny HTTP server on 127.0.0.1 that stands in for outside services (NDL Search, Citoid,
Wikidata, Commons ...), so tests never touch the network and can count what was asked.

    server = standin()
    server.route("GET", "/api/opensearch", lambda req: (200, {"Content-Type": "application/xml"}, xml))
    server.route("GET", "/w/api.php", {"query": {...}})        # a fixed JSON answer
    ... call the code under test with base URL server.url ...
    assert len(server.requests) == 1
    assert "wikitown" in server.requests[0].headers["User-Agent"]

A handler receives a StandinRequest and returns (status, headers, body) or just a body;
body may be bytes, str (UTF-8) or a dict/list (sent as JSON). Paths ending in ``*`` match by
prefix. Unrouted requests get 404 (and are still recorded).
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from requests.structures import CaseInsensitiveDict


@dataclass
class StandinRequest:
    method: str
    path: str  # without the query string
    query: dict[str, str]  # last value of each parameter
    query_multi: dict[str, list[str]]
    body: bytes
    headers: CaseInsensitiveDict
    raw_path: str = ""  # path with query string, as received
    form: dict[str, str] = field(default_factory=dict)  # urlencoded POST body, last values

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def params(self) -> dict[str, str]:
        """Query string and urlencoded form merged (form wins), as MediaWiki's API sees them."""
        return {**self.query, **self.form}


Handler = Callable[[StandinRequest], Any]


def _encode(result: Any) -> tuple[int, dict[str, str], bytes]:
    if isinstance(result, tuple):
        if len(result) == 3:
            status, headers, body = result
        elif len(result) == 2:
            (status, body), headers = result, {}
        else:
            raise ValueError(f"handler returned a tuple of length {len(result)}")
    else:
        status, headers, body = 200, {}, result
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
    elif isinstance(body, str):
        data = body.encode("utf-8")
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    elif body is None:
        data = b""
    else:
        data = bytes(body)
        headers.setdefault("Content-Type", "application/octet-stream")
    return int(status), headers, data


class StandinServer:
    def __init__(self) -> None:
        self.requests: list[StandinRequest] = []
        self.errors: list[BaseException] = []
        self._routes: list[tuple[str, str, Handler | Any]] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:  # keep pytest output clean
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                multi = parse_qs(parts.query, keep_blank_values=True)
                form: dict[str, str] = {}
                ctype = self.headers.get("Content-Type", "")
                if body and ctype.startswith("application/x-www-form-urlencoded"):
                    form = {k: v[-1] for k, v in
                            parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
                req = StandinRequest(
                    method=self.command, path=parts.path,
                    query={k: v[-1] for k, v in multi.items()}, query_multi=multi, body=body,
                    headers=CaseInsensitiveDict(self.headers.items()), raw_path=self.path, form=form)
                with server._lock:
                    server.requests.append(req)
                handler = server._find(self.command, parts.path)
                try:
                    if handler is None:
                        result = (404, {}, {"error": f"no stand-in route for {self.command} {parts.path}"})
                    elif callable(handler):
                        result = handler(req)
                    else:
                        result = handler
                    status, headers, data = _encode(result)
                except Exception as exc:  # reported to the test via server.errors
                    server.errors.append(exc)
                    status, headers, data = 500, {"Content-Type": "text/plain"}, repr(exc).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, str(value))
                if not any(k.lower() == "content-length" for k in headers):
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"standin-{self.port}", daemon=True)
        self._thread.start()

    def route(self, method: str, path: str, handler: Handler | Any) -> "StandinServer":
        """Register ``handler`` (callable or fixed answer) for METHOD PATH; later routes win."""
        with self._lock:
            self._routes.insert(0, (method.upper(), path, handler))
        return self

    def _find(self, method: str, path: str) -> Handler | Any | None:
        with self._lock:
            routes = list(self._routes)
        for m, p, handler in routes:
            if m not in (method, "*"):
                continue
            if p == path or (p.endswith("*") and path.startswith(p[:-1])):
                return handler
        return None

    def requests_for(self, path: str, method: str | None = None) -> list[StandinRequest]:
        with self._lock:
            return [r for r in self.requests
                    if r.path == path and (method is None or r.method == method.upper())]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.errors.clear()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
