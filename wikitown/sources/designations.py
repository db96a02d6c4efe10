"""Japanese heritage designations: Wikidata items, levels, and a site's kind.

Sources word designations differently (国指定重要文化財, 県指定史跡, Q1188622 ...);
the organizer filters by *level*, so every source's wording maps to one of
``national``, ``prefectural``, ``municipal``, ``registered`` or ``""``.
"""

from __future__ import annotations

import re

# P1435 (heritage designation) values: Q-id -> (Japanese name, level).
WIKIDATA_DESIGNATIONS: dict[str, tuple[str, str]] = {
    "Q1139795": ("国宝", "national"),
    "Q1188622": ("重要文化財", "national"),
    "Q11579194": ("登録有形文化財", "registered"),
    "Q30834580": ("史跡", "national"),
    "Q26764449": ("特別史跡", "national"),
    "Q11414752": ("名勝", "national"),
    "Q43113623": ("天然記念物", "national"),
    "Q850649": ("重要伝統的建造物群保存地区", "national"),
}

LEVELS = ("national", "prefectural", "municipal", "registered")
# Higher first: the priority sort favours nationally designated sites.
LEVEL_RANK = {"national": 4, "prefectural": 3, "municipal": 2, "registered": 1, "": 0}

_PREF_RE = re.compile(r"(県|都|府|道)(指定|選定)")
_MUNI_RE = re.compile(r"(市|町|村|区)(指定|選定)")


def designation_level(text: str) -> str:
    """The level of a designation as a municipal list or Wikidata words it."""
    text = "".join((text or "").split())  # real lists write 国　宝 with spaces
    if not text:
        return ""
    if "登録" in text and "指定" not in text:
        return "registered"
    if text.startswith("国") or "国宝" in text or "重要文化財" in text or "特別史跡" in text \
            or "重要伝統的建造物" in text or "国指定" in text or "国選定" in text:
        return "national"
    if _PREF_RE.search(text) or text.startswith(("県", "都", "府", "道")):
        return "prefectural"
    if _MUNI_RE.search(text) or text.startswith(("市", "町", "村", "区")):
        return "municipal"
    return ""


# Wikidata P31 values that say what a site is (instance of).
WIKIDATA_KINDS: dict[str, str] = {
    "Q5393308": "temple",  # Buddhist temple
    "Q845945": "shrine",  # Shinto shrine
}


def kind_from_category(category: str) -> str:
    """temple / shrine / other from a source's own category (分類, 種別), or "" when it has none.
    A category that names neither (史跡, 建造物, 包蔵地・貝塚) says the site is not a temple or a
    shrine as such: 子規庵 (史跡) is a poet's house, 常楽寺本堂 (建造物) a building."""
    text = "".join((category or "").split())
    if not text:
        return ""
    if "神社" in text:
        return "shrine"
    if "寺院" in text or text == "寺":
        return "temple"
    return "other"


def kind_from_wikidata(instance_ids) -> str:
    """temple / shrine / other from P31 values, or "" when there are none."""
    ids = [i for i in instance_ids or [] if i]
    if not ids:
        return ""
    kinds = {WIKIDATA_KINDS[i] for i in ids if i in WIKIDATA_KINDS}
    return kinds.pop() if len(kinds) == 1 else "other"


def kind_of(category: str, name: str) -> tuple[str, str]:
    """(kind, origin): the source's category when it has one, else a guess from the name
    (origin "name", which never picks an infobox by itself)."""
    kind = kind_from_category(category)
    if kind:
        return kind, "source"
    return guess_kind(name), "name"


def guess_kind(name: str, category: str = "") -> str:
    """temple / shrine / other: picks the infobox of a draft article."""
    text = (name or "").split("(")[0].split("（")[0].strip()
    if text.endswith(("神社", "神宮", "大社", "八幡宮", "天満宮", "稲荷", "社")) or "神社" in category:
        return "shrine"
    if text.endswith(("寺", "院", "庵", "堂")) or "寺院" in category:
        return "temple"
    return "other"
