"""NDL Search by ISBN, against a local stand-in answering in NDL's OpenSearch RSS format.

The fixtures follow a real OpenSearch answer (RSS 2.0 with dc/dcndl/dcterms items)."""
from __future__ import annotations

from pathlib import Path

import pytest

from wikitown.core.errors import ServiceError, ServiceUnavailable
from wikitown.net.http import HttpClient
from wikitown.drafts.isbn import InvalidISBN
from wikitown.drafts import ndl

FIXTURES = Path(__file__).with_name("fixtures")
RSS = FIXTURES / "ndl_opensearch_isbn.xml"
EMPTY = FIXTURES / "ndl_opensearch_empty.xml"


def _xml(path):
    return lambda req: (200, {"Content-Type": "application/xml; charset=UTF-8"}, path.read_bytes())


def test_lookup_fills_a_book(standin):
    server = standin()
    server.route("GET", "/api/opensearch", _xml(RSS))
    book = ndl.lookup_isbn("4-04-893065-6", endpoint=server.url + "/api", client=HttpClient(retries=0))
    assert book.title == "Clean Architecture : 達人に学ぶソフトウェアの構造と設計"
    assert book.authors == "Martin, Robert C、角征典、高木正弘"
    assert book.publisher == "ドワンゴ"  # the distributor (発売) is left out
    assert book.year == "2018-07"
    assert book.isbn == "978-4-04-893065-9"
    assert book.data["extent"] == "349p" and book.data["ndl_link"].endswith("R100000002-I029096886")
    req = server.requests_for("/api/opensearch")[0]
    assert req.query["isbn"] == "4048930656"
    assert req.headers["User-Agent"].startswith("wikitown/")


def test_no_record_is_none(standin):
    server = standin()
    server.route("GET", "/api/opensearch", _xml(EMPTY))
    assert ndl.lookup_isbn("9784000000000", endpoint=server.url + "/api", client=HttpClient(retries=0)) is None


def test_invalid_isbn_asks_nothing(standin):
    server = standin()
    with pytest.raises(InvalidISBN):
        ndl.lookup_isbn("978-4-04-893065-0", endpoint=server.url + "/api")
    assert server.requests == []


def test_network_failure_is_service_unavailable(standin):
    server = standin()
    url = server.url + "/api"
    server.close()
    with pytest.raises(ServiceUnavailable) as err:
        ndl.lookup_isbn("9784048930659", endpoint=url, client=HttpClient(retries=0))
    assert "NDL" in err.value.message("en") or "ndl_search" in err.value.message("en")


def test_server_error_and_garbage(standin):
    server = standin()
    server.route("GET", "/api/opensearch", (503, {}, "maintenance"))
    with pytest.raises(ServiceUnavailable):
        ndl.lookup_isbn("9784048930659", endpoint=server.url + "/api", client=HttpClient(retries=0))
    server.route("GET", "/api/opensearch", (200, {"Content-Type": "text/html"}, "<html><body>error</body></html>"))
    with pytest.raises(ServiceError):
        ndl.lookup_isbn("9784048930659", endpoint=server.url + "/api", client=HttpClient(retries=0))
    server.route("GET", "/api/opensearch", (200, {}, "not xml at all <"))
    with pytest.raises(ServiceError):
        ndl.lookup_isbn("9784048930659", endpoint=server.url + "/api", client=HttpClient(retries=0))


def test_names():
    assert ndl.person("角, 征典") == "角征典"
    assert ndl.person("Martin, Robert C") == "Martin, Robert C"
    assert ndl.person("斎藤, 月岑, 1804-1878") == "斎藤月岑"
