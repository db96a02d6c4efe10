"""Japanese places in address text: the prefecture and the municipality (市区町村) an address names.

Municipal lists often leave the municipality column empty, and a list may cover a whole
prefecture or all of 東京都, so each site's municipality is read from its own address:
``東京都文京区本駒込`` → 文京区, ``台東区 谷中四丁目`` → 台東区, ``京都市東山区…`` → 京都市 (ward
東山区), ``北海道余市郡余市町…`` → 余市町. Names that contain 市/町/村 themselves (四日市市,
十日町市, 東村山市, 大和郡山市) are read whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wikitown.core.normalize import nfkc

# 全国地方公共団体コード: the first two digits are the prefecture (JIS X 0401).
PREFECTURES = [
    ("北海道", "Hokkaido"), ("青森県", "Aomori"), ("岩手県", "Iwate"), ("宮城県", "Miyagi"), ("秋田県", "Akita"),
    ("山形県", "Yamagata"), ("福島県", "Fukushima"), ("茨城県", "Ibaraki"), ("栃木県", "Tochigi"),
    ("群馬県", "Gunma"), ("埼玉県", "Saitama"), ("千葉県", "Chiba"), ("東京都", "Tokyo"), ("神奈川県", "Kanagawa"),
    ("新潟県", "Niigata"), ("富山県", "Toyama"), ("石川県", "Ishikawa"), ("福井県", "Fukui"), ("山梨県", "Yamanashi"),
    ("長野県", "Nagano"), ("岐阜県", "Gifu"), ("静岡県", "Shizuoka"), ("愛知県", "Aichi"), ("三重県", "Mie"),
    ("滋賀県", "Shiga"), ("京都府", "Kyoto"), ("大阪府", "Osaka"), ("兵庫県", "Hyōgo"), ("奈良県", "Nara"),
    ("和歌山県", "Wakayama"), ("鳥取県", "Tottori"), ("島根県", "Shimane"), ("岡山県", "Okayama"),
    ("広島県", "Hiroshima"), ("山口県", "Yamaguchi"), ("徳島県", "Tokushima"), ("香川県", "Kagawa"),
    ("愛媛県", "Ehime"), ("高知県", "Kōchi"), ("福岡県", "Fukuoka"), ("佐賀県", "Saga"), ("長崎県", "Nagasaki"),
    ("熊本県", "Kumamoto"), ("大分県", "Ōita"), ("宮崎県", "Miyazaki"), ("鹿児島県", "Kagoshima"),
    ("沖縄県", "Okinawa"),
]
TOKYO_WARDS = ("千代田区", "中央区", "港区", "新宿区", "文京区", "台東区", "墨田区", "江東区", "品川区", "目黒区",
               "大田区", "世田谷区", "渋谷区", "中野区", "杉並区", "豊島区", "北区", "荒川区", "板橋区", "練馬区",
               "足立区", "葛飾区", "江戸川区")
# 政令指定都市: their addresses name a ward (区) after the city.
DESIGNATED_CITIES = ("札幌市", "仙台市", "さいたま市", "千葉市", "横浜市", "川崎市", "相模原市", "新潟市", "静岡市",
                     "浜松市", "名古屋市", "京都市", "大阪市", "堺市", "神戸市", "岡山市", "広島市", "北九州市",
                     "福岡市", "熊本市")
_POSTCODE_RE = re.compile(r"^〒?\s*\d{3}-?\d{4}\s*")
# what a municipality's name never holds: digits, separators, 丁目 and the like
_NOT_IN_NAME_RE = re.compile(r"[\d\s\-‐－―ー,、・()（）丁番]")
_MAX_NAME = 7  # いちき串木野市, かすみがうら市: the longest names before the suffix


@dataclass
class Place:
    prefecture: str = ""
    municipality: str = ""  # 市, 特別区, 町 or 村 (for a 政令市, the city)
    ward: str = ""  # a 政令市's ward
    county: str = ""  # 郡


def _suffix_end(text: str, suffixes: str) -> int:
    """The end of the first name ending in one of ``suffixes`` (at least one character before
    it), reading 市/町/村 that belong to the name (四日市市, 十日町市, 東村山市) as part of it; -1 if none."""
    for i in range(1, min(len(text), _MAX_NAME + 1)):
        ch = text[i]
        if _NOT_IN_NAME_RE.match(text[i - 1]):
            return -1
        if ch not in suffixes or (ch == "市" and text[i + 1:i + 2] == "場"):  # 築地市場 is no city
            continue
        end = i + 1
        if ch == "市" and text[end:end + 1] == "市":  # 四日市市, 廿日市市, 野々市市
            end += 1
        elif ch in "町村":
            if text[end:end + 1] == ch:  # 大町町
                end += 1
            elif "市" in suffixes and "市" in text[end:end + 2] and not _NOT_IN_NAME_RE.search(text[end:end + 2]):
                end = text.index("市", end) + 1  # 十日町市, 東村山市, 武蔵村山市
        return end
    return -1


def parse_address(address: str) -> Place:
    """The prefecture and municipality an address names ("" for what it does not say)."""
    text = _POSTCODE_RE.sub("", nfkc(address)).replace(" ", "")
    place = Place()
    for ja, _en in PREFECTURES:
        if text.startswith(ja):
            place.prefecture, text = ja, text[len(ja):]
            break
    else:
        # 東京都 is often left out of a Tokyo list's addresses; 京都府/大阪府 as 京都/大阪 too
        m = re.match(r"^(.{2,3}?[県府])", text)
        if m and any(m.group(1) == ja for ja, _ in PREFECTURES):
            place.prefecture, text = m.group(1), text[len(m.group(1)):]
    if not text:
        return place
    for ward in TOKYO_WARDS:
        if text.startswith(ward) and place.prefecture in ("", "東京都"):
            place.prefecture = "東京都"
            place.municipality = ward
            return place
    for city in DESIGNATED_CITIES:
        if text.startswith(city):
            place.municipality = city
            end = _suffix_end(text[len(city):], "区")
            if end > 0:
                place.ward = text[len(city):len(city) + end]
            return place
    county_end = -1 if re.match(r"^.{0,3}郡山市", text) else _suffix_end(text, "郡")
    if county_end > 0:
        place.county, rest = text[:county_end], text[county_end:]
        end = _suffix_end(rest, "町村")
        if end > 0:
            place.municipality = rest[:end]
        return place
    # Without a prefecture or 郡, 本町/新町/元町 are neighbourhoods far more often than towns.
    end = _suffix_end(text, "市町村" if place.prefecture else "市")
    if end > 0:
        place.municipality = text[:end]
    return place


def municipality_from_address(address: str) -> str:
    return parse_address(address).municipality
