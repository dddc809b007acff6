"""The tile stores on their own: the memory LRU's byte budget and the disk cache's layout."""

from __future__ import annotations

from tiles.cache import DiskCache, MemoryCache


def test_the_memory_cache_evicts_the_least_recently_used_beyond_its_budget():
    cache = MemoryCache(budget=3 * (1000 + 100))
    for y in range(3):
        cache.put(("zones", "1.0", 12, 0, y), b"x" * 1000)
    assert cache.get(("zones", "1.0", 12, 0, 0)) is not None  # now the most recent
    cache.put(("zones", "1.0", 12, 0, 3), b"y" * 1000)
    assert cache.get(("zones", "1.0", 12, 0, 1)) is None  # the least recent went
    assert cache.get(("zones", "1.0", 12, 0, 0)) == b"x" * 1000
    assert len(cache) == 3 and cache.size <= cache.budget


def test_the_memory_cache_keeps_empty_tiles_and_refuses_oversized_ones():
    cache = MemoryCache(budget=500)
    cache.put(("zones", "1.0", 3, 0, 0), b"")
    assert cache.get(("zones", "1.0", 3, 0, 0)) == b""
    cache.put(("zones", "1.0", 3, 0, 1), b"z" * 1000)
    assert cache.get(("zones", "1.0", 3, 0, 1)) is None


def test_dropping_a_layer_keeps_only_its_current_version():
    cache = MemoryCache(budget=10_000)
    cache.put(("zones", "1.0", 3, 0, 0), b"old")
    cache.put(("zones", "2.0", 3, 0, 0), b"new")
    cache.put(("equipment", "1.0", 3, 0, 0), b"other")
    cache.drop_layer("zones", "2.0")
    assert cache.get(("zones", "1.0", 3, 0, 0)) is None
    assert cache.get(("zones", "2.0", 3, 0, 0)) == b"new"
    assert cache.get(("equipment", "1.0", 3, 0, 0)) == b"other"


def test_the_disk_cache_stores_by_layer_version_and_tile(tmp_path):
    disk = DiskCache(str(tmp_path))
    disk.put(("zones", "1.0", 12, 5, 7), b"gz-old")
    disk.put(("zones", "2.0", 12, 5, 7), b"gz-new")
    assert (tmp_path / "zones/2.0/12/5/7.mvt.gz").read_bytes() == b"gz-new"
    assert disk.get(("zones", "2.0", 12, 5, 7)) == b"gz-new"
    assert disk.get(("zones", "2.0", 12, 5, 8)) is None
    disk.drop_layer("zones", "2.0")
    assert disk.get(("zones", "1.0", 12, 5, 7)) is None
    assert disk.get(("zones", "2.0", 12, 5, 7)) == b"gz-new"
