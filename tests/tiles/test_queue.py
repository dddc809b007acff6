"""The render queue: slots, cost deadlines, the bound on overtaking, cancellation."""

from __future__ import annotations

import asyncio

import pytest

from tiles import queue as render_queue
from tiles.queue import RenderQueue
from tiles.settings import Settings


async def _served_order(rq: RenderQueue, arrivals: list[tuple[str, int]]) -> list[str]:
    """Hold the only slot, queue the arrivals in order, then let them through one by one."""
    order: list[str] = []
    gate = asyncio.Event()

    async def holder() -> None:
        async with rq.slot("zones", 16):
            await gate.wait()

    async def render(name: str, z: int) -> None:
        async with rq.slot("zones", z):
            order.append(name)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    tasks = []
    for name, z in arrivals:
        tasks.append(asyncio.create_task(render(name, z)))
        await asyncio.sleep(0.01)  # distinct arrival times
    gate.set()
    await asyncio.gather(first, *tasks)
    return order


def _learned(slack: int) -> RenderQueue:
    rq = RenderQueue(1, slack)
    rq.learn("zones", 11, 1.0)  # a city-wide tile: a second
    rq.learn("zones", 16, 0.04)  # a street-level tile: 40 ms
    return rq


def test_it_admits_as_many_renders_at_once_as_it_has_slots():
    async def scenario() -> int:
        rq = RenderQueue(3, 4)
        running = peak = 0

        async def render() -> None:
            nonlocal running, peak
            async with rq.slot("zones", 14):
                running += 1
                peak = max(peak, running)
                await asyncio.sleep(0.01)
                running -= 1

        await asyncio.gather(*(render() for _ in range(10)))
        assert rq.free == 3
        return peak

    assert asyncio.run(scenario()) == 3


def test_a_cheap_tile_overtakes_an_expensive_one_that_arrived_just_before():
    order = asyncio.run(_served_order(_learned(4), [("city", 11), ("street", 16)]))
    assert order == ["street", "city"]


def test_with_no_slack_tiles_are_served_first_come_first_served():
    order = asyncio.run(_served_order(_learned(0), [("city", 11), ("street", 16)]))
    assert order == ["city", "street"]


def test_a_tile_of_unknown_cost_waits_in_arrival_order():
    order = asyncio.run(_served_order(RenderQueue(1, 4), [("a", 12), ("b", 16), ("c", 10)]))
    assert order == ["a", "b", "c"]


def test_no_tile_is_overtaken_for_longer_than_the_bound(monkeypatch):
    monkeypatch.setattr(render_queue, "MAX_OVERTAKE", 0.005)
    # The city tile's head start is capped at 5 ms: the street tile, 10 ms later, comes after.
    order = asyncio.run(_served_order(_learned(4), [("city", 11), ("street", 16)]))
    assert order == ["city", "street"]


def test_the_expected_cost_follows_the_renders_made():
    rq = RenderQueue(1, 4)
    assert rq.expected("zones", 12) == 0.0
    rq.learn("zones", 12, 1.0)
    assert rq.expected("zones", 12) == 1.0
    rq.learn("zones", 12, 0.0)
    assert rq.expected("zones", 12) == pytest.approx(1.0 - render_queue.LEARNING_RATE)
    assert rq.expected("prescriptions", 12) == 0.0


def test_a_waiter_that_gives_up_does_not_take_a_slot_with_it():
    async def scenario() -> list[str]:
        rq = RenderQueue(1, 0)
        order: list[str] = []
        gate = asyncio.Event()

        async def holder() -> None:
            async with rq.slot("zones", 14):
                await gate.wait()

        async def render(name: str) -> None:
            async with rq.slot("zones", 14):
                order.append(name)

        first = asyncio.create_task(holder())
        await asyncio.sleep(0)
        gone = asyncio.create_task(render("gone"))
        kept = asyncio.create_task(render("kept"))
        await asyncio.sleep(0)
        gone.cancel()  # the client went away while its tile waited
        await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(first, kept)
        assert gone.cancelled() and rq.free == 1
        return order

    assert asyncio.run(scenario()) == ["kept"]


def test_a_waiter_cancelled_as_it_is_handed_the_slot_passes_it_on():
    async def scenario() -> list[str]:
        rq = RenderQueue(1, 0)
        order: list[str] = []

        async def render(name: str) -> None:
            async with rq.slot("zones", 14):
                order.append(name)

        held = rq.slot("zones", 14)
        await held.__aenter__()
        unlucky = asyncio.create_task(render("unlucky"))
        kept = asyncio.create_task(render("kept"))
        await asyncio.sleep(0)
        await held.__aexit__(None, None, None)  # hands the slot to `unlucky`, not yet resumed
        unlucky.cancel()
        await kept
        assert unlucky.cancelled() and rq.free == 1
        return order

    assert asyncio.run(scenario()) == ["kept"]


def test_the_slack_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("EU_TILES_QUEUE_SLACK", "0")
    assert Settings.from_env().queue_slack == 0
    monkeypatch.delenv("EU_TILES_QUEUE_SLACK")
    assert Settings.from_env().queue_slack == 4
