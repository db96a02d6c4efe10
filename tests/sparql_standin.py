"""A SPARQL endpoint for tests: pyoxigraph over a graph in Wikidata's RDF shape, behind the
harness's HTTP stand-in, answering as the Wikidata Query Service does (POST form ``query``,
application/sparql-results+json)."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

FIXTURE = Path(__file__).parent / "data" / "wikidata_yaizu.ttl"


def sparql_standin(standin, ttl: Path = FIXTURE):
    store = ox.Store()
    store.load(path=str(ttl), format=ox.RdfFormat.TURTLE)
    server = standin()

    def handle(req):
        query = req.form.get("query") or req.query.get("query")
        try:
            results = store.query(query)
        except SyntaxError as exc:
            return 400, {"Content-Type": "text/plain"}, f"Parse error: {exc}"
        body = results.serialize(format=ox.QueryResultsFormat.JSON)
        return 200, {"Content-Type": "application/sparql-results+json;charset=utf-8"}, body

    server.route("*", "/sparql", handle)
    server.store = store
    return server
