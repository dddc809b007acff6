"""The HTTP floor of the OGC benchmark: a server that does nothing but run a case's raw SQL.

    uvicorn --app-dir bench/ogc floor:app --port 8124     # GET /?case=items

Started by bench.py as the server `floor`. It runs the raw query of the case (bench.py's
`raw_sql_cases`, the baseline of every ratio) the way our server runs its statement: on a pooled
connection of the read-only role, in a thread of the event loop's default executor (pygeoapi's
handler is synchronous), then sends the text as PostgreSQL wrote it, under uvicorn with uvloop and
httptools. No routing, no OGC, no validation: its ratio to the raw query is what serving that query
over HTTP from Python costs at least, which no OGC server built that way can go under.

The bbox case's box comes from EU_BENCH_BBOX (four comma-separated numbers, set by bench.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from urllib.parse import parse_qs

from psycopg_pool import ConnectionPool

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

BBOX = [float(v) for v in os.environ.get("EU_BENCH_BBOX", "-7.6,33.5,-7.5,33.6").split(",")]
CASES = bench.raw_sql_cases(BBOX)
_pool: ConnectionPool | None = None


def _run(case: str) -> bytes:
    global _pool
    if _pool is None:  # the first request comes before any other: no race
        db = os.environ.get("PGDATABASE", "eurbanisme_bench_ogc")
        _pool = ConnectionPool(
            f"dbname={db} user=eurbanisme_reader",
            min_size=1,
            max_size=4,
            kwargs={"autocommit": True},
            open=True,
        )
    query, params = CASES[case]
    with _pool.connection() as conn:
        value = conn.execute(query, params).fetchone()[0]
    if case == "numberMatched":
        return json.dumps({"numberMatched": value}).encode()
    return (value or "[]").encode()


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    case = parse_qs(scope["query_string"].decode()).get("case", ["items"])[0]
    if case in CASES:
        status, body = 200, await asyncio.get_running_loop().run_in_executor(None, _run, case)
    else:
        status, body = 404, f"no case {case!r}; one of {sorted(CASES)}".encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
