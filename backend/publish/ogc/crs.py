"""CRS URIs accepted by the OGC API, mapped to PostGIS SRIDs and axis order."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pyproj

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
# Storage: PostGIS keeps EPSG:4326 with longitude first, which is exactly CRS84.
STORAGE_CRS = CRS84
STORAGE_SRID = 4326
# The CRSs every collection offers (ARCHITECTURE.md, contract 4). CRS84 first: the default.
SUPPORTED_EPSG = (4326, 3857, 26191, 26192)
SUPPORTED_CRS = [CRS84] + [EPSG_URI.format(code=c) for c in SUPPORTED_EPSG]

ERR_CRS = "CRS {uri!r} is not offered; use one of: {offered}."


@dataclass(frozen=True)
class OutputCrs:
    """How to produce coordinates in a CRS: the SRID to transform to, and whether to swap axes."""

    uri: str
    srid: int
    # True when the CRS's first axis is northing/latitude (EPSG:4326): PostGIS writes x first.
    flip: bool


@lru_cache(maxsize=64)
def output_crs(uri: str | None) -> OutputCrs:
    """The SRID and axis order of a CRS URI offered by the API (default CRS84)."""
    if not uri or uri == CRS84:
        return OutputCrs(CRS84, STORAGE_SRID, False)
    if uri not in SUPPORTED_CRS:
        raise ValueError(ERR_CRS.format(uri=uri, offered=", ".join(SUPPORTED_CRS)))
    srid = int(uri.rsplit("/", 1)[1])
    first_axis = pyproj.CRS.from_epsg(srid).axis_info[0].direction.lower()
    return OutputCrs(uri, srid, first_axis in ("north", "south"))
