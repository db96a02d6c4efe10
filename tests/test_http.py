"""The one HTTP client: User-Agent, retries, cache, and clear messages when offline."""

import socket

import pytest

from wikitown.core import services
from wikitown.core.errors import ServiceError, ServiceUnavailable
from wikitown.net.http import HttpClient, user_agent


def test_user_agent_follows_wikimedia_policy(standin, monkeypatch):
    monkeypatch.setenv("WIKITOWN_CONTACT", "organizer@example.org")
    server = standin()
    server.route("GET", "/api", {"ok": True})
    HttpClient().get_json(f"{server.url}/api")
    ua = server.requests[0].headers["User-Agent"]
    assert ua.startswith("wikitown/") and "organizer@example.org" in ua
    assert user_agent("x") != user_agent("y")


def test_retries_with_backoff_then_succeeds(standin):
    server = standin()
    calls = []

    def flaky(req):
        calls.append(1)
        return (503, {"Retry-After": "0"}, "busy") if len(calls) < 3 else {"ok": 1}

    server.route("GET", "/flaky", flaky)
    assert HttpClient(retries=3, backoff=0.01).get_json(f"{server.url}/flaky") == {"ok": 1}
    assert len(server.requests) == 3


def test_gives_up_with_a_clear_message(standin):
    server = standin()
    server.route("GET", "/down", (503, {}, "down"))
    with pytest.raises(ServiceUnavailable) as err:
        HttpClient(retries=1, backoff=0.01).get_json(f"{server.url}/down", service="Overpass API")
    assert "OpenStreetMap (Overpass)" in err.value.message("en")  # the service named as the catalogue names it
    assert "接続できませんでした" in err.value.message("ja")


def test_offline_is_a_message_not_a_traceback():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ServiceUnavailable) as err:
        HttpClient(retries=0).get_json(f"http://127.0.0.1:{port}/x", service="Nominatim")
    assert err.value.reason == "connection refused"


def test_client_errors_and_non_json(standin):
    server = standin()
    server.route("GET", "/missing", (404, {}, "nope"))
    server.route("GET", "/html", (200, {"Content-Type": "text/html"}, "<html>"))
    client = HttpClient(retries=0)
    with pytest.raises(ServiceError, match="HTTP 404"):
        client.get_json(f"{server.url}/missing")
    with pytest.raises(ServiceError, match="not JSON"):
        client.get_json(f"{server.url}/html")


def test_disk_cache_answers_repeats(standin, tmp_path):
    server = standin()
    server.route("GET", "/q", {"n": 1})
    client = HttpClient(cache_dir=tmp_path / "cache")
    assert client.get_json(f"{server.url}/q", {"a": "1"}) == {"n": 1}
    assert client.get_json(f"{server.url}/q", {"a": "1"}) == {"n": 1}
    assert len(server.requests) == 1 and client.requests_sent == 1
    # a new client (a new process) still has the cache on disk
    assert HttpClient(cache_dir=tmp_path / "cache").get_json(f"{server.url}/q", {"a": "1"}) == {"n": 1}
    assert len(server.requests) == 1


def test_endpoints_default_event_and_environment(monkeypatch):
    monkeypatch.delenv("WIKITOWN_WIKI_API_URL", raising=False)
    assert services.endpoint("wiki_api", lang="ja") == "https://ja.wikipedia.org/w/api.php"
    assert services.endpoint("wiki_api", {"wiki_api": "http://127.0.0.1:9/api.php"}) == "http://127.0.0.1:9/api.php"
    monkeypatch.setenv("WIKITOWN_WIKI_API_URL", "http://127.0.0.1:8/api.php")
    assert services.endpoint("wiki_api", {"wiki_api": "http://127.0.0.1:9/api.php"}) == "http://127.0.0.1:8/api.php"
    assert set(services.all_endpoints()) == set(services.SERVICE_NAMES)
