"""Layer versions, learned by LISTEN/NOTIFY on channel `layer_version`, with no polling."""

from __future__ import annotations

import asyncio
import logging
import select
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

log = logging.getLogger("tiles.versions")

STATE_SQL = (Path(__file__).resolve().parent / "sql" / "layer_state.sql").read_text()
CHANNEL = "layer_version"
# How long a notification waits for others before the one reload they share.
COALESCE_SECONDS = 0.1


class LayerVersions:
    """The current version key of each layer, kept fresh by a dedicated listening connection.

    `key(layer)` is None whenever freshness cannot be vouched for (listener down, a notification
    being applied, a visibility boundary just passed): callers then bypass every cache.
    """

    def __init__(self, conninfo: str, on_change: Callable[[str, str | None], None]) -> None:
        self.conninfo = conninfo
        self.on_change = on_change
        self.keys: dict[str, str] = {}
        self.live = False
        self.next_change: float | None = None  # Unix time of the next visibility boundary
        self.reconnects = 0
        self._fd: int | None = None
        self._task: asyncio.Task | None = None

    def key(self, layer: str) -> str | None:
        """The version key to cache `layer` under, or None to bypass the caches."""
        if not self.live:
            return None
        if self.next_change is not None and time.time() >= self.next_change:
            return None  # a draft has just become public; the listener reloads in a moment
        if self._fd is not None and select.select([self._fd], [], [], 0)[0]:
            # A notification has reached the listener's socket but its task has not run yet:
            # the commit that sent it may already have returned to its writer, whose next
            # request must not get a stale tile. One poll(2) call, no database round trip.
            return None
        return self.keys.get(layer)

    def start(self) -> None:
        """Start the listener task (idempotent); it reconnects on its own."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="tiles-listen")

    async def stop(self) -> None:
        """Stop listening."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._task = None
        self.live = False

    async def _load(self, conn: psycopg.AsyncConnection) -> None:
        cur = await conn.execute(STATE_SQL)
        rows = await cur.fetchall()
        keys = {layer: f"{version}.{epoch}" for layer, version, epoch, _ in rows}
        coming = [row[3].timestamp() for row in rows if row[3] is not None]
        self.next_change = min(coming) if coming else None
        for layer in set(self.keys) | set(keys):
            if self.keys.get(layer) != keys.get(layer):
                self.on_change(layer, keys.get(layer))
        self.keys = keys

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                conninfo = make_conninfo(self.conninfo, application_name="eurbanisme-tiles-listen")
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    # Load after LISTEN, so no bump can fall between the two.
                    await self._load(conn)
                    self._fd = conn.pgconn.socket
                    self.live = True
                    delay = 0.5
                    log.info("listening on %s; versions %s", CHANNEL, self.keys)
                    await self._listen(conn)
            except asyncio.CancelledError:
                self.live, self._fd = False, None
                raise
            except (psycopg.Error, OSError) as exc:  # connection lost: go dark, reconnect
                self.live, self._fd = False, None
                self.reconnects += 1
                log.warning("layer version listener down (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _listen(self, conn: psycopg.AsyncConnection) -> None:
        """Apply notifications as they come, and reload the versions once a burst.

        Notifications are read with libpq's own calls when the socket is readable: psycopg's
        `notifies()` costs a wait, a future and a generator step each, and the last-day rush
        sends one an entry (6 % of a worker's Python in bench/RESULTS.md, issue 4).
        """
        loop = asyncio.get_running_loop()
        pgconn, fd = conn.pgconn, conn.pgconn.socket
        changed = asyncio.Event()
        lost: list[psycopg.Error] = []

        def readable() -> None:
            try:
                pgconn.consume_input()
            except psycopg.Error as exc:  # libpq has closed the socket: stop using it now
                loop.remove_reader(fd)
                self.live, self._fd = False, None
                lost.append(exc)
                changed.set()
                return
            while (notify := pgconn.notifies()) is not None:
                # Until the reload below answers, the old key must not be served.
                self.keys.pop(notify.extra.decode(), None)
                changed.set()

        while True:
            loop.add_reader(fd, readable)
            try:
                timeout = None
                if self.next_change is not None:
                    timeout = max(0.0, self.next_change - time.time()) + 0.001
                try:
                    await asyncio.wait_for(changed.wait(), timeout)
                    # A burst (the last-day rush bumps the observations layer on every entry)
                    # costs one reload, not one an entry: its layers are served uncached
                    # meanwhile, so never stale.
                    await asyncio.sleep(COALESCE_SECONDS)
                except TimeoutError:
                    pass  # a visibility boundary has passed
            finally:
                loop.remove_reader(fd)
            if lost:
                raise lost[0]
            changed.clear()
            await self._load(conn)
            # Notifications that came in with the reload's answer: psycopg kept them aside.
            async for notify in conn.notifies(timeout=0):
                self.keys.pop(notify.payload, None)
                changed.set()
