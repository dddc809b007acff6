"""Serve the system: uvicorn's workers on one socket, each connection to the least busy worker.

    python -m eurbanisme.serve [--host 127.0.0.1] [--port 8000] [--workers 2] [--log-level info]

A worker's latency grows with the connections it holds: one process runs its Python on one core
(the GIL), whatever the other workers do. How the connections are spread matters.

- `uvicorn --workers N` shares one listening socket, and whichever worker wakes first accepts
  every connection waiting (asyncio accepts up to the backlog at each wake-up). In the last-day
  rush (bench/RESULTS.md), 50 keep-alive connections opened at once were split 7 / 43.
- A socket per worker (SO_REUSEPORT) leaves it to chance: the kernel spreads the connections by
  a hash of their addresses, and 50 of them split 20 / 30 or worse one time in five. In one run,
  the worker with 28 answered at p50 401 ms and the one with 22 at 302 ms.

Here the workers still share one socket, but each accepts one connection at a time. A worker
that holds more open connections than another leaves a waiting connection to it, for up to
DEFER_SECONDS; after that it takes the connection itself, since the other may be busy or stuck.
Each worker posts its number of open connections on a board in shared memory whenever it
changes, and at least every POST_SECONDS with the time of the post. A post older than
STALE_SECONDS (a worker starting, hung or dead) is ignored.
uvicorn's own supervisor still starts, watches and restarts the workers.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import math
import multiprocessing
import socket
import time

import uvicorn
from uvicorn.server import Server
from uvicorn.supervisors import Multiprocess, multiprocess

APP = "eurbanisme.asgi:application"
BACKLOG = 2048
DEFER_SECONDS = 0.05  # how long a busier worker leaves a connection to a less busy one
POLL_SECONDS = 0.002  # how often a deferring worker looks again
POST_SECONDS = 0.1  # how often a worker posts its count unchanged, to show it is alive
STALE_SECONDS = 1.0
RETRY_SECONDS = 1.0  # after accept() failed for want of resources (descriptors, memory)

logger = logging.getLogger("uvicorn.error")


class Board:
    """Each worker's open connections and the time it posted them, in shared memory.

    The supervisor gives each worker a slot that no live worker holds; the workers read and
    write the cells. A slot per worker and one more covers uvicorn's restart (SIGHUP), which
    starts each new worker before it stops the old one.
    """

    def __init__(self, workers: int) -> None:
        self.cells = multiprocessing.get_context("spawn").RawArray("d", 2 * (workers + 1))
        self.holders: list = [None] * (workers + 1)  # the supervisor's own record

    def __getstate__(self) -> dict:  # the workers get the cells only
        return {"cells": self.cells, "holders": []}

    def take(self, worker: multiprocess.Process) -> int:
        for slot, holder in enumerate(self.holders):
            if holder is None or holder.process.exitcode is not None:
                self.holders[slot] = worker
                self.cells[2 * slot : 2 * slot + 2] = [0.0, 0.0]  # unposted: ignored
                return slot
        raise RuntimeError("every slot of the board is held by a live worker")

    def post(self, slot: int, connections: int) -> None:
        self.cells[2 * slot] = connections
        self.cells[2 * slot + 1] = time.monotonic()

    def fewest(self, slot: int) -> float:
        """The fewest connections another live worker holds (infinity: no other worker)."""
        now, cells = time.monotonic(), self.cells
        return min(
            (
                cells[2 * other]
                for other in range(len(cells) // 2)
                if other != slot and now - cells[2 * other + 1] < STALE_SECONDS
            ),
            default=math.inf,
        )


class Connections(set):
    """uvicorn's set of a worker's open connections, calling `changed` when one opens or ends."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = lambda: None

    def add(self, connection) -> None:
        super().add(connection)
        self.changed()

    def discard(self, connection) -> None:
        super().discard(connection)
        self.changed()


class Acceptor:
    """Accepts on the shared socket for one worker, one connection at a time, as the board says.

    uvicorn closes it at shutdown as it closes an asyncio server.
    """

    def __init__(self, sock: socket.socket, protocol, server: Server, board: Board, slot: int):
        self.loop = asyncio.get_running_loop()
        self.sock, self.protocol, self.server = sock, protocol, server
        self.board, self.slot = board, slot
        self.connecting = 0  # accepted, transport not made yet
        self.deferring_since: float | None = None
        self.timer: asyncio.TimerHandle | None = None
        sock.setblocking(False)
        self.loop.add_reader(sock, self.accept)
        server.server_state.connections.changed = self.post
        self.keep_posting()

    def open_connections(self) -> int:
        return len(self.server.server_state.connections) + self.connecting

    def post(self) -> None:
        self.board.post(self.slot, self.open_connections())

    def keep_posting(self) -> None:
        self.post()
        self.poster = self.loop.call_later(POST_SECONDS, self.keep_posting)

    def pause(self, seconds: float) -> None:
        self.loop.remove_reader(self.sock)
        self.timer = self.loop.call_later(seconds, self.resume)

    def resume(self) -> None:
        self.timer = None
        self.loop.add_reader(self.sock, self.accept)
        self.accept()  # a connection may be waiting, or none: either way, look now

    def accept(self) -> None:
        while True:
            if self.open_connections() > self.board.fewest(self.slot):
                now = time.monotonic()
                self.deferring_since = self.deferring_since or now
                if now - self.deferring_since < DEFER_SECONDS:
                    return self.pause(POLL_SECONDS)
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                self.deferring_since = None  # nothing waits (any more)
                return
            except OSError as exc:
                if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    continue  # this connection failed (ECONNABORTED...): the next one may not
                logger.error("Cannot accept connections for now: %s", exc)
                return self.pause(RETRY_SECONDS)
            self.deferring_since = None
            conn.setblocking(False)
            self.connecting += 1
            self.post()
            self.loop.create_task(self.connect(conn))

    async def connect(self, conn: socket.socket) -> None:
        try:
            await self.loop.connect_accepted_socket(self.protocol, conn)
        except OSError:
            conn.close()
        finally:
            self.connecting -= 1
            self.post()

    def close(self) -> None:
        self.loop.remove_reader(self.sock)
        self.poster.cancel()
        if self.timer is not None:
            self.timer.cancel()

    async def wait_closed(self) -> None:
        """Nothing to wait for: uvicorn waits for the connections themselves."""


class BalancedServer(Server):
    """uvicorn's server, accepting through an Acceptor instead of an asyncio server."""

    def __init__(self, config: uvicorn.Config, board: Board, slot: int) -> None:
        super().__init__(config)
        self.board, self.slot = board, slot
        # Before any connection: each keeps a reference to the set.
        self.server_state.connections = Connections()

    def protocol(self, _loop=None) -> asyncio.Protocol:
        """An HTTP connection, as uvicorn's own startup makes them."""
        return self.config.http_protocol_class(
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
            _loop=_loop,
        )

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the application's lifespan, no server
        self.servers = [
            Acceptor(sock, self.protocol, self, self.board, self.slot) for sock in sockets or ()
        ]


class Worker(multiprocess.Process):
    """uvicorn's worker process, with a slot on the board and a balanced server."""

    board: Board  # set by main() in the supervisor

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        board = type(self).board
        self.slot = board.take(self)
        self.board = board  # on the instance: the worker process gets it with the instance

    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = BalancedServer(self.config, self.board, self.slot)
        return self._server


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


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
    try:
        sock = listening_socket(args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            parser.exit(1, f"Port {args.port} on {args.host} is already in use.\n")
        raise
    Worker.board = Board(args.workers)
    host = f"[{args.host}]" if ":" in args.host else args.host
    logger.info("Serving on http://%s:%d with %d workers", host, args.port, args.workers)
    multiprocess.Process = Worker  # the supervisor makes its workers by this name
    Multiprocess(config, sockets=[sock]).run()


if __name__ == "__main__":
    main()
