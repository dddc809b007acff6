"""Small HTTP helpers of the OGC API tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request


def get(url: str, **params) -> tuple[int, object, bytes]:
    """GET with query parameters; returns status, headers and body, whatever the status."""
    if params:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def get_json(url: str, **params) -> dict:
    """GET JSON, asserting a 200."""
    status, _, body = get(url, **params)
    assert status == 200, (status, body[:500])
    return json.loads(body)
