"""Can a team photograph this site from the street? (Which sites a walk plans by itself.)

Cultural-property lists mix places (buildings, temples, shrines, historic sites, scenic spots,
trees) with things that are not there to see on a walk: paintings, sculptures and craft works
kept inside or in storage, documents and books, and intangible properties (performances,
festivals, skills). A walk plans only places unless the organizer chose a site by hand.

The decision reads the site's category (種別), its designation text and its kind, as the source
words them; it never guesses from the name alone except to let a stone statue or a relief carved
in rock (石仏, 磨崖仏, 石造…) count as outdoors.
"""

from __future__ import annotations

import re

from wikitown.core.normalize import nfkc
from wikitown.core.site import Site

# 無形: performances, festivals, techniques: there is nothing to photograph on an ordinary day.
_INTANGIBLE = re.compile(r"無形|芸能|祭礼行事|民俗行事|風俗慣習|神楽|踊り?$|囃子|選択無形|^民俗文化財$|intangible|performance|festival",
                         re.IGNORECASE)
# 有形 objects kept indoors (美術工芸品): a painting, a sculpture in a hall, a document.
_OBJECT = re.compile(r"絵画|彫刻|工芸|書跡|典籍|古文書|文書|歴史資料|考古資料|美術|刀剣|仏像|仏画|絵馬|掛軸|蔵書|"
                     r"painting|sculpture|statue|document|manuscript|artwork|craft", re.IGNORECASE)
# A few objects stand outdoors: stone statues, reliefs carved in rock, stone towers.
_OUTDOOR_OBJECT = re.compile(r"石造|石仏|磨崖|摩崖|石像|石塔|石碑|板碑|道祖神|地蔵|野仏|庚申|stone")
# Words that make a site a place whatever else its category says.
_PLACE = re.compile(r"建造物|史跡|名勝|天然記念物|記念物|遺跡|伝統的建造物群|文化的景観|寺院|神社|城跡|古墳|"
                    r"building|historic site|scenic|natural monument|temple|shrine|ruins", re.IGNORECASE)


def outdoor_reason(site: Site) -> str:
    """'' when a team can photograph the site on a walk; otherwise the left-out reason code:
    ``intangible`` (a performance or festival) or ``not_outdoors`` (an object kept indoors)."""
    category = nfkc(site.category)
    words = " ".join(nfkc(w) for w in (site.category, site.designation) if w)
    if site.kind in ("temple", "shrine") and not category:
        return ""
    if category and _PLACE.search(category):
        return ""
    if _INTANGIBLE.search(category) or (not category and _INTANGIBLE.search(words)):
        return "intangible"
    if _OBJECT.search(words) and not _PLACE.search(words):
        if _OUTDOOR_OBJECT.search(nfkc(site.name)):
            return ""
        return "not_outdoors"
    return ""
