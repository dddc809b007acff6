"""Tile benchmark: our service (cold, warm), tipg, pygeoapi MVT-postgresql, and the raw SQL.

    make bench-tiles            # or: .venv/bin/python bench/tiles/bench.py --db eurbanisme_bench

Needs a database with >= 200,000 zones (see bench/tiles/README.md) and var/benchenv holding
tipg and pygeoapi (bench/tiles/requirements.txt). Starts every server itself on ports 8111-8114,
replays one fixed, seeded tile list against each at concurrency 1, 8 and 32 with keep-alive HTTP
connections, and prints p50/p95/p99, req/s, bytes, errors, resident memory, decoded feature
counts and the ratios to the baselines measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import mapbox_vector_tile
import psycopg
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tiles.layers import LAYERS  # noqa: E402

# A request still unanswered after this long counts as an error (and its connection is replaced).
REQUEST_TIMEOUT = 30.0
BENCHENV = ROOT / "var" / "benchenv" / "bin"
PROPS = "id,code,label_fr,label_ar,family,status,version_id,document_code"
# The competitors read the same published zones, with the same attributes and 3857 geometry,
# through a view without the second geometry column (pygeoapi would send it as an attribute).
BENCH_VIEW_SQL = f"""
CREATE SCHEMA IF NOT EXISTS bench;
CREATE OR REPLACE VIEW bench.zones AS
  SELECT {PROPS}, geom_3857 AS geom FROM publish.zones;
GRANT USAGE ON SCHEMA bench TO eurbanisme_reader;
GRANT SELECT ON bench.zones TO eurbanisme_reader;
"""  # noqa: S608 (PROPS is a constant)


@dataclass
class Run:
    name: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    bytes: int = 0
    largest: int = 0
    seconds: float = 0.0
    rss_mb: float = 0.0

    def figures(self) -> dict:
        lat = sorted(self.latencies) or [math.nan]

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000

        return {
            "server": self.name,
            "c": self.concurrency,
            "requests": len(self.latencies),
            "p50_ms": round(pct(50), 2),
            "p95_ms": round(pct(95), 2),
            "p99_ms": round(pct(99), 2),
            "req_s": round(len(self.latencies) / self.seconds, 1) if self.seconds else 0,
            "mb": round(self.bytes / 1e6, 2),
            "largest_kb": round(self.largest / 1024, 1),
            "errors": self.errors,
            "rss_mb": round(self.rss_mb, 1),
        }


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = min(n - 1, max(0, int((lon + 180) / 360 * n)))
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return x, min(n - 1, max(0, int(y)))


def tile_list(conninfo: str, seed: int, random_count: int) -> list[tuple[int, int, int]]:
    """Every z10-14 tile over the zones' extent, plus seeded random z15-16 tiles with data."""
    with psycopg.connect(conninfo) as conn:
        west, south, east, north = conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM (SELECT ST_Extent(geom) e FROM publish.zones) s"
        ).fetchone()
        ids = [r[0] for r in conn.execute("SELECT id FROM publish.zones ORDER BY id")]
        rng = random.Random(seed)
        picked = rng.sample(ids, random_count)
        points = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM publish.zones "
            "WHERE id = ANY(%s) ORDER BY id) s",
            [picked],
        ).fetchall()
    tiles = []
    for z in range(10, 15):
        x0, y0 = tile_of(west, north, z)
        x1, y1 = tile_of(east, south, z)
        tiles += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    for i, (lon, lat) in enumerate(points):
        z = 15 + i % 2
        tiles.append((z, *tile_of(lon, lat, z)))
    return tiles


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


async def http_run(
    name: str,
    port: int,
    paths: list[str],
    concurrency: int,
    pid: int | None,
    gzip_ok: bool = True,
    seconds: float = 1e9,
) -> tuple[Run, dict[str, bytes]]:
    """Replay the paths over `concurrency` keep-alive connections; the client is minimal HTTP/1.1
    so that it, not the servers, is the smallest cost on this shared 2-core machine."""
    run = Run(name, concurrency)
    queue = list(enumerate(paths))
    queue.reverse()
    bodies: dict[str, bytes] = {}
    peak = [0.0]

    async def fetch(reader, writer, request: bytes) -> tuple[int, bytes, bytes]:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"content-length":
                length = int(value)
        body = await reader.readexactly(length) if length else b""
        return int(head.split(b" ", 2)[1]), head, body

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue and time.perf_counter() < deadline:
                _, path = queue.pop()
                request = (
                    f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    f"{'Accept-Encoding: gzip' + chr(13) + chr(10) if gzip_ok else ''}\r\n"
                ).encode()
                started = time.perf_counter()
                for _attempt in range(2):
                    try:
                        # asyncio.timeout, not wait_for: on Python 3.11 wait_for runs the request
                        # in a new task, one more turn of this loop (already busy with the other
                        # connections) before the request is even written, which the SQL loop
                        # below does not pay.
                        async with asyncio.timeout(REQUEST_TIMEOUT):
                            status, head, body = await fetch(reader, writer, request)
                        break
                    except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
                        # A server that dropped the keep-alive connection (pygeoapi does after
                        # an empty tile): reconnect and ask again, timing only the retry.
                        writer.close()
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
                        started = time.perf_counter()
                else:
                    status, head, body = 599, b"", b""
                run.latencies.append(time.perf_counter() - started)
                if status not in (200, 204):
                    run.errors += 1
                run.bytes += len(body)
                run.largest = max(run.largest, len(body))
                bodies[path] = body
                if b"connection: close" in head.lower():
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    async def sampler() -> None:
        while True:
            if pid:
                peak[0] = max(peak[0], rss_mb(pid))
            await asyncio.sleep(0.2)

    sample = asyncio.create_task(sampler())
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - started
    sample.cancel()
    run.rss_mb = max(peak[0], rss_mb(pid) if pid else 0.0)
    return run, bodies


async def sql_run(
    conninfo: str, tiles: list[tuple[int, int, int]], concurrency: int, seconds: float = 1e9
) -> tuple[Run, dict]:
    """The physical limit: our zones query looped directly against PostgreSQL."""
    layer = LAYERS["zones"]
    run = Run("raw SQL", concurrency)
    queue = list(reversed(tiles))
    bodies = {}

    async def worker() -> None:
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
            while queue and time.perf_counter() < deadline:
                z, x, y = queue.pop()
                started = time.perf_counter()
                # Binary, as the service fetches it (tiles/app.py).
                cur = await conn.execute(layer.sql, layer.params(z, x, y), binary=True)
                data = (await cur.fetchone())[0]
                run.latencies.append(time.perf_counter() - started)
                body = bytes(data) if data else b""
                run.bytes += len(body)
                run.largest = max(run.largest, len(body))
                bodies[(z, x, y)] = body

    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - started
    return run, bodies


def wait_http(port: int, path: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not answer {path}")


def start(cmd: list[str], env: dict, port: int, ready: str, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        cmd,
        env=dict(os.environ, **env),
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_http(port, ready, proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def end_leftovers(reader: str) -> None:
    """End the queries a stopped pygeoapi left running (a z10 tile can take a minute): they would
    load the next run and hold locks on bench.zones. The reader role may end its own sessions."""
    with psycopg.connect(reader, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'pygeoapi'"
        )


def decode_count(body: bytes) -> int:
    import gzip

    if not body:
        return 0
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return sum(len(layer["features"]) for layer in mapbox_vector_tile.decode(body).values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="eurbanisme_bench")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--random-tiles", type=int, default=500)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--servers", default="sql,cold,warm,tipg,pygeoapi")
    parser.add_argument("--decode-sample", type=int, default=60)
    parser.add_argument("--warm-repeat", type=int, default=20)
    parser.add_argument(
        "--seconds", type=float, default=40, help="time box of one server at one concurrency"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench-tiles.json")
    parser.add_argument("--pool", type=int, default=10, help="our service's pool (tipg's: 10)")
    parser.add_argument(
        "--workers", type=int, default=1, help="our service's processes (`make run` serves 2)"
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    servers = args.servers.split(",")
    pghost = os.environ.get("PGHOST", "")
    pgport = os.environ.get("PGPORT", "5432")
    reader = f"dbname={args.db} user=eurbanisme_reader host={pghost} port={pgport}"
    owner = f"dbname={args.db} host={pghost} port={pgport}"

    end_leftovers(reader)
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(BENCH_VIEW_SQL)
        zones = conn.execute("SELECT count(*) FROM publish.zones").fetchone()[0]
    tiles = tile_list(reader, args.seed, args.random_tiles)
    # One seeded order for every server: a time-boxed run then covers a fair sample of zooms.
    random.Random(args.seed).shuffle(tiles)
    print(
        f"{zones} published zones; {len(tiles)} tiles "
        f"({len(tiles) - args.random_tiles} at z10-14, {args.random_tiles} at z15-16)"
    )
    logs = Path(tempfile.mkdtemp(prefix="bench-tiles-"))
    ours = [
        str(ROOT / ".venv/bin/uvicorn"),
        "tiles.main:app",
        "--no-access-log",
        "--log-level",
        "warning",
        "--workers",
        str(args.workers),
    ]
    base_env = {"EU_TILES_DATABASE_URL": reader, "EU_TILES_POOL_MAX": str(args.pool)}
    ours_paths = [f"/zones/{z}/{x}/{y}.pbf" for z, x, y in tiles]
    spec = {
        "cold": (
            ours + ["--port", "8111"],
            base_env | {"EU_TILES_CACHE_MB": "0"},
            8111,
            "/healthz",
            ours_paths,
        ),
        "warm": (
            ours + ["--port", "8112"],
            base_env | {"EU_TILES_CACHE_MB": "256"},
            8112,
            "/healthz",
            ours_paths,
        ),
        "tipg": (
            [
                str(BENCHENV / "uvicorn"),
                "tipg.main:app",
                "--port",
                "8113",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            {
                # The unix socket directory, percent-encoded as the host (asyncpg unquotes it).
                "DATABASE_URL": f"postgresql://eurbanisme_reader@{quote(pghost, safe='')}:"
                f"{pgport}/{args.db}",
                "TIPG_DB_SCHEMAS": '["bench"]',
                "TIPG_DB_MAX_CONN_SIZE": "10",
                # The same per-tile cap as ours, so both send comparable tiles.
                "TIPG_MAX_FEATURES_PER_TILE": str(LAYERS["zones"].feature_limit),
            },
            8113,
            "/collections",
            [
                f"/collections/bench.zones/tiles/WebMercatorQuad/{z}/{x}/{y}?properties={PROPS}"
                for z, x, y in tiles
            ],
        ),
        "pygeoapi": (
            [
                str(BENCHENV / "uvicorn"),
                "pygeoapi.starlette_app:APP",
                "--port",
                "8114",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            lambda: pygeoapi_env(logs, args.db, pghost, pgport),
            8114,
            "/collections/zones?f=json",
            [f"/collections/zones/tiles/WebMercatorQuad/{z}/{y}/{x}?f=mvt" for z, x, y in tiles],
        ),
    }
    results: list[dict] = []
    samples: dict[str, dict] = {}
    # The first tiles of the shuffled list: every server serves them, even when time-boxed.
    sample_idx = range(min(args.decode_sample, len(tiles)))
    for name in servers:
        if name == "sql":
            for c in levels:
                run, bodies = asyncio.run(sql_run(reader, tiles, c, args.seconds))
                results.append(run.figures())
                print(json.dumps(results[-1]))
                # Decode the tiles of the first (least loaded) run: no timeouts in them.
                samples.setdefault(
                    "raw SQL",
                    {tiles[i]: bodies[tiles[i]] for i in sample_idx if tiles[i] in bodies},
                )
            continue
        cmd, env, port, ready, paths = spec[name]
        env = env() if callable(env) else env
        proc = start(cmd, env, port, ready, logs / f"{name}.log")
        try:
            if name == "warm":
                asyncio.run(http_run(name, port, paths, 8, None))  # fill the cache once
            label = {"cold": "ours cold", "warm": "ours warm"}.get(name, name)
            # Warm tiles take microseconds: replay the list several times for a steady figure.
            timed = paths * args.warm_repeat if name == "warm" else paths
            for c in levels:
                # pygeoapi's Starlette app breaks on Accept-Encoding: gzip (its gzip rewrites the
                # body after Content-Length is set): ask it for plain tiles.
                run, bodies = asyncio.run(
                    http_run(label, port, timed, c, proc.pid, name != "pygeoapi", args.seconds)
                )
                results.append(run.figures())
                print(json.dumps(results[-1]))
                samples.setdefault(
                    label,
                    {tiles[i]: bodies[paths[i]] for i in sample_idx if paths[i] in bodies},
                )
        finally:
            stop(proc)
            end_leftovers(reader)
    counts = {
        name: {t: decode_count(b) for t, b in tqdm(s.items(), desc=f"decode {name}")}
        for name, s in samples.items()
    }
    report(results, counts, tiles, args, zones)
    return 0


def pygeoapi_env(logs: Path, db: str, pghost: str, pgport: str) -> dict:
    config = logs / "pygeoapi.yml"
    config.write_text(
        json.dumps(
            {
                "server": {
                    "bind": {"host": "127.0.0.1", "port": 8114},
                    "url": "http://127.0.0.1:8114",
                    "mimetype": "application/json; charset=UTF-8",
                    "encoding": "utf-8",
                    "languages": ["en-US"],
                    "limits": {"default_items": 10, "max_items": 10},
                    "map": {
                        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                        "attribution": "none",
                    },
                },
                "logging": {"level": "ERROR"},
                "metadata": {
                    "identification": {
                        "title": "bench",
                        "description": "bench",
                        "keywords": ["bench"],
                        "keywords_type": "theme",
                        "terms_of_service": "none",
                        "url": "http://x",
                    },
                    "license": {"name": "none", "url": "http://x"},
                    "provider": {"name": "bench"},
                    "contact": {"name": "bench", "url": "http://x", "email": "x@x"},
                },
                "resources": {
                    "zones": {
                        "type": "collection",
                        "title": "zones",
                        "description": "zones",
                        "keywords": ["zones"],
                        "extents": {
                            "spatial": {
                                "bbox": [-180, -90, 180, 90],
                                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                            }
                        },
                        "providers": [
                            {
                                "type": "tile",
                                "name": "MVT-postgresql",
                                "data": {
                                    # SQLAlchemy hands the host to libpq as is: a socket dir.
                                    "host": pghost,
                                    "port": int(pgport),
                                    "dbname": db,
                                    "user": "eurbanisme_reader",
                                    "password": "",
                                    "search_path": ["bench"],
                                },
                                "options": {"zoom": {"min": 0, "max": 22}},
                                "id_field": "id",
                                "table": "zones",
                                "geom_field": "geom",
                                "storage_crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
                                "format": {
                                    "name": "pbf",
                                    "mimetype": "application/vnd.mapbox-vector-tile",
                                },
                            }
                        ],
                    }
                },
            }
        )
    )
    openapi = logs / "pygeoapi-openapi.yml"
    env = dict(os.environ, PYGEOAPI_CONFIG=str(config), PYGEOAPI_OPENAPI=str(openapi))
    subprocess.run(
        [
            str(BENCHENV / "pygeoapi"),
            "openapi",
            "generate",
            str(config),
            "--output-file",
            str(openapi),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}


def report(results: list[dict], counts: dict, tiles: list, args, zones: int) -> None:
    by = {(r["server"], r["c"]): r for r in results}
    print("\nserver        c   p50ms   p95ms   p99ms    req/s     MB  maxKB  err  rssMB")
    for r in results:
        print(
            f"{r['server']:<12}{r['c']:>3}{r['p50_ms']:>8}{r['p95_ms']:>8}{r['p99_ms']:>8}"
            f"{r['req_s']:>9}{r['mb']:>7}{r['largest_kb']:>7}{r['errors']:>5}{r['rss_mb']:>7}"
        )
    ratios = []
    for c in sorted({r["c"] for r in results}):
        cold, warm = by.get(("ours cold", c)), by.get(("ours warm", c))
        raw, tipg, pyg = by.get(("raw SQL", c)), by.get(("tipg", c)), by.get(("pygeoapi", c))
        if cold and raw:
            ratios.append(f"c={c}: cold p50 / raw SQL p50 = {cold['p50_ms'] / raw['p50_ms']:.2f}")
        if cold and tipg:
            ratios.append(f"c={c}: cold req/s / tipg = {cold['req_s'] / tipg['req_s']:.2f}")
        if cold and pyg:
            ratios.append(f"c={c}: cold req/s / pygeoapi = {cold['req_s'] / pyg['req_s']:.2f}")
        if warm and cold:
            ratios.append(f"c={c}: warm req/s / cold = {warm['req_s'] / cold['req_s']:.1f}")
    print("\n" + "\n".join(ratios))
    names = list(counts)
    common = set.intersection(*(set(c) for c in counts.values()))
    same = {n: sum(counts[n][t] == counts[names[0]][t] for t in common) for n in names}
    totals = {n: sum(counts[n][t] for t in common) for n in names}
    print(f"\ndecoded features on the {len(common)} sampled tiles all served: {totals}")
    print(f"tiles whose count equals {names[0]}'s: {same}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "zones": zones,
                "tiles": len(tiles),
                "results": results,
                "ratios": ratios,
                "feature_totals": totals,
                "same_count": same,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
