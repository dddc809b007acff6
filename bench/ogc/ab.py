"""A/B of OGC API servers already running: each case's raw SQL query and the same request to each
server, alternated round by round (the servers' order reversed every other round), so that every
figure of a round is measured under the same load. Medians and ratios to the raw query.

    . scripts/env.sh
    # e.g. the previous commit's code on 8161 and the working tree's on 8162, both on the
    # benchmark database (PGDATABASE=eurbanisme_bench_ogc, same EU_PUBLIC_URL), then:
    flock /tmp/eu-bench.lock .venv/bin/python bench/ogc/ab.py 8161,8162 --rounds 400
    # with the HTTP floor too (bench/ogc/floor.py, started on 8124 with EU_BENCH_BBOX):
    flock /tmp/eu-bench.lock .venv/bin/python bench/ogc/ab.py 8161 --floor 8124 --rounds 400

The cases, their raw SQL and the client (a connection kept open per server, or a new one a
request with `--new-connections`) are bench.py's. bench.py pairs each request with the raw query
too, for --repeat rounds right after starting a server; many rounds against warm servers
separate a change of ~0.3 ms from the machine's noise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

DEFAULT_CASES = "items,numberMatched,cql2 filter,crs 26191"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ports", help="comma-separated ports of the servers to compare")
    parser.add_argument("--db", default="eurbanisme_bench_ogc")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--cases", default=DEFAULT_CASES, help=f"default: {DEFAULT_CASES}")
    parser.add_argument("--new-connections", action="store_true")
    parser.add_argument("--floor", help="port of a running floor.py, timed as one more server")
    args = parser.parse_args()
    pghost, pgport = os.environ.get("PGHOST", ""), os.environ.get("PGPORT", "5432")
    reader = f"dbname={args.db} user=eurbanisme_reader host={pghost} port={pgport}"
    conn = psycopg.connect(reader, autocommit=True)
    lon, lat = conn.execute(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Centroid(ST_Extent(geom)) p FROM publish.zones) s"
    ).fetchone()
    bbox = [round(lon - 0.01, 5), round(lat - 0.01, 5), round(lon + 0.01, 5), round(lat + 0.01, 5)]
    ports = args.ports.split(",")
    if args.floor:
        ports.append(args.floor)
    clients = {p: bench.Client(f"http://127.0.0.1:{p}", args.new_connections) for p in ports}
    for case in args.cases.split(","):
        # `numberMatched exact` is timed against the same count as `numberMatched`.
        query, params = bench.raw_sql_cases(bbox)[case.replace(" exact", "")]
        path = f"/ogc/collections/zones/items?{urlencode(bench.http_cases(bbox)[case])}"
        calls = [("SQL", lambda q=query, p=params: conn.execute(q, p).fetchall())]
        paths = {p: path for p in ports}
        if args.floor:
            paths[args.floor] = f"/?{urlencode({'case': case.replace(' exact', '')})}"
        calls += [
            (p, lambda u=f"http://127.0.0.1:{p}{paths[p]}", c=clients[p]: c.get(u)) for p in ports
        ]
        for _ in range(5):
            for _, call in calls:
                call()
        times: dict[str, list[float]] = {name: [] for name, _ in calls}
        for i in range(args.rounds):
            order = calls if i % 2 == 0 else [calls[0], *calls[:0:-1]]
            for name, call in order:
                t0 = time.perf_counter()
                call()
                times[name].append((time.perf_counter() - t0) * 1000)
        p50 = {name: statistics.median(values) for name, values in times.items()}
        cells = "  ".join(f"{p}: {p50[p]:.2f} ms ({p50[p] / p50['SQL']:.2f}×)" for p in ports)
        print(f"{case:14} SQL {p50['SQL']:.2f} ms  {cells}", flush=True)
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
