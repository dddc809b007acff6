"""The render queue: at most N tiles made at once, the waiting ones served by a cost deadline.

With more requests than connections, a first-come-first-served queue makes a street-level tile
that takes 40 ms wait behind city-wide tiles that take a second each. Each waiting render gets a
deadline instead: its arrival time plus `slack` times the time its layer takes at its zoom
(learned from the renders made). The earliest deadline goes first, so a cheap tile overtakes the
expensive ones that arrived shortly before it, and every tile waits in proportion to its own cost,
as it would if PostgreSQL ran all of them at once (processor sharing) but without putting dozens
of busy backends on a small machine's cores. No render waits forever: once its deadline is
earlier than the arrival of newcomers, they can no longer overtake it, and that happens at most
MAX_OVERTAKE seconds after its own arrival. A slack of 0 is plain FIFO.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import AsyncIterator

# Weight of the newest render in the running mean of a (layer, zoom)'s render time.
LEARNING_RATE = 0.2
# No tile is overtaken by one that arrived more than this many seconds after it, however
# expensive it is: the price of the cheap tiles' head start stays bounded for the others.
MAX_OVERTAKE = 5.0


class RenderQueue:
    """Admits `slots` renders at a time; the others wait, earliest cost deadline first."""

    def __init__(self, slots: int, slack: float) -> None:
        self.free = slots
        self.slack = slack
        # (deadline, arrival order, future); a cancelled waiter's future is skipped when popped.
        self._waiting: list[tuple[float, int, asyncio.Future]] = []
        self._order = itertools.count()
        self._cost: dict[tuple[str, int], float] = {}

    def __len__(self) -> int:
        return sum(1 for *_, future in self._waiting if not future.done())

    def expected(self, layer: str, z: int) -> float:
        """Seconds a render of this layer and zoom is expected to take (0 until one is made)."""
        return self._cost.get((layer, z), 0.0)

    def learn(self, layer: str, z: int, seconds: float) -> None:
        """Fold one render's duration into its (layer, zoom)'s running mean."""
        old = self._cost.get((layer, z))
        self._cost[(layer, z)] = seconds if old is None else old + LEARNING_RATE * (seconds - old)

    @contextlib.asynccontextmanager
    async def slot(self, layer: str, z: int) -> AsyncIterator[None]:
        """Hold one of the slots for the duration of a render."""
        if self.free > 0:  # then nobody is waiting: a freed slot goes to a waiter first
            self.free -= 1
        else:
            head_start = min(self.slack * self.expected(layer, z), MAX_OVERTAKE)
            deadline = time.monotonic() + head_start
            future = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (deadline, next(self._order), future))
            try:
                await future
            except asyncio.CancelledError:
                # Cancelled after being handed the slot, before running: pass it on.
                if future.done() and not future.cancelled():
                    self._release()
                else:
                    future.cancel()
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            *_, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)  # the slot goes straight to the next waiter
                return
        self.free += 1
