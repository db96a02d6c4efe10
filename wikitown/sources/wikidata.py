"""Wikidata, by SPARQL: heritage-designated items (P1435) in the event's area.

The query is standard SPARQL 1.1 (no ``SERVICE wikibase:label``, no ``wikibase:around``),
so the same text runs on the Wikidata Query Service and, in tests, on pyoxigraph over a
graph in Wikidata's RDF shape. Coordinates are read out of the ``geo:wktLiteral``
("Point(lon lat)") with string functions and filtered to the area's bounding box; the
administrative route (``wdt:P131*`` to the municipality's item) also finds items without
coordinates. Sitelinks (``schema:about``/``schema:isPartOf``) tell whether the target
Wikipedia and others have an article.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from wikitown.core.errors import ServiceError
from wikitown.core.geo import bbox, haversine_m
from wikitown.sources.base import SiteRecord, SourceResult
from wikitown.sources.designations import WIKIDATA_DESIGNATIONS, designation_level, guess_kind, kind_from_wikidata

SOURCE = "wikidata"
PREFIXES = """PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <http://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
_QID_RE = re.compile(r"^Q\d+$")


def build_query(*, lat: float | None = None, lon: float | None = None, radius_km: float | None = None,
                admin_qid: str = "", label_langs: tuple[str, ...] = ("ja", "en"), limit: int = 20000) -> str:
    """The query for an area (a circle's bounding box) and/or a municipality's item."""
    if admin_qid and not _QID_RE.match(admin_qid):
        raise ValueError(f"not a Wikidata item id: {admin_qid!r}")
    if not admin_qid and (lat is None or lon is None or not radius_km):
        raise ValueError("an area (lat, lon, radius_km) or a municipality item is needed")
    where = ["  ?item wdt:P1435 ?designation ."]
    coord = ("  ?item wdt:P625 ?coord .\n"
             "  BIND(xsd:double(STRBEFORE(STRAFTER(STR(?coord), \"Point(\"), \" \")) AS ?lon)\n"
             "  BIND(xsd:double(STRBEFORE(STRAFTER(STRAFTER(STR(?coord), \"Point(\"), \" \"), \")\")) AS ?lat)")
    if admin_qid:
        where.append(f"  ?item wdt:P131* wd:{admin_qid} .")
        where.append("  OPTIONAL {\n" + coord.replace("\n", "\n  ") + "\n  }")
    else:
        south, west, north, east = bbox(lat, lon, radius_km)
        where.append(coord)
        where.append(f"  FILTER(?lat >= {south:.6f} && ?lat <= {north:.6f} && "
                     f"?lon >= {west:.6f} && ?lon <= {east:.6f})")
    selects = ["?item", "?designation", "?lat", "?lon", "?image", "?commonsCat", "?article", "?wiki"]
    for lang in label_langs:
        if not re.fullmatch(r"[a-z]{2,3}(-[a-z]+)?", lang):
            raise ValueError(f"not a language code: {lang!r}")
        var = f"?label_{lang.replace('-', '_')}"
        selects.append(var)
        where.append(f"  OPTIONAL {{ ?item rdfs:label {var} . FILTER(LANG({var}) = \"{lang}\") }}")
    where.append("  OPTIONAL { ?item wdt:P18 ?image . }")
    where.append("  OPTIONAL { ?item wdt:P373 ?commonsCat . }")
    where.append("  OPTIONAL { ?article schema:about ?item ; schema:isPartOf ?wiki .\n"
                 "             FILTER(STRENDS(STR(?wiki), \".wikipedia.org/\")) }")
    return (PREFIXES + "SELECT " + " ".join(selects) + " WHERE {\n" + "\n".join(where) + "\n}\n"
            + f"LIMIT {int(limit)}\n")


def _value(binding: dict, var: str) -> str:
    cell = binding.get(var)
    return cell.get("value", "") if isinstance(cell, dict) else ""


def _qid(uri: str) -> str:
    tail = uri.rsplit("/", 1)[-1]
    return tail if _QID_RE.match(tail) else ""


def _wiki_lang(wiki_uri: str) -> str:
    m = re.match(r"^https?://([a-z0-9-]+)\.wikipedia\.org/?$", wiki_uri)
    return m.group(1) if m else ""


def _article_title(article_uri: str) -> str:
    return unquote(article_uri.split("/wiki/", 1)[-1]).replace("_", " ") if "/wiki/" in article_uri else ""


def _commons_file(image_uri: str) -> str:
    # WDQS gives http://commons.wikimedia.org/wiki/Special:FilePath/Name.jpg
    name = unquote(image_uri.rsplit("/", 1)[-1]).replace("_", " ") if "/" in image_uri else image_uri
    return name


def parse_results(data: dict, *, target_lang: str = "ja", area=None) -> SourceResult:
    """SPARQL JSON results (one row per item x designation x sitelink ...) as one record per item."""
    try:
        bindings = data["results"]["bindings"]
    except (KeyError, TypeError):
        raise ServiceError("Wikidata Query Service", "the answer is not SPARQL JSON results") from None
    result = SourceResult(SOURCE)
    items: dict[str, SiteRecord] = {}
    designations: dict[str, list[str]] = {}
    instances: dict[str, list[str]] = {}
    for b in bindings:
        qid = _qid(_value(b, "item"))
        if not qid:
            continue
        rec = items.get(qid)
        if rec is None:
            rec = items[qid] = SiteRecord(source=SOURCE, source_id=qid, name="", wikidata_id=qid,
                                          data={"designations": []})
            designations[qid] = []
        labels = {k[len("label_"):]: v["value"] for k, v in b.items() if k.startswith("label_")}
        rec.name = rec.name or labels.get(target_lang) or labels.get("ja") or ""
        rec.name_en = rec.name_en or labels.get("en", "")
        if not rec.data.get("labels"):
            rec.data["labels"] = labels
        instance = _qid(_value(b, "instance"))  # P31, when the query asks for it
        if instance and instance not in instances.setdefault(qid, []):
            instances[qid].append(instance)
        des = _qid(_value(b, "designation"))
        if des and des not in designations[qid]:
            designations[qid].append(des)
        try:
            lat, lon = float(_value(b, "lat")), float(_value(b, "lon"))
            if rec.lat is None:
                rec.lat, rec.lon, rec.coord_status = lat, lon, "ok"
        except ValueError:
            pass
        if _value(b, "image") and not rec.image:
            rec.image = _commons_file(_value(b, "image"))
        if _value(b, "commonsCat") and not rec.commons_category:
            rec.commons_category = _value(b, "commonsCat")
        lang = _wiki_lang(_value(b, "wiki"))
        title = _article_title(_value(b, "article"))
        if lang and title:
            rec.articles.setdefault(lang, title)
    for qid, rec in items.items():
        names = [WIKIDATA_DESIGNATIONS.get(d, (d, ""))[0] for d in designations[qid]]
        levels = [WIKIDATA_DESIGNATIONS[d][1] for d in designations[qid] if d in WIKIDATA_DESIGNATIONS]
        rec.designation = "・".join(names)
        rec.designation_level = max(levels, key=lambda v: ("registered", "municipal", "prefectural",
                                                           "national").index(v)) if levels else \
            designation_level(rec.designation)
        rec.data["designations"] = designations[qid]
        if instances.get(qid):
            rec.data["instances"] = instances[qid]
        if not rec.name:
            rec.name = rec.name_en or qid
        kind = kind_from_wikidata(instances.get(qid))
        rec.kind, rec.kind_origin = (kind, "wikidata") if kind else (guess_kind(rec.name), "name")
        if area is not None and rec.lat is not None and area.radius_km and \
                haversine_m(rec.lat, rec.lon, area.lat, area.lon) > area.radius_km * 1000 and \
                not getattr(area, "wikidata_id", ""):
            continue  # the bounding box's corners lie outside the circle
        result.records.append(rec)
    return result


def fetch(area, *, client, endpoint: str, target_lang: str = "ja") -> SourceResult:
    """Query the endpoint for the area's heritage items (POST, as WDQS prefers for long queries)."""
    query = build_query(lat=area.lat, lon=area.lon, radius_km=area.radius_km,
                        admin_qid=getattr(area, "wikidata_id", "") or "",
                        label_langs=tuple(dict.fromkeys((target_lang, "ja", "en"))))
    resp = client.request("POST", endpoint, data={"query": query}, service="Wikidata Query Service",
                          headers={"Accept": "application/sparql-results+json"})
    return parse_results(resp.json(), target_lang=target_lang, area=area)
