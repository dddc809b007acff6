"""The last-day rush (issue 4): N concurrent citizens submit observations for S seconds.

Run: . scripts/env.sh && .venv/bin/python bench/inquiry/rush.py [--citizens 50] [--seconds 60]
     [--workers 2] [--pool 8] [--browsers 0]
With --browsers N, N map users fetch tiles (zones, prescriptions, observations) during the rush,
and their figures are printed too (issue 8: the rush and map browsing on one machine).
It uses its own database (EU_BENCH_DB, default eurbanisme_bench_inquiry), created and loaded
with the demo on first run, and serves the whole system as `make run` does (eurbanisme.serve)
on its own port.

Figures: accepted observations per second, p50 and p99 latency, and the check that the number of
201 responses equals the number of register rows (zero loss). Baseline, in the same run and with
the same clients: GET /healthz (HTTP + one database round trip), the floor of any request.
The rush is measured after --warmup-seconds of the same submissions (a server is up long before
the last day; a fresh worker's first requests open its pool and threads): their figures are
printed apart, and their entries are in the zero-loss count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[2]
DB = os.environ.get("EU_BENCH_DB", "eurbanisme_bench_inquiry")
PDF = b"%PDF-1.4\n" + b"0" * 20_000 + b"\n%%EOF\n"


def _prepare() -> None:
    names = subprocess.run(
        ["psql", "-d", "postgres", "-Atc", "SELECT datname FROM pg_database"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    os.environ["PGDATABASE"] = DB
    manage = [sys.executable, str(ROOT / "backend" / "manage.py")]
    if DB not in names:
        subprocess.run(["createdb", "-T", "template1", DB], check=True)
    subprocess.run([*manage, "migrate", "-v", "0"], check=True)
    subprocess.run([*manage, "load_demo", "--if-empty", "-v", "0"], check=True)


def _bench_inquiry() -> tuple[int, list[str]]:
    """A fresh open inquiry on the demo draft, and points inside its zones."""
    sys.path[:0] = [str(ROOT), str(ROOT / "backend")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eurbanisme.settings")
    import django

    django.setup()
    import datetime as dt

    from common.db import db_now
    from inquiry.models import Inquiry, InquiryStatus
    from planning.models import Zone

    demo = Inquiry.objects.filter(status=InquiryStatus.OPEN).order_by("id").first()
    now = db_now()
    inquiry = Inquiry.objects.create(
        version=demo.version,
        regime=demo.regime,
        title_fr="Rush du dernier jour",
        title_ar="اليوم الأخير",
        status=InquiryStatus.OPEN,
        opens_at=now - dt.timedelta(days=29),
        closes_at=now + dt.timedelta(days=1),
    )
    zones = Zone.objects.filter(version_id=demo.version_id).order_by("key")[:500]
    points = [z.geom.point_on_surface.json for z in zones]
    return inquiry.pk, points


def _serve(port: int, workers: int, pool: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        PGDATABASE=DB,
        # The clients all come from 127.0.0.1: no per-IP limit (0) for the benchmark; the
        # per-email limit, the duplicate check and every other check still run.
        EU_INQUIRY_RATE_PER_IP_HOUR="0",
        EU_LOG_LEVEL="WARNING",
    )
    # Django's psycopg pool (EU_DB_POOL_SIZE, as `make run` and docker-compose serve), or a
    # connection per request.
    env["EU_DB_POOL_SIZE"] = str(pool)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "-m",
            "eurbanisme.serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT / "backend",
        env=env,
    )
    # The workers import every view before they answer: more than a minute on a busy machine.
    # Until every worker accepts, the one that does takes every connection: wait for all.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if min(asyncio.run(_held(server, port, 4 * workers))) > 0:
                return server
        except OSError:
            pass
        time.sleep(0.5)
    server.kill()
    raise RuntimeError("the server did not start")


async def _held(server: subprocess.Popen, port: int, connections: int) -> list[int]:
    """Open `connections` keep-alive connections, each answered once, and count each worker's."""
    opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(connections)]
    try:
        request = _get(port, "/healthz")
        await asyncio.gather(*(_fetch(reader, writer, request) for reader, writer in opened))
        return (await _split(server, port, wait=0))[1:]  # [0]: the resource tracker
    finally:
        for _, writer in opened:
            writer.close()


def _cpu_seconds(server: subprocess.Popen) -> tuple[float, float]:
    """CPU time used so far by the server's processes and by the bench database's backends."""

    def used(pid: int) -> float:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:  # a backend or worker that ended meanwhile
            return 0.0
        return times.user + times.system

    parent = psutil.Process(server.pid)
    python = sum(used(p.pid) for p in [parent, *parent.children(recursive=True)])
    pids = subprocess.run(
        [
            "psql",
            "-d",
            DB,
            "-Atc",
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    postgres = sum(used(int(pid)) for pid in pids)
    return python, postgres


async def _fetch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One request on a keep-alive connection; its status (the body is read and dropped)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        headers[key.strip().lower()] = value.strip()
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding") == b"chunked":
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readexactly(2)
    return int(head.split(b" ", 2)[1])


async def _users(
    users: int,
    seconds: float,
    request,
    port: int,
    label: str,
    *,
    new: bool = False,
    log: list | None = None,
) -> tuple[list[float], dict[int, int]]:
    """`users` clients send `request(i)` back to back, each on its own keep-alive connection,
    or (`new`) each request on a new connection, whose opening counts in its latency. `log`, if
    given, receives (i, start in s since the first, latency in s, status) for each request.

    A minimal HTTP/1.1 client in one thread: the first version (50 threads of `requests`) took
    ~0.9 of the 2 cores, so it, not the server, set the pace.
    """
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.monotonic() + seconds
    first = time.perf_counter()

    async def user(k: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                if new and i != k:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                status = await asyncio.wait_for(_fetch(reader, writer, request(i)), 60)
                if new:
                    writer.close()
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
                status = 0
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
            if log is not None:
                log.append((i, start - first, latencies[-1], status))
            i += users
        writer.close()

    async def progress() -> None:
        with tqdm(total=round(seconds), desc=label, unit="s", leave=False) as bar:
            while time.monotonic() < stop:
                await asyncio.sleep(1)
                bar.update(1)

    await asyncio.gather(progress(), *(user(k) for k in range(users)))
    return latencies, statuses


async def _split(server: subprocess.Popen, port: int, wait: float = 2) -> list[int]:
    """How the clients' keep-alive connections are spread over the uvicorn workers (and the
    resource tracker, which holds none).

    Each connection stays with the worker that accepted it, so an uneven split loads one
    worker more than the other for the whole run: a source of the tail, not of the mean.
    """
    await asyncio.sleep(wait)
    counts = []
    for worker in psutil.Process(server.pid).children():
        connections = worker.net_connections(kind="tcp")
        counts.append(
            sum(c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port for c in connections)
        )
    return sorted(counts)


def _get(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()


def _form(port: int, path: str, fields: dict[str, str], file: bytes | None) -> bytes:
    """A multipart/form-data POST, as the portal's form sends it."""
    boundary = "----rush" + uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    if file is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
            f'filename="piece.pdf"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            + file
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _tile_paths(points: list[str]) -> list[str]:
    """Map browsing: the tiles of the zones, prescriptions and observations around the plan."""
    paths = []
    for point in points[:60]:
        lon, lat = json.loads(point)["coordinates"]
        for z in (12, 13, 14, 15, 16):
            n = 1 << z
            x = int((lon + 180) / 360 * n)
            y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
            for layer in ("zones", "prescriptions", "observations"):
                paths.append(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
    return sorted(set(paths))


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


def _plot(log: list, path: str, summary: str) -> None:
    """Each submission's latency at the time it was sent, and the submissions answered a second:
    whether the tail is spread over the run or comes in bursts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 6), sharex=True, height_ratios=(3, 1), layout="constrained"
    )
    for pdf, colour, label in (
        (False, "tab:blue", "without a file"),
        (True, "tab:orange", "with a 20 KB PDF"),
    ):
        mine = [(start, latency) for i, start, latency, _ in log if (i % 5 == 0) == pdf]
        starts = [start for start, _ in mine]
        top.scatter(
            starts, [1000 * lat for _, lat in mine], s=2, alpha=0.4, color=colour, label=label
        )
    for q, style in ((50, "--"), (99, ":")):
        value = _pct([latency for _, _, latency, _ in log], q)
        top.axhline(
            value, color="black", linestyle=style, linewidth=1, label=f"p{q} {value:.0f} ms"
        )
    top.axhline(500, color="tab:red", linewidth=1, label="target p99 500 ms")
    top.set_ylabel("latency (ms)")
    top.set_title(f"Last-day rush: {summary}")
    top.legend(loc="upper right", markerscale=4)
    seconds = [int(start + latency) for _, start, latency, status in log if status == 201]
    bottom.hist(seconds, bins=range(0, max(seconds) + 2), color="tab:green")
    bottom.set_ylabel("201 a second")
    bottom.set_xlabel("seconds into the rush")
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=15)
    parser.add_argument("--warmup-seconds", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8113)
    parser.add_argument("--new", action="store_true", help="each submission on a new connection")
    parser.add_argument(
        "--browsers", type=int, default=0, help="map users fetching tiles during the rush"
    )
    parser.add_argument(
        "--dump",
        help="write each submission (i, start s, latency s, status, pdf) to this JSON file",
    )
    parser.add_argument("--plot", help="draw each submission's latency over the run to this PNG")
    parser.add_argument(
        "--pool",
        type=int,
        default=8,
        help="connections of the psycopg pool per worker (0: a connection per request)",
    )
    args = parser.parse_args()

    _prepare()
    inquiry_id, points = _bench_inquiry()
    server = _serve(args.port, args.workers, args.pool)
    rng = random.Random(7)
    tiles = _tile_paths(points)
    path = f"/api/v1/inquiries/{inquiry_id}/observations/"

    def submit(i: int) -> bytes:
        tag = uuid.uuid4().hex
        fields = {
            "theme": "zoning",
            "body": f"Observation {tag}: je demande le maintien du zonage actuel.",
            "author_name": "Citoyen du dernier jour",
            "author_email": f"{tag}@example.ma",
            "consent_publication": "on",
            "geometry": points[i % len(points)],
        }
        return _form(args.port, path, fields, PDF if i % 5 == 0 else None)

    log: list = []

    async def rush() -> tuple:
        loads = [
            _users(
                args.citizens, args.seconds, submit, args.port, "submissions", new=args.new, log=log
            )
        ]
        if args.browsers:
            browse = lambda i: _get(args.port, rng.choice(tiles))  # noqa: E731
            loads.append(_users(args.browsers, args.seconds, browse, args.port, "map browsing"))
        return await asyncio.gather(*loads, _split(server, args.port))

    try:
        healthz = _get(args.port, "/healthz")
        latencies, statuses = asyncio.run(
            _users(args.citizens, args.baseline_seconds, lambda i: healthz, args.port, "baseline")
        )
        base_rps = statuses.get(200, 0) / args.baseline_seconds
        base_p50, base_p99 = _pct(latencies, 50), _pct(latencies, 99)
        warm_latencies, warm_statuses = asyncio.run(
            _users(args.citizens, args.warmup_seconds, submit, args.port, "warm-up", new=args.new)
        )
        # The server sees the warm-up's connections close before the rush opens its own, so
        # that it spreads those over the workers by what each really holds.
        time.sleep(1)
        client = psutil.Process()
        cpu_before = (*_cpu_seconds(server), sum(client.cpu_times()[:2]))
        results = asyncio.run(rush())
        cpu_after = (*_cpu_seconds(server), sum(client.cpu_times()[:2]))
        latencies, statuses = results[0]
        split = results[-1]
        if args.browsers:
            browsing = dict(zip(("latencies", "statuses"), results[1], strict=True))
    finally:
        server.terminate()
        server.wait(timeout=30)

    from inquiry.models import Observation

    rows = Observation.objects.filter(inquiry_id=inquiry_id).count()
    numbers = set(
        Observation.objects.filter(inquiry_id=inquiry_id).values_list("register_number", flat=True)
    )
    created = statuses.get(201, 0)
    warm_created = warm_statuses.get(201, 0)
    rps = created / args.seconds
    p50, p99 = _pct(latencies, 50), _pct(latencies, 99)
    connections = f"psycopg pool of {args.pool}" if args.pool else "a connection per request"
    print(
        f"citizens {args.citizens}, {args.seconds:.0f} s, uvicorn workers {args.workers}, "
        f"{connections}"
    )
    print(
        f"baseline GET /healthz: {base_rps:.0f} req/s, p50 {base_p50:.1f} ms, p99 {base_p99:.1f} ms"
    )
    print(
        f"warm-up ({args.warmup_seconds:.0f} s, not in the figures below): "
        f"{warm_created / args.warmup_seconds:.1f} accepted/s, p50 {_pct(warm_latencies, 50):.1f} "
        f"ms, p99 {_pct(warm_latencies, 99):.1f} ms, statuses {dict(sorted(warm_statuses.items()))}"
    )
    print(f"submissions: {rps:.1f} accepted/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    for label, pdf in (("with the PDF", True), ("without", False)):
        lat = [latency for i, _, latency, _ in log if (i % 5 == 0) == pdf]
        print(f"  {label}: {len(lat)}, p50 {_pct(lat, 50):.1f} ms, p99 {_pct(lat, 99):.1f} ms")
    if args.dump:
        with open(args.dump, "w") as out:
            json.dump([(*each, each[0] % 5 == 0) for each in log], out)
    if args.plot:
        _plot(log, args.plot, f"{rps:.1f} accepted/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    print(f"ratio to baseline: throughput {rps / base_rps:.3f}x, p50 {p50 / base_p50:.1f}x")
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"connections per uvicorn worker, 2 s in: {split}")
    if created:
        # Pooled connections live through the run, so their backends' counters cover it.
        python_ms, postgres_ms, client_ms = (
            (a - b) / created * 1000 for a, b in zip(cpu_after, cpu_before, strict=True)
        )
        print(
            f"CPU per accepted observation: server Python {python_ms:.1f} ms, "
            f"PostgreSQL {postgres_ms:.1f} ms, benchmark client {client_ms:.1f} ms"
            + (" (map browsing included)" if args.browsers else "")
        )
    if args.browsers:
        tile_statuses = browsing["statuses"]
        served = sum(tile_statuses.get(code, 0) for code in (200, 204, 304))
        lat = browsing["latencies"]
        print(
            f"map browsing ({args.browsers} users, same time): "
            f"{served / args.seconds:.0f} tiles/s, "
            f"p50 {_pct(lat, 50):.1f} ms, p99 {_pct(lat, 99):.1f} ms, "
            f"statuses {dict(sorted(tile_statuses.items()))}"
        )
    gap_free = numbers == set(range(1, rows + 1))
    accepted = warm_created + created
    print(f"201 responses {accepted} (warm-up included), register rows {rows}, gap-free {gap_free}")
    print("zero loss: " + ("yes" if accepted == rows else "NO"))
    sys.exit(0 if accepted == rows else 1)


if __name__ == "__main__":
    main()
