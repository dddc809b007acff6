"""The last-day rush (issue 4): N concurrent citizens submit observations for S seconds.

Run: . scripts/env.sh && .venv/bin/python bench/inquiry/rush.py [--citizens 50] [--seconds 60]
     [--workers 2] [--pool 8] [--browsers 0]
With --browsers N, N map users fetch tiles (zones, prescriptions, observations) during the rush,
and their figures are printed too (issue 8: the rush and map browsing on one machine).
It uses its own database (EU_BENCH_DB, default eurbanisme_bench_inquiry), created and loaded
with the demo on first run, and serves the whole system with uvicorn on its own port.

Figures: accepted observations per second, p50 and p99 latency, and the check that the number of
201 responses equals the number of register rows (zero loss). Baseline, in the same run and with
the same clients: GET /healthz (HTTP + one database round trip), the floor of any request.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import psutil
import requests
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
            str(ROOT / ".venv" / "bin" / "uvicorn"),
            "eurbanisme.asgi:application",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT / "backend",
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def _cpu_seconds(server: subprocess.Popen) -> tuple[float, float]:
    """CPU time used so far by the server's processes and by the bench database's backends."""

    def used(process: psutil.Process) -> float:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            return 0.0
        return times.user + times.system

    parent = psutil.Process(server.pid)
    python = sum(used(p) for p in [parent, *parent.children(recursive=True)])
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
    postgres = sum(used(psutil.Process(int(pid))) for pid in pids if psutil.pid_exists(int(pid)))
    return python, postgres


def _load(
    citizens: int, seconds: float, request, label: str = "load"
) -> tuple[list[float], dict[int, int]]:
    """Run `request(session, i)` in `citizens` threads for `seconds`; latencies and statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def citizen() -> None:
        mine: list[float] = []
        codes: dict[int, int] = {}
        i = 0
        with requests.Session() as session:
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    status = request(session, i)
                except requests.RequestException:
                    status = 0
                mine.append(time.perf_counter() - start)
                codes[status] = codes.get(status, 0) + 1
                i += 1
        with lock:
            latencies.extend(mine)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=citizen) for _ in range(citizens)]
    for t in threads:
        t.start()
    with tqdm(total=round(seconds), desc=label, unit="s", leave=False) as bar:
        while time.monotonic() < stop:
            time.sleep(1)
            bar.update(1)
    for t in threads:
        t.join()
    return latencies, statuses


def _tile_urls(base: str, points: list[str]) -> list[str]:
    """Map browsing: the tiles of the zones, prescriptions and observations around the plan."""
    urls = []
    for point in points[:60]:
        lon, lat = json.loads(point)["coordinates"]
        for z in (12, 13, 14, 15, 16):
            n = 1 << z
            x = int((lon + 180) / 360 * n)
            y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
            for layer in ("zones", "prescriptions", "observations"):
                urls.append(f"{base}/tiles/{layer}/{z}/{x}/{y}.pbf")
    return sorted(set(urls))


def _browse(browsers: int, seconds: float, urls: list[str], result: dict) -> None:
    """Map users fetching tiles while the citizens submit (its own figures, in `result`)."""
    rng = random.Random(7)

    def fetch(session: requests.Session, i: int) -> int:
        return session.get(rng.choice(urls), timeout=60).status_code

    result["latencies"], result["statuses"] = _load(browsers, seconds, fetch, "map browsing")


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8113)
    parser.add_argument(
        "--browsers", type=int, default=0, help="map users fetching tiles during the rush"
    )
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
    base = f"http://127.0.0.1:{args.port}"
    try:
        latencies, statuses = _load(
            args.citizens,
            args.baseline_seconds,
            lambda s, i: s.get(f"{base}/healthz", timeout=30).status_code,
        )
        base_rps = statuses.get(200, 0) / args.baseline_seconds
        base_p50, base_p99 = _pct(latencies, 50), _pct(latencies, 99)

        url = f"{base}/api/v1/inquiries/{inquiry_id}/observations/"

        def submit(session: requests.Session, i: int) -> int:
            tag = uuid.uuid4().hex
            files = {"attachments": ("piece.pdf", PDF, "application/pdf")} if i % 5 == 0 else None
            response = session.post(
                url,
                data={
                    "theme": "zoning",
                    "body": f"Observation {tag}: je demande le maintien du zonage actuel.",
                    "author_name": "Citoyen du dernier jour",
                    "author_email": f"{tag}@example.ma",
                    "consent_publication": "on",
                    "geometry": points[i % len(points)],
                },
                files=files,
                timeout=60,
            )
            return response.status_code

        browsing: dict = {}
        browser = threading.Thread(
            target=_browse,
            args=(args.browsers, args.seconds, _tile_urls(base, points), browsing),
        )
        if args.browsers:
            browser.start()
        cpu_before = _cpu_seconds(server)
        latencies, statuses = _load(args.citizens, args.seconds, submit, "submissions")
        cpu_after = _cpu_seconds(server)
        if args.browsers:
            browser.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    from inquiry.models import Observation

    rows = Observation.objects.filter(inquiry_id=inquiry_id).count()
    numbers = set(
        Observation.objects.filter(inquiry_id=inquiry_id).values_list("register_number", flat=True)
    )
    created = statuses.get(201, 0)
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
    print(f"submissions: {rps:.1f} accepted/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"ratio to baseline: throughput {rps / base_rps:.3f}x, p50 {p50 / base_p50:.1f}x")
    print(f"statuses: {dict(sorted(statuses.items()))}")
    if created:
        # Pooled connections live through the run, so their backends' counters cover it.
        python_ms, postgres_ms = (
            (a - b) / created * 1000 for a, b in zip(cpu_after, cpu_before, strict=True)
        )
        print(
            f"server CPU per accepted observation: Python {python_ms:.1f} ms, "
            f"PostgreSQL {postgres_ms:.1f} ms"
            + (" (map browsing included)" if args.browsers else "")
        )
    if args.browsers:
        tiles = browsing["statuses"]
        served = tiles.get(200, 0) + tiles.get(204, 0) + tiles.get(304, 0)
        lat = browsing["latencies"]
        print(
            f"map browsing ({args.browsers} users, same time): "
            f"{served / args.seconds:.0f} tiles/s, "
            f"p50 {_pct(lat, 50):.1f} ms, p99 {_pct(lat, 99):.1f} ms, "
            f"statuses {dict(sorted(tiles.items()))}"
        )
    gap_free = numbers == set(range(1, rows + 1))
    print(f"201 responses {created}, register rows {rows}, gap-free {gap_free}")
    print("zero loss: " + ("yes" if created == rows else "NO"))
    sys.exit(0 if created == rows else 1)


if __name__ == "__main__":
    main()
