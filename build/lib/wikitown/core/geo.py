"""Distances and areas on the WGS84 ellipsoid (geopy's geodesic) and a fast
haversine for bulk work where a metre does not matter."""

from __future__ import annotations

import math

from geopy.distance import geodesic

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return geodesic((lat1, lon1), (lat2, lon2)).meters


def bbox(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(south, west, north, east) of the square around a circle."""
    dlat = radius_km / 111.32
    dlon = radius_km / (111.32 * max(0.01, math.cos(math.radians(lat))))
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon


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
