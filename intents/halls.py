"""Finding halls: nearest to a point, or named by a county, town or "州" in the text.

Place names come from the catalog itself (county names with and without 县/市, town names
in hall names and addresses), so a new hall is findable as soon as staff add it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from knowledge.catalog import Catalog, Hall

_TOWN = re.compile(r"^([\u4e00-\u9fff]{2,5}?)(镇|乡)")
_PREFECTURE = re.compile(r"州政务|州级|州里|州上|州大厅|州中心|阿坝州政务|州便民|^州")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def nearest(catalog: Catalog, lat: float, lon: float, n: int = 3) -> list[tuple[Hall, float]]:
    located = [(h, distance_km(lat, lon, h.lat, h.lon)) for h in catalog.halls.values()
               if h.lat is not None and h.lon is not None]
    return sorted(located, key=lambda p: p[1])[:n]


def places(hall: Hall) -> set[str]:
    """Names a citizen might use for where this hall is."""
    out = set()
    if hall.county:
        out.add(hall.county)
        if len(hall.county) > 2 and hall.county[-1] in "县市":
            out.add(hall.county[:-1])
    for text in (hall.name, hall.address):
        rest = text[len(hall.county):] if hall.county and text.startswith(hall.county) else text
        m = _TOWN.match(rest)
        if m:
            out.update({m.group(1), m.group(1) + m.group(2)})
    return out


def _county_seat(halls: Sequence[Hall]) -> Hall:
    rank = {"州级": 0, "县级": 1}
    return sorted(halls, key=lambda h: rank.get(h.level, 2))[0]


def by_place(catalog: Catalog, text: str) -> Hall | None:
    """The hall a place name in `text` points at (the town's center, else the county's)."""
    halls = list(catalog.halls.values())
    if _PREFECTURE.search(text):
        top = [h for h in halls if h.level == "州级"]
        if top:
            return top[0]
    best: tuple[int, int, Hall] | None = None
    for h in halls:
        for place in places(h):
            if place in text:
                town = 0 if place in (h.county, h.county[:-1]) else 1
                key = (len(place), town, h)
                if best is None or key[:2] > best[:2] or (key[:2] == best[:2] and h.level == "县级"):
                    best = key
    if best is None:
        return None
    hall = best[2]
    if best[1] == 0:  # a county named: its main hall, not a township one
        hall = _county_seat([h for h in halls if h.county == hall.county])
    return hall


def default_hall(catalog: Catalog) -> Hall | None:
    halls = list(catalog.halls.values())
    return _county_seat(halls) if halls else None
