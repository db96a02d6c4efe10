"""GPX 1.1 per team for offline map apps (OsmAnd, Organic Maps): a route plus waypoints.

Both apps import ``<wpt>`` as favourites/bookmarks and ``<rte>``/``<rtept>`` as a line to
follow. Waypoint names start with the stop number (``03 常楽寺``) so the list in the app sorts
in walking order. gpxpy writes the XML, so names with ``<`` or ``&`` stay text.
"""

from __future__ import annotations

import gpxpy.gpx

from wikitown.core.i18n import t
from wikitown.walk.planner import Plan, TeamRoute


def _needs_text(needs, lang: str) -> str:
    return t(f"plan.needs.{'+'.join(needs) or 'none'}", lang)


def team_gpx(route: TeamRoute, plan: Plan, *, event_name: str = "", lang: str = "ja") -> str:
    """The GPX document (text) for one team."""
    settings = plan.settings
    team_name = t("plan.team_name", lang, team=route.team)
    title = f"{event_name} {team_name}".strip()
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "wikitown"
    gpx.name = title
    gpx.description = t("plan.gpx.description", lang, sites=len(route.stops), km=f"{route.walk_m / 1000:.1f}",
                        minutes=round(route.total_min))
    start_name = t("plan.start", lang)
    gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(settings.start_lat, settings.start_lon, name=start_name,
                                               symbol="Flag, Green"))
    rte = gpxpy.gpx.GPXRoute(name=title, number=route.team)
    rte.points.append(gpxpy.gpx.GPXRoutePoint(settings.start_lat, settings.start_lon, name=start_name))
    for stop in route.stops:
        site = stop.site
        name = f"{stop.seq:02d} {site.name}"
        desc = " / ".join(x for x in (site.name_kana, site.designation, site.address,
                                      _needs_text(site.needs, lang),
                                      t("plan.gpx.arrival", lang, minutes=round(stop.arrival_min))) if x)
        gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(site.lat, site.lon, name=name, description=desc,
                                                   symbol="Flag, Red"))
        rte.points.append(gpxpy.gpx.GPXRoutePoint(site.lat, site.lon, name=name))
    if settings.return_to_start and route.stops:
        rte.points.append(gpxpy.gpx.GPXRoutePoint(settings.start_lat, settings.start_lon, name=start_name))
    gpx.routes.append(rte)
    return gpx.to_xml(version="1.1")
