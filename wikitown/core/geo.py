"""The one place that turns degrees into metres: distances on the WGS84 ellipsoid (geographiclib,
where a metre matters), a fast haversine for bulk work, boxes, and a grid index for "what is near"."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterator

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0
# Longitude degrees shrink towards the poles; below this cosine (about 84°) a box stops growing.
_MIN_COS = 0.1


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # geographiclib directly: importing geopy.distance costs 0.2-0.4 s at start-up.
    from geographiclib.geodesic import Geodesic

    return Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2, Geodesic.DISTANCE)["s12"]


def degrees_for(metres: float, lat: float) -> tuple[float, float]:
    """(degrees of latitude, degrees of longitude) that span ``metres`` at latitude ``lat``."""
    dlat = metres / METRES_PER_DEGREE_LAT
    return dlat, metres / (METRES_PER_DEGREE_LAT * max(_MIN_COS, math.cos(math.radians(lat))))


def bbox(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(south, west, north, east) of the square around a circle."""
    dlat, dlon = degrees_for(radius_km * 1000, lat)
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon


class GridIndex:
    """Items bucketed in cells about ``cell_m`` metres a side. Everything within ``cell_m`` of a
    point lies in the 3x3 cells around it, so "what is near" reads a few cells, not every item."""

    def __init__(self, cell_m: float):
        self.cell_m = cell_m
        self.cells: dict[tuple[int, int], list] = defaultdict(list)

    def key(self, lat: float, lon: float) -> tuple[int, int]:
        dlat, dlon = degrees_for(self.cell_m, lat)
        return math.floor(lat / dlat), math.floor(lon / dlon)

    def add(self, lat: float, lon: float, item: Hashable) -> None:
        self.cells[self.key(lat, lon)].append(item)

    def around(self, key: tuple[int, int]) -> Iterator:
        cy, cx = key
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                yield from self.cells.get((cy + dy, cx + dx), ())

    def near(self, lat: float, lon: float) -> Iterator:
        """Candidates within ``cell_m`` of the point (and some a little further: check the distance)."""
        return self.around(self.key(lat, lon))


def valid_coord(lat, lon) -> bool:
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return False
    return (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
            and not (lat == 0 and lon == 0))


def parse_latlon(text: str) -> tuple[float, float]:
    """``"34.86,138.32"`` to a pair; raises ValueError with a readable message."""
    parts = [p.strip() for p in str(text).replace("，", ",").split(",")]
    if len(parts) != 2:
        raise ValueError(f"expected LAT,LON, got {text!r}")
    lat, lon = float(parts[0]), float(parts[1])
    if not valid_coord(lat, lon):
        raise ValueError(f"not a valid coordinate: {text!r}")
    return lat, lon
