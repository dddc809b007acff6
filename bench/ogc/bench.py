"""OGC API Features benchmark: ours, stock pygeoapi (PostgreSQL provider) and tipg, vs raw SQL.

    make bench-ogc        # or: . scripts/env.sh && .venv/bin/python bench/ogc/bench.py

Needs a database with >= 200,000 zones (bench/ogc/README.md) and var/benchenv holding tipg and
pygeoapi (bench/tiles/requirements.txt; `make bench-ogc` creates it). Starts every server itself
(ours on 8121, pygeoapi 8122, tipg 8123, and the HTTP floor, floor.py, on 8124), runs each case
sequentially (warm-up, then --repeat timed requests, each followed by the same query in raw SQL),
and prints p50/p95 per server and case, each as a ratio to the same query in raw SQL
(`json_agg(ST_AsGeoJSON(...))`, through the read-only role), then a full `ogr2ogr` download.

The client keeps its connection to a server open, as GDAL's OAPIF driver (libcurl) and QGIS do,
and as the raw SQL's client keeps its database session; `--new-connections` opens one for every
request instead (urllib, as OWSLib does).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]
BENCHENV = ROOT / "var" / "benchenv" / "bin"
RESULTS = ROOT / "var" / "bench-ogc.json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_26191 = "http://www.opengis.net/def/crs/EPSG/0/26191"
# The competitors read the same published zones without the stored 3857 copy (pygeoapi and
# tipg would send it as an attribute); ours reads publish.zones and leaves it out itself.
COLUMNS = (
    "id, version_id, document_code, status, key, code, label_fr, label_ar, family, max_height_m, "
    "max_levels, ground_coverage_max, floor_area_ratio_max, min_lot_area_m2, setback_road_m, "
    "setback_neighbour_m, allowed_uses, prohibited_uses, geom"
)
BENCH_VIEW_SQL = f"""
CREATE SCHEMA IF NOT EXISTS bench;
CREATE OR REPLACE VIEW bench.zones_ogc AS SELECT {COLUMNS} FROM publish.zones;
GRANT USAGE ON SCHEMA bench TO eurbanisme_reader;
GRANT SELECT ON bench.zones_ogc TO eurbanisme_reader;
"""  # noqa: S608 (COLUMNS is a constant)
CQL = "code = 'ZM' AND max_height_m >= 12"
LIMIT = 100
DEEP = 100_000
PAGE_SIZE = 5_000


def raw_sql_cases(bbox: list[float]) -> dict[str, tuple[str, list]]:
    """Each case as one raw SQL query: the physical limit we compare servers with."""
    # Fetched as text: the baseline is PostgreSQL's work, not the client parsing the JSON.
    page = "SELECT json_agg(ST_AsGeoJSON(t.*)::json)::text FROM (SELECT {cols} FROM publish.zones {where} ORDER BY id LIMIT 100 {offset}) t"  # noqa: E501
    cols = COLUMNS
    env = "WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))"
    return {
        "items": (page.format(cols=cols, where="", offset=""), []),
        "bbox": (page.format(cols=cols, where=env, offset=""), list(bbox)),
        "deep page": (page.format(cols=cols, where="", offset=f"OFFSET {DEEP}"), []),
        "numberMatched": ("SELECT count(*) FROM publish.zones", []),
        "cql2 filter": (page.format(cols=cols, where=f"WHERE {CQL}", offset=""), []),
        "crs 26191": (
            page.format(
                cols=cols.replace("geom", "ST_Transform(geom, 26191) AS geom").replace(
                    "ST_Transform(ST_Transform(geom, 26191) AS geom", "ST_Transform(geom"
                ),
                where="",
                offset="",
            ),
            [],
        ),
    }


def http_cases(bbox: list[float]) -> dict[str, dict]:
    """The query parameters of each case (the same for every server, but `count=exact`)."""
    box = ",".join(map(str, bbox))
    return {
        "items": {"limit": LIMIT},
        "bbox": {"limit": LIMIT, "bbox": box},
        "deep page": {"limit": LIMIT, "offset": DEEP},
        "numberMatched": {"limit": 1, "resulttype": "hits"},
        "numberMatched exact": {"limit": 1, "resulttype": "hits", "count": "exact"},
        "cql2 filter": {"limit": LIMIT, "filter": CQL, "filter-lang": "cql2-text"},
        "crs 26191": {"limit": LIMIT, "crs": EPSG_26191},
    }


def timed(fn, repeat: int, warmup: int = 2) -> dict:
    """p50 and p95 in milliseconds of `repeat` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))]}


def timed_pair(fn, sql_fn, repeat: int, warmup: int = 2) -> tuple[dict, dict]:
    """`timed` of two functions called alternately: each pair runs under the same load."""
    for _ in range(warmup):
        fn()
        sql_fn()
    times: tuple[list, list] = ([], [])
    for _ in range(repeat):
        for f, out in ((fn, times[0]), (sql_fn, times[1])):
            t0 = time.perf_counter()
            f()
            out.append((time.perf_counter() - t0) * 1000)
    stats = []
    for values in times:
        values.sort()
        stats.append(
            {"p50": statistics.median(values), "p95": values[int(0.95 * (len(values) - 1))]}
        )
    return stats[0], stats[1]


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=120) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


class Client:
    """GET requests to one server, over one connection kept open (HTTP/1.1 keep-alive), or over a
    new connection each (`new_connections`, urllib)."""

    def __init__(self, base_url: str, new_connections: bool = False) -> None:
        split = urlsplit(base_url)
        self.host, self.port = split.hostname, split.port
        self.new_connections = new_connections
        self.conn: http.client.HTTPConnection | None = None

    def get(self, url: str) -> tuple[int, bytes]:
        if self.new_connections:
            return fetch(url)
        split = urlsplit(url)
        target = f"{split.path}?{split.query}" if split.query else split.path
        try:
            return self._get(target)
        except (http.client.HTTPException, ConnectionError):
            # A server may close a kept connection between requests: a GET is sent again once.
            self.close()
            return self._get(target)

    def _get(self, target: str) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        self.conn.request("GET", target)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def start(cmd: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd,
        env=dict(os.environ, **env),
        cwd=cwd,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}) before answering {url}")
        try:
            if fetch(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"no answer from {url}")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def pygeoapi_config(path: Path, db: str, pghost: str, pgport: str, port: int) -> dict:
    """Stock pygeoapi: its PostgreSQL provider on bench.zones_ogc, CRS list as ours."""
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "limits": {"default_items": 10, "max_items": 10000},
            "map": {"url": "data:,", "attribution": "none"},
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
            "provider": {"name": "b"},
            "contact": {"name": "bench", "url": "http://x", "email": "x@x"},
        },
        "resources": {
            "zones": {
                "type": "collection",
                "title": "zones",
                "description": "zones",
                "keywords": ["z"],
                "extents": {"spatial": {"bbox": [-180, -90, 180, 90], "crs": CRS84}},
                "providers": [
                    {
                        "type": "feature",
                        "name": "PostgreSQL",
                        "data": {
                            "host": pghost,
                            "port": int(pgport),
                            "dbname": db,
                            "user": "eurbanisme_reader",
                            "password": "",
                            "search_path": ["bench"],
                        },
                        "id_field": "id",
                        "table": "zones_ogc",
                        "geom_field": "geom",
                        "storage_crs": CRS84,
                        "crs": [CRS84, EPSG_26191],
                    }
                ],
            }
        },
    }
    path.write_text(json.dumps(config))
    return config


def servers(args, logs: Path, pghost: str, pgport: str, bbox: list[float]) -> dict[str, dict]:
    """How to start each server and where its zones collection is."""
    config = logs / "pygeoapi.json"
    pygeoapi_config(config, args.db, pghost, pgport, 8122)
    openapi = logs / "pygeoapi-openapi.yml"
    subprocess.run(
        [
            str(BENCHENV / "pygeoapi"),
            "openapi",
            "generate",
            str(config),
            "--output-file",
            str(openapi),
        ],
        check=True,
        capture_output=True,
        env=dict(os.environ, PYGEOAPI_CONFIG=str(config)),
    )
    quiet = ["--no-access-log", "--log-level", "warning"]
    return {
        "ours": {
            "cmd": [
                str(ROOT / ".venv/bin/uvicorn"),
                "--app-dir",
                "backend",
                "eurbanisme.asgi:application",
                "--port",
                "8121",
                *quiet,
            ],
            "env": {
                "PGDATABASE": args.db,
                "EU_OGC_DIR": str(logs / "ours"),
                "EU_PUBLIC_URL": "http://127.0.0.1:8121",
                "EU_SECRET_KEY": os.environ.get("EU_SECRET_KEY", "bench-only"),
            },
            "base": "http://127.0.0.1:8121/ogc",
            "collection": "zones",
        },
        "pygeoapi": {
            "cmd": [
                str(BENCHENV / "uvicorn"),
                "pygeoapi.starlette_app:APP",
                "--port",
                "8122",
                *quiet,
            ],
            "env": {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)},
            "base": "http://127.0.0.1:8122",
            "collection": "zones",
            # Stock pygeoapi 0.21 refuses filter-lang=cql2-text; its ECQL reads this filter.
            "params": {"cql2 filter": {"filter-lang": "cql-text"}},
        },
        "tipg": {
            "cmd": [str(BENCHENV / "uvicorn"), "tipg.main:app", "--port", "8123", *quiet],
            "env": {
                "DATABASE_URL": f"postgresql://eurbanisme_reader@{quote(pghost, safe='')}:"
                f"{pgport}/{args.db}",
                "TIPG_DB_SCHEMAS": '["bench"]',
                "TIPG_MAX_FEATURES_PER_QUERY": "10000",
                "TIPG_DB_MAX_CONN_SIZE": "8",
            },
            "base": "http://127.0.0.1:8123",
            "collection": "bench.zones_ogc",
        },
        "floor": {
            "cmd": [
                str(ROOT / ".venv/bin/uvicorn"),
                "--app-dir",
                "bench/ogc",
                "floor:app",
                "--port",
                "8124",
                *quiet,
            ],
            "env": {"PGDATABASE": args.db, "EU_BENCH_BBOX": ",".join(map(str, bbox))},
            "base": "http://127.0.0.1:8124",
            "ready": "http://127.0.0.1:8124/?case=items",
        },
    }


def check(name: str, case: str, status: int, body: bytes) -> str:
    """'ok', or why the answer does not count (an error or an ignored parameter)."""
    if status != 200:
        return f"HTTP {status}: {body[:120]!r}"
    doc = json.loads(body)
    if isinstance(doc, list):  # the floor sends the raw query's array of features
        doc = {"features": doc}
    if case == "crs 26191" and doc.get("features"):
        x = doc["features"][0]["geometry"]["coordinates"]
        while isinstance(x[0], list):
            x = x[0]
        if abs(x[0]) < 180:
            return "crs ignored (degrees returned)"
    if case.startswith("numberMatched") and "numberMatched" not in doc:
        return "no numberMatched"
    return "ok"


def download(server: dict, out: Path, timeout: float) -> dict:
    """A full ogr2ogr download of the zones through GDAL's OAPIF driver."""
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        subprocess.run(
            [
                "ogr2ogr",
                "-f",
                "GPKG",
                str(out),
                f"OAPIF:{server['base']}/collections/{server['collection']}",
                "-oo",
                f"PAGE_SIZE={PAGE_SIZE}",
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        seconds = time.perf_counter() - t0
        error = None
    except subprocess.TimeoutExpired:
        seconds, error = None, "timeout"
    except subprocess.CalledProcessError as err:
        # Report what GDAL said rather than losing the whole run.
        seconds, error = None, err.stderr.decode(errors="replace").strip()[-2000:]
        print(f"  ogr2ogr failed: {error}", flush=True)
    count = None
    if out.exists():
        info = subprocess.run(
            ["ogrinfo", "-so", "-al", str(out)], capture_output=True, text=True
        ).stdout
        count = next(
            (
                int(line.split(":")[1])
                for line in info.splitlines()
                if line.startswith("Feature Count")
            ),
            None,
        )
    return {"seconds": seconds, "features": count, "error": error}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="eurbanisme_bench_ogc")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--servers", default="ours,pygeoapi,tipg,floor")
    parser.add_argument("--download-timeout", type=float, default=400)
    parser.add_argument("--no-download", action="store_true")
    parser.add_argument(
        "--paired",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time each case's raw SQL query alternately with the server's requests, so that a "
        "ratio compares two measurements under the same load (this machine is shared)",
    )
    parser.add_argument(
        "--new-connections",
        action="store_true",
        help="a new HTTP connection for every request (urllib) instead of one kept open",
    )
    args = parser.parse_args()
    pghost, pgport = os.environ.get("PGHOST", ""), os.environ.get("PGPORT", "5432")
    reader = f"dbname={args.db} user=eurbanisme_reader host={pghost} port={pgport}"
    with psycopg.connect(f"dbname={args.db} host={pghost} port={pgport}", autocommit=True) as c:
        c.execute(BENCH_VIEW_SQL)
        c.execute("ANALYZE")
        zones = c.execute("SELECT count(*) FROM publish.zones").fetchone()[0]
        lon, lat = c.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Centroid(ST_Extent(geom)) p "
            "FROM publish.zones) s"
        ).fetchone()
    bbox = [round(lon - 0.01, 5), round(lat - 0.01, 5), round(lon + 0.01, 5), round(lat + 0.01, 5)]
    client_kind = "one kept-alive connection"
    if args.new_connections:
        client_kind = "a new connection a request"
    print(f"{zones} published zones in {args.db}; bbox case {bbox}; HTTP: {client_kind}")
    results: dict = {
        "zones": zones,
        "bbox": bbox,
        "client": client_kind,
        "sql": {},
        "servers": {},
    }
    # Kept open: --paired times the raw SQL again, alternately with the servers' requests.
    conn = psycopg.connect(reader, autocommit=True)
    for case, (query, params) in raw_sql_cases(bbox).items():
        results["sql"][case] = timed(
            lambda q=query, p=params: conn.execute(q, p).fetchall(), args.repeat
        )
        print(f"  raw SQL  {case:20} p50 {results['sql'][case]['p50']:8.1f} ms")
    logs = Path(tempfile.mkdtemp(prefix="bench-ogc-"))
    spec = servers(args, logs, pghost, pgport, bbox)
    for name in args.servers.split(","):
        server = spec[name]
        proc = start(server["cmd"], server["env"], ROOT, logs / f"{name}.log")
        figures: dict = {}
        client = Client(server["base"], args.new_connections)
        try:
            items = f"{server['base']}/collections/{server.get('collection')}/items"
            wait_http(server.get("ready", f"{server['base']}/collections"), proc)
            for case, params in http_cases(bbox).items():
                if name == "floor":
                    if case not in raw_sql_cases(bbox):
                        continue
                    url = f"{server['base']}/?{urlencode({'case': case})}"
                else:
                    params = dict(params, **server.get("params", {}).get(case, {}))
                    url = f"{items}?{urlencode(params)}"
                t0 = time.perf_counter()
                status, body = client.get(url)
                cold = (time.perf_counter() - t0) * 1000
                verdict = check(name, case, status, body)
                figures[case] = {"verdict": verdict, "first": cold}
                sql_case = raw_sql_cases(bbox).get(case.replace(" exact", ""))
                if verdict == "ok":
                    if args.paired and sql_case:
                        query, qparams = sql_case
                        stats, sql_stats = timed_pair(
                            lambda u=url, c=client: c.get(u),
                            lambda q=query, p=qparams: conn.execute(q, p).fetchall(),
                            args.repeat,
                        )
                        figures[case].update(stats, sql_paired=sql_stats)
                    else:
                        figures[case].update(timed(lambda u=url, c=client: c.get(u), args.repeat))
                    if case.startswith("numberMatched"):
                        doc = json.loads(body)
                        figures[case]["numberMatched"] = doc["numberMatched"]
                        figures[case]["estimated"] = bool(doc.get("numberMatchedEstimated"))
                shown = verdict
                if "p50" in figures[case]:
                    shown = f"p50 {figures[case]['p50']:8.2f} ms"
                    if "sql_paired" in figures[case]:
                        paired = figures[case]["sql_paired"]["p50"]
                        shown += f", raw SQL {paired:.2f} ms: {figures[case]['p50'] / paired:.2f}×"
                print(f"  {name:8} {case:20} {shown}")
            if not args.no_download and name != "floor":
                figures["download"] = download(server, logs / f"{name}.gpkg", args.download_timeout)
                print(f"  {name:8} ogr2ogr download     {figures['download']}")
        finally:
            client.close()
            stop(proc)
        results["servers"][name] = figures
    conn.close()
    RESULTS.write_text(json.dumps(results, indent=1))
    print(table(results))
    return 0


def table(results: dict) -> str:
    """The markdown table of RESULTS.md: p50 ms and ratio to raw SQL."""
    names = list(results["servers"])
    lines = [
        "| case | raw SQL p50 | " + " | ".join(f"{n} p50 (× SQL), first" for n in names) + " |",
        "|---|---:|" + "---:|" * len(names),
    ]
    for case in http_cases(results["bbox"]):
        sql = results["sql"].get(case.replace(" exact", ""), {}).get("p50")
        cells = []
        for n in names:
            f = results["servers"][n].get(case, {})
            if "p50" not in f:
                cells.append(f.get("verdict", "n/a")[:48])
                continue
            ratio = f" ({f['p50'] / sql:.1f}×)" if sql else ""
            note = " est." if f.get("estimated") else ""
            paired = f.get("sql_paired", {}).get("p50")
            if paired:
                note += f"; paired: SQL {paired:.1f} ms, **{f['p50'] / paired:.2f}×**"
            cells.append(f"{f['p50']:.1f} ms{ratio}{note}, 1st {f['first']:.0f} ms")
        lines.append(f"| {case} | {sql:.1f} ms | " + " | ".join(cells) + " |")
    cells = []
    for n in names:
        d = results["servers"][n].get("download")
        if not d:
            cells.append("n/a")
        elif d["seconds"] is None:
            what = "timed out" if d.get("error") in (None, "timeout") else "ogr2ogr failed"
            cells.append(f"{what} ({d['features']} features)")
        else:
            cells.append(f"{d['seconds']:.1f} s, {d['features']} features")
    lines.append("| full ogr2ogr download | | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
