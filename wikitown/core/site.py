"""One heritage site: the one model every stage uses (sources, merge, store, plan, drafts).

A source's text is kept as the source published it, byte for byte (``name``, ``description``,
``address``, ``owner``: full-width brackets, digits, U+3000, line breaks and all). What is derived
for matching and titles is kept apart (:attr:`Site.name_key`), and so is where a derived value
came from (``municipality_origin``, ``kind_origin``), so nothing downstream mistakes a guess or
a fallback for the source's word.

A source's record and the event's merged site are both a ``Site``: a record has ``source`` and
``source_id``; a stored site has ``id`` and the event's findings (article status, photo, walk
target). Stage-specific state lives in small wrappers that hold a ``Site`` (``MergedSite``,
``walk.planner.PlanSite``), never in copies of its fields.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from wikitown.core.normalize import nfkc

# Where a site's kind (temple/shrine/other) came from, most trusted first. A kind from the
# name alone is a guess: it never picks an infobox or category by itself.
KIND_ORIGINS = ("source", "wikidata", "osm", "name")
# Where a site's municipality came from: its own field, its address, the municipality of the
# nearest records that name theirs, or, last, the event's.
MUNICIPALITY_ORIGINS = ("field", "address", "coordinates", "event")


@dataclass
class Site:
    source: str = ""  # "wikidata", "osm", "opendata:<file name>"; "" for a merged site
    source_id: str = ""  # the id within that source (Q-id, osm type/id, row number or the file's own id)
    name: str = ""  # as the source publishes it, byte for byte
    id: str = ""  # the event's site id ("" for a source's record not yet stored)
    name_kana: str = ""
    name_en: str = ""
    designation: str = ""
    designation_level: str = ""
    category: str = ""
    kind: str = ""  # temple, shrine, other
    kind_origin: str = ""  # one of KIND_ORIGINS ("" = given by hand or an older store)
    municipality: str = ""
    municipality_origin: str = ""  # one of MUNICIPALITY_ORIGINS
    address: str = ""
    description: str = ""
    owner: str = ""  # 所有者等 / 管理者, as the source words it
    lat: float | None = None
    lon: float | None = None
    coord_status: str = "missing"  # ok, missing, geocoded, suspect
    wikidata_id: str = ""
    commons_category: str = ""
    image: str = ""
    articles: dict[str, str] = field(default_factory=dict)  # {"ja": "常楽寺 (焼津市)", "en": ...}
    # per-row findings of the importer: [{"code": "coords_repaired", "line": 12, "source": ...}]
    issues: list[dict] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # the source's raw values, kept as evidence
    # the event's findings (stored sites only)
    article_status: str = "unchecked"
    article_title: str = ""
    has_photo: bool | None = None
    selected: bool = False

    @property
    def name_key(self) -> str:
        """The name normalised for matching and titles (NFKC, spaces collapsed): never shown as
        the site's name, never written back over it."""
        return nfkc(self.name)

    @property
    def kind_guessed(self) -> bool:
        return self.kind_origin == "name"

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None and self.coord_status != "missing"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Site":
        """A site from a dict (a store row, a provenance record, a CSV row): unknown keys are
        ignored, missing ones take their defaults, NaN and None become empty."""
        data = data or {}
        values = {}
        for f in fields(cls):
            key = f.name
            if key == "id" and "id" not in data and "site_id" in data:
                key = "site_id"
            if key == "articles" and "articles" not in data:
                key = "other_articles"
            if key not in data:
                continue
            value = data[key]
            if isinstance(value, float) and math.isnan(value):
                value = None
            if value is None:
                continue  # the default
            if f.name in ("lat", "lon"):
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    continue
                if not math.isfinite(value):
                    continue
            elif f.name in ("articles", "data"):
                value = dict(value) if isinstance(value, dict) else {}
            elif f.name == "issues":
                value = [dict(i) for i in value if isinstance(i, dict)] if isinstance(value, list) else []
            elif f.name == "has_photo":
                value = bool(value)
            elif f.name == "selected":
                value = bool(value)
            else:
                value = str(value)
            values[f.name] = value
        return cls(**values)


def issue_codes(site: Site) -> list[str]:
    """The codes of a site's importer findings, in order, each once."""
    return list(dict.fromkeys(str(i.get("code", "")) for i in site.issues if i.get("code")))
