"""A SPARQL endpoint for tests: pyoxigraph over a graph in Wikidata's RDF shape, behind the
harness's HTTP stand-in, answering as the Wikidata Query Service does (POST form ``query``,
application/sparql-results+json).

WDQS's geospatial services are implemented here so the product's query text is the one tested:
before evaluating, each ``SERVICE wikibase:around { ?x wdt:P625 ?loc . bd:serviceParam
wikibase:center "Point(lon lat)"^^geo:wktLiteral . bd:serviceParam wikibase:radius "km" . }`` and
``SERVICE wikibase:box { ... wikibase:cornerSouthWest ... wikibase:cornerNorthEast ... }`` is
rewritten into the same triple pattern plus FILTERs on the parsed WKT point (a circle on an
equirectangular projection around the centre: within 0.1 % of the great-circle distance at a
town's scale). Anything else after ``SERVICE`` is refused with 400, as WDQS refuses what it does
not know."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pyoxigraph as ox

FIXTURE = Path(__file__).parent / "data" / "wikidata_yaizu.ttl"
KM_PER_DEGREE = 6371.0088 * math.pi / 180  # the mean Earth radius, as core.geo.haversine_m

_SERVICE_RE = re.compile(r"SERVICE\s+wikibase:(around|box)\s*\{([^{}]*)\}")
_PARAM_RE = re.compile(r"bd:serviceParam\s+wikibase:(\w+)\s+(\"[^\"]*\"(?:\^\^geo:wktLiteral)?|\?\w+)\s*\.")
_TRIPLE_RE = re.compile(r"^\s*(\?\w+)\s+(wdt:P\d+)\s+(\?\w+)\s*\.", re.M)
_POINT_RE = re.compile(r"^\"Point\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)\"\^\^geo:wktLiteral$")
_DOUBLE = "<http://www.w3.org/2001/XMLSchema#double>"


class Unsupported(ValueError):
    pass


def _num(x: float) -> str:
    """A number as an xsd:double literal (exponent form): a long decimal such as 0.0003235108466438541
    exceeds xsd:decimal's precision in oxigraph and silently fails every comparison."""
    return f"{x:.15e}"


def _point(text: str) -> tuple[float, float]:
    m = _POINT_RE.match(text or "")
    if not m:
        raise Unsupported(f"the stand-in takes literal points only, not {text!r}")
    return float(m.group(2)), float(m.group(1))  # lat, lon


def _rewrite_service(kind: str, body: str, n: int) -> str:
    triple = _TRIPLE_RE.search(body)
    if not triple:
        raise Unsupported(f"wikibase:{kind} needs '?item wdt:P625 ?location .' first")
    params = dict(_PARAM_RE.findall(body))
    loc = triple.group(3)
    lat, lon = f"?_wb_lat{n}", f"?_wb_lon{n}"
    out = [triple.group(0).strip(),
           f"BIND({_DOUBLE}(STRBEFORE(STRAFTER(STR({loc}), \"Point(\"), \" \")) AS {lon})",
           f"BIND({_DOUBLE}(STRBEFORE(STRAFTER(STRAFTER(STR({loc}), \"Point(\"), \" \"), \")\")) AS {lat})"]
    if kind == "around":
        if set(params) - {"center", "radius", "globe"}:
            raise Unsupported(f"unsupported wikibase:around parameters: {sorted(set(params))}")
        clat, clon = _point(params.get("center", ""))
        try:
            radius_km = float(params.get("radius", "").strip('"'))
        except ValueError:
            raise Unsupported("wikibase:radius must be a number of kilometres") from None
        k = _num(math.cos(math.radians(clat)))
        r2 = _num((radius_km / KM_PER_DEGREE) ** 2)
        clat, clon = _num(clat), _num(clon)
        out.append(f"FILTER((({lat} - {clat}) * ({lat} - {clat})) + "
                   f"(({lon} - {clon}) * {k} * ({lon} - {clon}) * {k}) <= {r2})")
    else:
        if set(params) != {"cornerSouthWest", "cornerNorthEast"}:
            raise Unsupported(f"wikibase:box needs cornerSouthWest and cornerNorthEast, not {sorted(params)}")
        south, west = _point(params["cornerSouthWest"])
        north, east = _point(params["cornerNorthEast"])
        out.append(f"FILTER({lat} >= {_num(south)} && {lat} <= {_num(north)} && {lon} >= {_num(west)} && "
                   f"{lon} <= {_num(east)})")
    return "\n".join(out)


def to_standard_sparql(query: str) -> str:
    """The query with WDQS's geospatial SERVICE blocks replaced by standard SPARQL."""
    n = 0

    def repl(m):
        nonlocal n
        n += 1
        return _rewrite_service(m.group(1), m.group(2), n)

    text = _SERVICE_RE.sub(repl, query)
    if re.search(r"\bSERVICE\b", text):
        raise Unsupported("the stand-in knows only SERVICE wikibase:around and wikibase:box")
    return text


def sparql_standin(standin, ttl: Path = FIXTURE):
    store = ox.Store()
    store.load(path=str(ttl), format=ox.RdfFormat.TURTLE)
    server = standin()
    server.queries = []  # the texts received, exactly as sent

    def handle(req):
        query = req.form.get("query") or req.query.get("query")
        server.queries.append(query)
        try:
            results = store.query(to_standard_sparql(query))
        except (SyntaxError, Unsupported) as exc:
            return 400, {"Content-Type": "text/plain"}, f"Parse error: {exc}"
        body = results.serialize(format=ox.QueryResultsFormat.JSON)
        return 200, {"Content-Type": "application/sparql-results+json;charset=utf-8"}, body

    server.route("*", "/sparql", handle)
    server.store = store
    return server
