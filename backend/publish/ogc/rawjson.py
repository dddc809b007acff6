"""Pages of features that reach a JSON client as the JSON PostgreSQL wrote, not parsed and
written again.

Our provider builds each page's GeoJSON in SQL. pygeoapi 0.21 wants a `dict` from the provider
and writes its response with the standard library's `json`: the page would be parsed, then
serialised again, which costs more than the query itself. While pygeoapi answers an items
request whose response is JSON (not HTML, CSV or JSON-LD, which read the features), the
provider hands over the page as text (`RawFeatures`), and pygeoapi's `to_json` (patched by
`install`) embeds that text as it is with orjson. Everything else pygeoapi adds (links,
numberMatched, timeStamp) is unchanged, and so is the JSON value a client reads.

The page stays UTF-8 bytes from the socket to the socket: psycopg hands the column over as bytes
(`fetch_row`), orjson embeds them, and pygeoapi's Starlette app sends the bytes it is given. As
`str`, a page was decoded by psycopg, encoded by orjson, decoded for pygeoapi and encoded again by
Starlette: ~0.2 ms each for a page of 100 zones (80 kB, Arabic labels make every `str` of it
two bytes a character), more than pygeoapi's whole handler.
"""

from __future__ import annotations

import functools
import threading
import weakref

import orjson
from psycopg.adapt import Loader

# The executor thread that runs pygeoapi's API function for this request; pygeoapi runs it with
# `run_in_executor`, which does not carry context variables, so a thread-local holds the flag.
_state = threading.local()
# Response formats whose rendering reads the features one by one.
FORMATS_THAT_READ_FEATURES = ("html", "csv", "jsonld")
# A cursor per pooled connection, its loader registered once (fetch_row): a new cursor and
# loader at each page cost ~40 µs (in a loop; about twice that in the server). Only the thread
# that holds the connection takes its cursor. A cursor keeps its last result until the next,
# so one that has read a page larger than KEEP_RESULT_MAX bytes is closed instead of kept.
_cursors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_cursors_lock = threading.Lock()
KEEP_RESULT_MAX = 1_000_000


class RawFeatures(list):
    """A page of features as JSON text (UTF-8 bytes): `len` is the number of features; reading
    items parses the text (nothing in the JSON path does)."""

    def __init__(self, text: bytes | str, count: int) -> None:
        super().__init__()
        self.text = text
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self):
        return iter(orjson.loads(self.text))

    def __getitem__(self, index):
        return orjson.loads(self.text)[index]


class _TextAsBytes(Loader):
    """Loads a `text` column as the UTF-8 bytes PostgreSQL sent, not decoded."""

    def load(self, data) -> bytes:
        return bytes(data)


def fetch_row(conn, query, params, raw_column: int) -> tuple | None:
    """One row of `query`, with column `raw_column` (text) as UTF-8 bytes and every other value
    as psycopg loads it (a text column that is not the page, such as a text id, is a `str`)."""
    with _cursors_lock:
        cur = _cursors.pop(conn, None)
    if cur is None or cur.closed:
        cur = conn.cursor()
        cur.adapters.register_loader("text", _TextAsBytes)
    # A statement that fails leaves its cursor out: the next one starts afresh.
    row = cur.execute(query, params).fetchone()
    page = row[raw_column] if row is not None else None
    if page is not None and len(page) > KEEP_RESULT_MAX:
        cur.close()
    else:
        with _cursors_lock:
            _cursors[conn] = cur
    if row is None:
        return None
    return tuple(
        v.decode() if isinstance(v, bytes) and i != raw_column else v for i, v in enumerate(row)
    )


def wanted() -> bool:
    """True while pygeoapi answers an items request whose response is written as JSON."""
    return getattr(_state, "raw", False)


def _serving(get_collection_items):
    @functools.wraps(get_collection_items)
    def wrapper(api, request, dataset):
        _state.raw = (
            not api.pretty_print
            and str(request.format or "json").lower() not in FORMATS_THAT_READ_FEATURES
        )
        try:
            return get_collection_items(api, request, dataset)
        finally:
            _state.raw = False

    return wrapper


def _to_json(stdlib_to_json):
    from pygeoapi.util import json_serial

    @functools.wraps(stdlib_to_json)
    def to_json(dict_, pretty: bool = False) -> str | bytes:
        features = dict_.get("features") if isinstance(dict_, dict) else None
        if isinstance(features, RawFeatures):
            content = {**dict_, "features": orjson.Fragment(features.text)}
            # Bytes: get_collection_items returns them as the response's body, which pygeoapi's
            # Starlette app sends as they are (a `str` it would encode again). gzip is off in
            # our configuration; were it on, pygeoapi would compress the bytes but not add
            # "; charset=utf-8" to the Content-Type, as it does for a `str`.
            return orjson.dumps(content, default=json_serial)
        return stdlib_to_json(dict_, pretty)

    return to_json


def install() -> None:
    """Patch pygeoapi's items handler and its JSON writer (once)."""
    import pygeoapi.api.itemtypes as itemtypes

    if getattr(itemtypes.get_collection_items, "__wrapped__", None) is None:
        itemtypes.get_collection_items = _serving(itemtypes.get_collection_items)
        itemtypes.to_json = _to_json(itemtypes.to_json)
