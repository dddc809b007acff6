"""HTTP and tile-grid helpers of the tests that fetch tiles from the live server."""

from __future__ import annotations

import math
import urllib.error
import urllib.request


def http_get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """Status, lower-cased headers and body, errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The x, y of the Web Mercator tile holding a point at zoom z."""
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
