"""What every heritage source returns: site records plus per-row issues.

A source never raises for one bad row: it reports the row (line number and
reason) in ``issues`` and goes on. A source that cannot run at all (the
network is down) raises a :mod:`wikitown.core.errors` error, which the caller
reports while the other sources' results are still shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SiteRecord:
    source: str  # "wikidata", "osm", "opendata:<file name>"
    source_id: str  # the id within that source (Q-id, osm type/id, row number or the file's own id)
    name: str
    name_kana: str = ""
    name_en: str = ""
    designation: str = ""
    designation_level: str = ""
    category: str = ""
    kind: str = ""
    municipality: str = ""
    address: str = ""
    description: str = ""
    lat: float | None = None
    lon: float | None = None
    coord_status: str = "missing"  # ok, missing, geocoded, suspect
    wikidata_id: str = ""
    commons_category: str = ""
    image: str = ""
    articles: dict[str, str] = field(default_factory=dict)  # {"ja": "常楽寺 (焼津市)", "en": ...}
    data: dict = field(default_factory=dict)  # the source's raw values, kept as evidence


@dataclass
class RowIssue:
    line: int  # 1-based line (CSV: the header is line 1) or feature number
    reason: str
    action: str = "skipped"  # skipped or flagged


@dataclass
class SourceResult:
    source: str
    records: list[SiteRecord] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    encoding: str = ""  # how a file was read (utf-8, utf-8-sig, cp932, xlsx); "" for services
