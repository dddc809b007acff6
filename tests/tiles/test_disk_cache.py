"""The optional disk cache, through the ASGI app itself (no server), against the test database."""

from __future__ import annotations

import asyncio
import json
import math

from tiles.app import create_app
from tiles.settings import Settings


async def _call(app, path: str) -> tuple[int, dict, bytes]:
    """One GET through the ASGI interface."""
    messages = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    await app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


async def _tile_twice(reader_conninfo: str, disk: str, path: str) -> list[tuple[int, str]]:
    settings = Settings(reader_conninfo, "eurbanisme_reader", 1, 2, 22, disk_cache_dir=disk)
    seen = []
    for _ in range(2):  # two service instances: the second one starts with an empty memory
        app = create_app(settings)
        service = app.state.service
        service.versions.start()
        for _ in range(200):
            if service.versions.key("zones"):
                break
            await asyncio.sleep(0.05)
        status, headers, _ = await _call(app, path)
        _, _, metrics = await _call(app, "/metrics")
        sources = [
            line.split('source="')[1].split('"')[0]
            for line in metrics.decode().splitlines()
            if line.startswith('tiles_requests_total{layer="zones"') and line.endswith(" 1.0")
        ]
        seen.append((status, sources[0] if sources else ""))
        await service.close()
    return seen


def test_the_disk_cache_serves_a_tile_to_the_next_instance(reader_conninfo, live_url, tmp_path):
    import urllib.request

    with urllib.request.urlopen(f"{live_url}/tiles/zones.json") as resp:
        lon, lat, _ = json.loads(resp.read())["center"]
    n = 1 << 12
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    seen = asyncio.run(_tile_twice(reader_conninfo, str(tmp_path), f"/zones/12/{x}/{y}.pbf"))
    assert seen == [(200, "database"), (200, "disk")]
    assert list(tmp_path.glob(f"zones/*/12/{x}/{y}.mvt.gz"))
