"""Serve the system: uvicorn's workers, each accepting on its own SO_REUSEPORT socket.

    python -m eurbanisme.serve [--host 127.0.0.1] [--port 8000] [--workers 2] [--log-level info]

`uvicorn --workers N` shares one listening socket between its workers, and whichever worker
wakes first accepts every connection waiting: 50 keep-alive connections opened at once were
split 7 / 43 in one run of the last-day rush (bench/RESULTS.md), and the worker holding 43 of
them, held to one core by its GIL, set everyone's latency. With a socket per worker on the same
port (SO_REUSEPORT), the kernel spreads connections over the workers by a hash of their
addresses, whatever each worker is doing. uvicorn's own supervisor still starts, watches and
restarts the workers.
"""

from __future__ import annotations

import argparse
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess, multiprocess

APP = "eurbanisme.asgi:application"
BACKLOG = 2048


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket on host:port that other processes may listen on as well."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


class Worker(multiprocess.Process):
    """uvicorn's worker process, listening on its own socket."""

    def target(self, sockets=None) -> None:  # runs in the worker process
        super().target([listening_socket(self.config.host, self.config.port)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    config = uvicorn.Config(
        APP,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
        proxy_headers=True,
    )
    # SO_REUSEPORT would let these workers share the port with a server already on it (another
    # instance of this one): refuse, as uvicorn does.
    with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
        if probe.connect_ex((args.host, args.port)) == 0:
            parser.exit(1, f"Port {args.port} on {args.host} is already in use.\n")
    multiprocess.Process = Worker  # the supervisor makes its workers by this name
    Multiprocess(config, sockets=[]).run()


if __name__ == "__main__":
    main()
