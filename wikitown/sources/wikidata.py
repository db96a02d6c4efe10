"""Wikidata, by SPARQL: heritage-designated items (P1435) in the event's area.

The query is written for the Wikidata Query Service, the way it runs fast there:

* the area through WDQS's geospatial service ``SERVICE wikibase:around`` (centre as a
  ``geo:wktLiteral`` "Point(lon lat)", radius in kilometres), so only items near the town are read,
  never every designated item in the world;
* the municipality through ``wdt:P131*`` when its item is known (it also finds items without
  coordinates); its item comes from the event (``area.wikidata_id``) or is found first by a small
  query from the 全国地方公共団体コード (P429) or the municipality's name;
* sitelinks (``schema:about``/``schema:isPartOf``) tell whether the target Wikipedia and others have
  an article.

Tests run the same text on pyoxigraph: tests/sparql_standin.py implements the geospatial services
over the fixture graph.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from wikitown.core.errors import ServiceError, WikitownError
from wikitown.core.geo import haversine_m
from wikitown.sources.base import SiteRecord, SourceResult
from wikitown.sources.designations import WIKIDATA_DESIGNATIONS, designation_level, guess_kind, kind_from_wikidata

SOURCE = "wikidata"
PREFIXES = """PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX wikibase: <http://wikiba.se/ontology#>
PREFIX bd: <http://www.bigdata.com/rdf#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <http://schema.org/>
"""
_QID_RE = re.compile(r"^Q\d+$")
_POINT_RE = re.compile(r"Point\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)")


def _check_qid(qid: str) -> None:
    if qid and not _QID_RE.match(qid):
        raise ValueError(f"not a Wikidata item id: {qid!r}")


def build_query(*, lat: float | None = None, lon: float | None = None, radius_km: float | None = None,
                admin_qid: str = "", label_langs: tuple[str, ...] = ("ja", "en"), limit: int = 20000) -> str:
    """The query for an area (a circle, through ``wikibase:around``) and/or a municipality's item
    (through ``wdt:P131*``); with both, the items of either."""
    _check_qid(admin_qid)
    has_area = lat is not None and lon is not None and bool(radius_km)
    if not admin_qid and not has_area:
        raise ValueError("an area (lat, lon, radius_km) or a municipality item is needed")
    branches = []
    if has_area:
        if not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180 and 0 < float(radius_km) <= 1000):
            raise ValueError(f"not an area: {lat}, {lon}, {radius_km} km")
        branches.append(
            "    SERVICE wikibase:around {\n"
            "      ?item wdt:P625 ?coord .\n"
            f"      bd:serviceParam wikibase:center \"Point({float(lon):.6f} {float(lat):.6f})\"^^geo:wktLiteral .\n"
            f"      bd:serviceParam wikibase:radius \"{float(radius_km):g}\" .\n"
            "    }\n"
            "    ?item wdt:P1435 ?designation .\n"
            "    BIND(\"area\" AS ?via)")
    if admin_qid:
        branches.append(
            f"    ?item wdt:P131* wd:{admin_qid} .\n"
            "    ?item wdt:P1435 ?designation .\n"
            "    OPTIONAL { ?item wdt:P625 ?coord . }\n"
            "    BIND(\"municipality\" AS ?via)")
    where = ["  {\n" + "\n  } UNION {\n".join(branches) + "\n  }"]
    selects = ["?item", "?designation", "?coord", "?via", "?image", "?commonsCat", "?article", "?wiki"]
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


def dantai_codes(code: str) -> list[str]:
    """The 全国地方公共団体コード in both written forms: 5 digits and 6 with the check digit
    (Wikidata's P429 holds the 6-digit form, e.g. 焼津市 222127)."""
    code = (code or "").strip()
    if not re.fullmatch(r"\d{5,6}", code):
        return []
    five = code[:5]
    total = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2)))
    check = (11 - total % 11) % 10
    return [five + str(check), five]


def build_municipality_query(*, code: str = "", name: str = "", lang: str = "ja") -> str:
    """The small query that finds a municipality's item: by its code (P429), else by its name
    (an item with that label that has a P429 code, i.e. a Japanese local government)."""
    codes = dantai_codes(code)
    if codes:
        values = " ".join(f"\"{c}\"" for c in codes)
        where = f"  VALUES ?code {{ {values} }}\n  ?item wdt:P429 ?code .\n"
    else:
        name = " ".join((name or "").split())
        if not name or len(name) > 40 or any(c in name for c in "\"\\\n{}<>"):
            raise ValueError(f"not a municipality name: {name!r}")
        if not re.fullmatch(r"[a-z]{2,3}", lang):
            raise ValueError(f"not a language code: {lang!r}")
        where = f"  ?item rdfs:label \"{name}\"@{lang} ;\n        wdt:P429 ?code .\n"
    return (PREFIXES + "SELECT ?item ?code ?coord WHERE {\n" + where
            + "  OPTIONAL { ?item wdt:P625 ?coord . }\n}\nLIMIT 20\n")


def _point(wkt: str) -> tuple[float, float] | None:
    """(lat, lon) from a WKT literal "Point(lon lat)" (WDQS may prefix a globe IRI)."""
    m = _POINT_RE.search(wkt or "")
    if not m:
        return None
    try:
        lon, lat = float(m.group(1)), float(m.group(2))
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _post(client, endpoint: str, query: str) -> dict:
    resp = client.request("POST", endpoint, data={"query": query}, service="Wikidata Query Service",
                          headers={"Accept": "application/sparql-results+json"})
    try:
        data = resp.json()
    except ValueError:
        raise ServiceError("Wikidata Query Service", "the answer is not SPARQL JSON results") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise ServiceError("Wikidata Query Service", "the answer is not SPARQL JSON results")
    return data


def find_municipality(area, *, client, endpoint: str, lang: str = "ja") -> tuple[str, str]:
    """The municipality's Wikidata item for an area without one: (qid, how found) or ("", why not).
    Several items with one name (府中市 is in Tokyo and in Hiroshima) are told apart by the
    nearest to the area's centre; with no coordinates to decide, none is guessed."""
    code = getattr(area, "municipality_code", "") or ""
    name = getattr(area, "municipality", "") or ""
    if not dantai_codes(code) and not name.strip():
        return "", "no municipality code or name"
    if dantai_codes(code):
        qid, how = _find_by(area, client, endpoint, code=code)
        if qid or not name.strip():
            return qid, how
    return _find_by(area, client, endpoint, name=name, lang=lang)  # no code, or no item has it


def _find_by(area, client, endpoint: str, *, code: str = "", name: str = "", lang: str = "ja") -> tuple[str, str]:
    try:
        query = build_municipality_query(code=code, name=name, lang=lang)
    except ValueError as exc:
        return "", str(exc)
    data = _post(client, endpoint, query)
    found: dict[str, tuple[float, float] | None] = {}
    for b in data["results"].get("bindings") or []:
        qid = _qid(_value(b, "item"))
        if qid:
            found[qid] = found.get(qid) or _point(_value(b, "coord"))
    how = f"P429 {code}" if code else f"name {name}"
    if len(found) == 1:
        return next(iter(found)), how
    if not found:
        return "", f"no item with {how}"
    if getattr(area, "lat", None) is not None and all(found.values()):
        qid = min(found, key=lambda q: haversine_m(area.lat, area.lon, *found[q]))
        return qid, f"{how}, nearest of {len(found)}"
    return "", f"{len(found)} items with {how}"


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
    in_municipality: set[str] = set()
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
        point = _point(_value(b, "coord"))
        if point is None:
            try:
                point = float(_value(b, "lat")), float(_value(b, "lon"))
            except ValueError:
                point = None
        if point is not None and rec.lat is None:
            rec.lat, rec.lon, rec.coord_status = point[0], point[1], "ok"
        if _value(b, "via") == "municipality":
            in_municipality.add(qid)
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
        if area is not None and rec.lat is not None and area.radius_km and qid not in in_municipality and \
                haversine_m(rec.lat, rec.lon, area.lat, area.lon) > area.radius_km * 1000 * 1.001:
            continue  # outside the circle (an engine's distance may differ a little)
        result.records.append(rec)
    return result


def fetch(area, *, client, endpoint: str, target_lang: str = "ja") -> SourceResult:
    """Query the endpoint for the area's heritage items (POST, as WDQS prefers for long queries).
    Without ``area.wikidata_id``, the municipality's item is looked up first (one small query)
    from ``area.municipality_code`` or ``area.municipality``; what was found, and how (or why
    not), is in ``result.notes`` (``municipality_item``, ``municipality_how``)."""
    admin_qid = getattr(area, "wikidata_id", "") or ""
    how = "the event's area.wikidata_id"
    if not admin_qid:
        try:
            admin_qid, how = find_municipality(area, client=client, endpoint=endpoint, lang="ja")
        except WikitownError as exc:  # the area alone is still worth asking
            admin_qid, how = "", f"the look-up failed: {exc.message('en')}"
    notes = {"municipality_item": admin_qid, "municipality_how": how}
    query = build_query(lat=area.lat, lon=area.lon, radius_km=area.radius_km, admin_qid=admin_qid,
                        label_langs=tuple(dict.fromkeys((target_lang, "ja", "en"))))
    result = parse_results(_post(client, endpoint, query), target_lang=target_lang, area=area)
    result.notes.update(notes)
    return result
