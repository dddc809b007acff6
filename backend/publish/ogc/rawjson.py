"""Pages of features that reach a JSON client as the JSON PostgreSQL wrote, not parsed and
written again.

Our provider builds each page's GeoJSON in SQL. pygeoapi 0.21 wants a `dict` from the provider
and writes its response with the standard library's `json`: the page would be parsed, then
serialised again, which costs more than the query itself. While pygeoapi answers an items
request whose response is JSON (not HTML, CSV or JSON-LD, which read the features), the
provider hands over the page as text (`RawFeatures`), and pygeoapi's `to_json` (patched by
`install`) embeds that text as it is with orjson. Everything else pygeoapi adds (links,
numberMatched, timeStamp) is unchanged, and so is the JSON value a client reads.
"""

from __future__ import annotations

import functools
import threading

import orjson

# The executor thread that runs pygeoapi's API function for this request; pygeoapi runs it with
# `run_in_executor`, which does not carry context variables, so a thread-local holds the flag.
_state = threading.local()
# Response formats whose rendering reads the features one by one.
FORMATS_THAT_READ_FEATURES = ("html", "csv", "jsonld")


class RawFeatures(list):
    """A page of features as JSON text: `len` is the number of features; reading items parses
    the text (nothing in the JSON path does)."""

    def __init__(self, text: str, count: int) -> None:
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
    def to_json(dict_, pretty: bool = False) -> str:
        features = dict_.get("features") if isinstance(dict_, dict) else None
        if isinstance(features, RawFeatures):
            content = {**dict_, "features": orjson.Fragment(features.text)}
            return orjson.dumps(content, default=json_serial).decode()
        return stdlib_to_json(dict_, pretty)

    return to_json


def install() -> None:
    """Patch pygeoapi's items handler and its JSON writer (once)."""
    import pygeoapi.api.itemtypes as itemtypes

    if getattr(itemtypes.get_collection_items, "__wrapped__", None) is None:
        itemtypes.get_collection_items = _serving(itemtypes.get_collection_items)
        itemtypes.to_json = _to_json(itemtypes.to_json)
