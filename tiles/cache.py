"""Tile caches keyed by (layer, version key, z, x, y): an LRU in memory, optionally on disk."""

from __future__ import annotations

import os
import shutil
from collections import OrderedDict
from pathlib import Path

Key = tuple[str, str, int, int, int]


class MemoryCache:
    """An LRU of gzip tile bodies held under a byte budget."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self._items: OrderedDict[Key, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Key) -> bytes | None:
        """The body, marked as most recently used; None on a miss."""
        body = self._items.get(key)
        if body is not None:
            self._items.move_to_end(key)
        return body

    def put(self, key: Key, body: bytes) -> None:
        """Store a body, evicting the least recently used ones beyond the budget."""
        cost = len(body) + 100  # the key and the dict slot cost too, even for an empty tile
        if cost > self.budget:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.size -= len(old) + 100
        self._items[key] = body
        self.size += cost
        while self.size > self.budget:
            _, evicted = self._items.popitem(last=False)
            self.size -= len(evicted) + 100

    def drop_layer(self, layer: str, keep: str | None) -> None:
        """Forget a layer's tiles of every version but `keep`; they can never be asked for again."""
        for key in [k for k in self._items if k[0] == layer and k[1] != keep]:
            self.size -= len(self._items.pop(key)) + 100


class DiskCache:
    """Gzip tile bodies under <root>/<layer>/<version key>/<z>/<x>/<y>.mvt.gz (blocking calls)."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def _path(self, key: Key) -> Path:
        layer, version, z, x, y = key
        return self.root / layer / version / str(z) / str(x) / f"{y}.mvt.gz"

    def get(self, key: Key) -> bytes | None:
        """The stored body, or None."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: Key, body: bytes) -> None:
        """Store atomically (write then rename), so a reader never sees half a tile."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(body)
        tmp.replace(path)

    def drop_layer(self, layer: str, keep: str | None) -> None:
        """Remove the directories of a layer's outdated versions."""
        base = self.root / layer
        if not base.is_dir():
            return
        for child in base.iterdir():
            if child.name != keep:
                shutil.rmtree(child, ignore_errors=True)
