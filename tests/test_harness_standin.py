"""The stand-in HTTP server answers registered routes and records every request."""
from __future__ import annotations

import requests


def test_standin_routes_and_records(standin):
    server = standin()
    server.route("GET", "/search", lambda req: (200, {"X-Test": "1"}, {"q": req.query.get("q")}))
    server.route("POST", "/form", lambda req: "got " + req.form["a"])

    r = requests.get(f"{server.url}/search", params={"q": "焼津"},
                     headers={"User-Agent": "wikitown-test/0 (contact)"}, timeout=5)
    assert r.status_code == 200 and r.headers["X-Test"] == "1"
    assert r.json() == {"q": "焼津"}
    assert requests.post(f"{server.url}/form", data={"a": "b"}, timeout=5).text == "got b"
    assert requests.get(f"{server.url}/nothing", timeout=5).status_code == 404

    assert [(q.method, q.path) for q in server.requests] == [
        ("GET", "/search"), ("POST", "/form"), ("GET", "/nothing")]
    first = server.requests[0]
    assert first.query == {"q": "焼津"}
    assert first.headers["user-agent"] == "wikitown-test/0 (contact)"
    assert len(server.requests_for("/search")) == 1
    assert server.errors == []


def test_standin_reports_handler_errors(standin):
    server = standin()
    server.route("GET", "/boom", lambda req: 1 / 0)
    assert requests.get(f"{server.url}/boom", timeout=5).status_code == 500
    assert isinstance(server.errors[0], ZeroDivisionError)
