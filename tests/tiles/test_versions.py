"""The layer-version listener: a notification takes effect at once, a burst costs one reload."""

from __future__ import annotations

import asyncio
import time

import psycopg

from tiles.versions import COALESCE_SECONDS, LayerVersions


async def _until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


class Counted(LayerVersions):
    loads = 0

    async def _load(self, conn) -> None:
        self.loads += 1
        await super()._load(conn)


def test_a_burst_of_notifications_is_applied_at_once_and_reloaded_once(db, reader_conninfo):
    async def scenario() -> None:
        versions = Counted(reader_conninfo, lambda layer, key: None)
        versions.start()
        try:
            await _until(lambda: versions.live and versions.key("observations"))
            key, loads = versions.key("observations"), versions.loads
            async with await psycopg.AsyncConnection.connect(
                reader_conninfo, autocommit=True
            ) as writer:
                await writer.execute("SELECT pg_notify('layer_version', 'observations')")
                # Applied as soon as it arrives, long before the reload.
                await _until(lambda: versions.key("observations") is None, 0.5 * COALESCE_SECONDS)
                assert versions.key("zones") is not None  # other layers stay cached
                for _ in range(40):
                    await writer.execute("SELECT pg_notify('layer_version', 'observations')")
            await _until(lambda: versions.key("observations") == key)
            await asyncio.sleep(3 * COALESCE_SECONDS)
            # 41 notifications: one reload, or two when the burst outlasts the coalescing.
            assert 1 <= versions.loads - loads <= 2, versions.loads - loads
            assert versions.key("observations") == key and versions.live
        finally:
            await versions.stop()

    asyncio.run(scenario())
