"""The ASGI mount of pygeoapi at /ogc/, with what pygeoapi itself does not do for us.

- It generates the configuration and the OpenAPI document when they are missing (a fresh
  checkout, a test database), then imports pygeoapi's Starlette app, which reads them.
- `/ogc/conformance` declares only the classes that work here (CONFORMANCE below).
- `/ogc/files/...` serves the files of the Records catalogue, and only those (`files`).
- CQL2 text and JSON in `filter` (pygeoapi 0.21 parses ECQL only and refuses
  `filter-lang=cql2-text`): the filter is checked here first, so a malformed one gets a 400 that
  says what is wrong, and pygeoapi's parser is pointed at ours (`parse_filter`). Parsed filters
  are kept by their text, so the check and pygeoapi share one parse, and a client paging through
  a filtered query (every `next` link repeats the filter) parses it once (~0.26 ms for a short
  CQL2 text filter). pygeoapi's copy of a kept tree in the storage CRS is kept too
  (`_keep_modified_filters`).
- Processes: asynchronous jobs (`jobs.JobManager`) may be listed and read by anyone, but not
  dismissed (DELETE /ogc/jobs/{id} is refused: jobs carry no owner to check), and a synchronous
  answer carries no Location (pygeoapi adds one to a job that was never kept).
- Items answered in JSON carry the page as PostgreSQL wrote it, not parsed and written again
  (`rawjson`).
- Per-request work of pygeoapi that depends on the configuration only is done once: its log level
  (`_apply_log_level`) and the CRS of an items request (`_cache_crs_transform_spec`).
- pygeoapi loads the provider named in the configuration at every request (`load_plugin`); for
  ours (`config.PROVIDER`, still named there by dotted path) the items handler gets the instance
  kept for that definition without load_plugin's lookups (`_keep_our_provider`).
- An items request is routed by the first of pygeoapi's routes (`_route_items_first`), not the
  twelfth: the same endpoint, under a pattern that matches only what the twelfth would have.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import os
import re
import threading
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode

from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text
from pygeofilter.parsers.ecql import parse as parse_ecql

from . import config, files, rawjson

PREFIX = "/ogc"
ITEMS_PATH = re.compile(r"^/collections/[^/]+/items/?$")
EXECUTION_PATH = re.compile(r"^/processes/[^/]+/execution/?$")
JOB_PATH = re.compile(r"^/jobs/[^/]+/?$")
ERR_DISMISS = "Jobs cannot be dismissed here; a finished job's result stays available."
JSON_TYPES = ("application/json", "application/geo+json", "application/query-cql-json")
ERR_POST_TYPE = (
    "POST to {path} takes a JSON body (Content-Type: application/json); for items, a CQL2 "
    "JSON filter."
)
ERR_EXECUTE_BODY = 'The execution request must be a JSON object, e.g. {"inputs": {...}}.'
# An execution request is a few kilobytes (a parcel); refuse anything absurd before parsing.
MAX_EXECUTE_BYTES = 1_000_000
ERR_EXECUTE_SIZE = f"The execution request is larger than {MAX_EXECUTE_BYTES} bytes."
FILTER_LANGS = {
    "cql2-text": "cql-text",
    "cql2-json": "cql-json",
    "cql-text": None,
    "cql-json": None,
}
ERR_FILTER_LANG = "filter-lang {lang!r} is not supported; use cql2-text or cql2-json."
ERR_FILTER = "filter is not valid {lang}: {detail}"
MAX_DETAIL = 300

FEATURES = "http://www.opengis.net/spec/ogcapi-features-{part}/1.0/conf/{cls}"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/{cls}"
CONFORMANCE_FEATURES = (
    [FEATURES.format(part=1, cls=c) for c in ("core", "oas30", "html", "geojson")]
    + [FEATURES.format(part=2, cls="crs")]
    + [
        FEATURES.format(part=3, cls=c)
        for c in ("queryables", "queryables-query-parameters", "filter", "features-filter")
    ]
    + [
        CQL2.format(cls=c)
        for c in (
            "basic-cql2",
            "cql2-text",
            "cql2-json",
            "advanced-comparison-operators",
            "basic-spatial-functions",
            "basic-spatial-functions-plus",
            "spatial-functions",
            "property-property",
            "arithmetic",
        )
    ]
)
RECORDS = "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/{cls}"
CONFORMANCE_RECORDS = [RECORDS.format(cls=c) for c in ("core", "sorting", "json", "html")]
PROCESSES = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/{cls}"
CONFORMANCE_PROCESSES = [
    PROCESSES.format(cls=c)
    for c in ("ogc-process-description", "core", "json", "oas30", "job-list")
]


# Parsed filters kept, by their text. A tree is shared by every request that sends the same
# text, which is safe because nothing changes a tree: pygeoapi deep-copies it before setting its
# CRS and geometry name (`modify_pygeofilter`), and our translation to SQL (`cql.ToSql`) only
# reads it. A longer text (a large polygon) is parsed each time, so the cache stays small.
PARSED_MAX = 256
PARSED_TEXT_MAX = 4096


def parse_filter(text: str):
    """A CQL2 filter (text, or JSON when it starts with `{`) as a pygeofilter AST; ECQL too."""
    if len(text) > PARSED_TEXT_MAX:
        return _parse_filter(text)
    return _parse_kept(text)


@functools.lru_cache(maxsize=PARSED_MAX)
def _parse_kept(text: str):
    return _parse_filter(text)


def _parse_filter(text: str):
    text = text.strip()
    if text.startswith("{"):
        return parse_cql2_json(text)
    try:
        return parse_cql2_text(text)
    except Exception:  # noqa: BLE001 - lark raises several kinds; any means "not CQL2 text"
        # Older clients send ECQL, which pygeoapi accepted before us.
        return parse_ecql(text)


def check_filter(params: dict[str, str]) -> str | None:
    """Why a `filter` cannot be parsed, or None when it can."""
    lang = params.get("filter-lang")
    if lang is not None and lang not in FILTER_LANGS:
        return ERR_FILTER_LANG.format(lang=lang)
    text = params["filter"]
    is_json = (lang or "").endswith("json") or text.lstrip().startswith("{")
    try:
        if is_json and not text.strip().startswith("{"):
            # parse_filter, which pygeoapi's handler calls, would read it as CQL2 text.
            parse_cql2_json(json.loads(text))
        else:
            parse_filter(text)
    except Exception as err:  # noqa: BLE001 - the parsers raise many kinds; all mean "bad input"
        detail = " ".join(str(err).split())[:MAX_DETAIL]
        return ERR_FILTER.format(lang="CQL2 JSON" if is_json else "CQL2 text", detail=detail)
    return None


def _declare_conformance() -> None:
    """Make pygeoapi declare only what works here (its lists are module constants)."""
    import pygeoapi.api.itemtypes as itemtypes
    import pygeoapi.api.processes as processes

    itemtypes.CONFORMANCE_CLASSES_FEATURES[:] = CONFORMANCE_FEATURES
    itemtypes.CONFORMANCE_CLASSES_RECORDS[:] = CONFORMANCE_RECORDS
    processes.CONFORMANCE_CLASSES[:] = CONFORMANCE_PROCESSES
    # pygeoapi parses GET filters as ECQL; ours reads CQL2 text and JSON (and ECQL).
    itemtypes.parse_ecql_text = parse_filter


def _escape_json_in_html() -> None:
    """pygeoapi's HTML pages put the features' JSON in a <script> (`to_json | safe`): a value
    holding "</script>" would end that element, and a citizen's published observation would run
    script in the browser of everyone who opens the page. The templates' `to_json` writes <, >
    and & as JSON escapes: the same JSON value, nothing that HTML reads as markup."""
    import pygeoapi.util as util

    if getattr(util.to_json, "escapes_markup", False):
        return
    plain = util.to_json

    def to_json(dict_, pretty: bool = False) -> str:
        text = plain(dict_, pretty)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    to_json.escapes_markup = True
    # render_j2_template looks the name up in pygeoapi.util at each call; the JSON responses
    # use their own module's reference and are unchanged.
    util.to_json = to_json


def _apply_log_level(config: dict) -> None:
    """Give pygeoapi's loggers the level of its configuration (`logging.level`, ERROR here).

    pygeoapi applies it with `logging.basicConfig`, which does nothing once Django has configured
    the root logger (INFO): every items request then wrote two records to stderr (a warning that
    `offset` is missing, "plugin has no locale support"): ~20 µs at rest, a tenth of the handler
    thread's time under load. A level that Django's LOGGING sets for "pygeoapi" is kept.
    """
    logger = logging.getLogger("pygeoapi")
    level = (config.get("logging") or {}).get("level")
    if level and logger.level == logging.NOTSET:
        logger.setLevel(level)


def _cache_crs_transform_spec() -> None:
    """Remember pygeoapi's CRS transformation spec of an items request per collection and `crs`.

    pygeoapi builds it on every request from two pyproj CRS looked up in PROJ's database (~50 µs;
    ~0.13 ms with `crs=`), yet it depends only on the provider's `storage_crs` and `crs` list and
    on the requested CRS. The key holds all three; an error (a CRS not offered) is not kept and is
    raised by pygeoapi's own function each time, with its own message. Each caller gets its own
    copy of the spec (a mutable dataclass).
    """
    import pygeoapi.api.itemtypes as itemtypes

    build = itemtypes.create_crs_transform_spec
    if getattr(build, "cached", False):
        return

    @functools.lru_cache(maxsize=256)
    def cached(storage_crs, crs_list, query_crs_uri):
        config = {"crs": list(crs_list)} if crs_list is not None else {}
        if storage_crs is not None:
            config["storage_crs"] = storage_crs
        return build(config, query_crs_uri)

    @functools.wraps(build)
    def create_crs_transform_spec(config, query_crs_uri=None):
        # pygeoapi's own call adds the default CRS to a `crs` list that lacks one: keep that.
        itemtypes.get_supported_crs_list(config, itemtypes.DEFAULT_CRS_LIST)
        crs_list = config.get("crs")
        key_list = tuple(crs_list) if isinstance(crs_list, list) else crs_list
        try:
            spec = cached(config.get("storage_crs"), key_list, query_crs_uri)
        except TypeError:  # an unhashable value: not a configuration we generate
            return build(config, query_crs_uri)
        return dataclasses.replace(spec) if spec is not None else None

    create_crs_transform_spec.cached = True
    create_crs_transform_spec.cache_info = cached.cache_info
    itemtypes.create_crs_transform_spec = create_crs_transform_spec


def _keep_modified_filters() -> None:
    """Keep pygeoapi's `modify_pygeofilter` result for each kept tree and its arguments.

    For every filtered request pygeoapi deep-copies the parsed tree and builds two pyproj CRS, to
    move the filter's geometries into the storage CRS and name the geometry column (~0.25 ms in a
    loop). The result depends only on the tree and the arguments, and the trees of repeated
    filters are the same objects (`parse_filter`); nothing changes the result (our translation
    to SQL reads it). Entries are keyed by the tree's identity and hold the tree, so an id is not
    reused while its entry lives; a tree that is not kept (a POSTed filter) only takes a slot.
    """
    import pygeoapi.api.itemtypes as itemtypes

    modify = itemtypes.modify_pygeofilter
    if getattr(modify, "keeps", False):
        return
    kept: OrderedDict = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(modify)
    def modify_pygeofilter(ast_tree, **kwargs):
        key = (id(ast_tree), tuple(sorted(kwargs.items())))
        with lock:
            entry = kept.get(key)
            if entry is not None and entry[0] is ast_tree:
                kept.move_to_end(key)
                return entry[1]
        modified = modify(ast_tree, **kwargs)
        with lock:
            kept[key] = (ast_tree, modified)
            kept.move_to_end(key)
            while len(kept) > PARSED_MAX:
                kept.popitem(last=False)
        return modified

    modify_pygeofilter.keeps = True
    modify_pygeofilter.kept = kept
    itemtypes.modify_pygeofilter = modify_pygeofilter


def _keep_our_provider() -> None:
    """Let pygeoapi's items handlers construct our provider directly.

    `load_plugin` formats its plugin table and the names it resolves into debug messages (an
    f-string, whatever the log level) and imports the module again: ~50-70 µs a request in the
    server. For the dotted path of our provider it would construct `PublishProvider`, which
    keeps one instance a definition (see provider.PublishProvider); any other plugin goes
    through pygeoapi's own function, and so does every other handler module.
    """
    import pygeoapi.api.itemtypes as itemtypes

    from .provider import PublishProvider

    load_plugin = itemtypes.load_plugin
    if getattr(load_plugin, "keeps_ours", False):
        return

    @functools.wraps(load_plugin)
    def load_plugin_keeping_ours(plugin_type: str, plugin_def: dict):
        if plugin_type == "provider" and plugin_def.get("name") == config.PROVIDER:
            return PublishProvider(plugin_def)
        return load_plugin(plugin_type, plugin_def)

    load_plugin_keeping_ours.keeps_ours = True
    itemtypes.load_plugin = load_plugin_keeping_ours


ITEMS_ROUTE = "/collections/{collection_id:path}/items"


def _route_items_first(app) -> None:
    """Put a route to pygeoapi's items endpoint before its other routes.

    Starlette tries routes in order: an items request was matched against eleven patterns
    first (~50-100 µs here). The added route takes only `/collections/{id}/items` with an id
    without `/`, which no earlier route matches (their paths end in /schema, /queryables or
    /tiles/...), so every request reaches the same endpoint with the same parameters as
    before; ids with a `/` still go through pygeoapi's own route. Same methods, so a method
    not allowed still gets the same 405.
    """
    from starlette.routing import Mount, Route

    for mount in app.routes:
        if not isinstance(mount, Mount):
            continue
        routes = mount.routes
        items = next((r for r in routes if isinstance(r, Route) and r.path == ITEMS_ROUTE), None)
        if items is None or getattr(routes[0], "items_first", False):
            continue
        first = Route(
            "/collections/{collection_id}/items",
            items.endpoint,
            methods=sorted(items.methods or ()),
            name="collection_items_first",
        )
        first.items_first = True
        routes.insert(0, first)


def load_app():
    """Generate the configuration if missing, then import pygeoapi's Starlette app."""
    directory = config.ogc_dir()
    cfg, oas = directory / "pygeoapi.yml", directory / "openapi.yml"
    if not (cfg.exists() and oas.exists()):
        config.write(out_dir=directory)
    os.environ["PYGEOAPI_CONFIG"] = str(cfg)
    os.environ["PYGEOAPI_OPENAPI"] = str(oas)
    _declare_conformance()
    _escape_json_in_html()
    rawjson.install()
    _cache_crs_transform_spec()
    _keep_modified_filters()
    _keep_our_provider()
    from pygeoapi.starlette_app import APP, CONFIG

    _apply_log_level(CONFIG)
    _route_items_first(APP)
    return APP


async def _reply(send, status: int, body: dict) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _check_post(scope, sub_path: str, receive):
    """Why a POST cannot be served (pygeoapi answers these with a 500), and a replayed receive.

    pygeoapi 0.21 fails on a POST to /items without a content type, and on an execution
    request whose body is not a JSON object.
    """
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip()
    if ITEMS_PATH.match(sub_path) and content_type not in JSON_TYPES:
        return ERR_POST_TYPE.format(path=sub_path), receive
    if not EXECUTION_PATH.match(sub_path):
        return None, receive
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_EXECUTE_BYTES:
            return ERR_EXECUTE_SIZE, receive
    try:
        ok = isinstance(json.loads(body or b"null"), dict)
    except ValueError:
        ok = False
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return (None if ok else ERR_EXECUTE_BODY), replay


def _without_location_unless_created(send):
    """Drop the Location header of an execution answer that is not 201 (a job accepted)."""

    async def wrapped(message):
        if message["type"] == "http.response.start" and message["status"] != 201:
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"location"]
            message = dict(message, headers=headers)
        await send(message)

    return wrapped


def _may_filter(scope) -> bool:
    """Whether the query string may hold `filter` (spelled out, or in a percent-encoded name)."""
    query = scope["query_string"]
    if b"filter" in query:
        return True
    return b"%" in query and any(b"%" in pair.partition(b"=")[0] for pair in query.split(b"&"))


class OgcMount:
    """ASGI app for everything under /ogc/ (pygeoapi loaded on the first request)."""

    def __init__(self):
        self._app = None
        self._lock = asyncio.Lock()

    async def app(self):
        """pygeoapi's Starlette app, loaded once (in a thread: it reads files and the DB)."""
        if self._app is None:
            async with self._lock:
                if self._app is None:
                    self._app = await asyncio.to_thread(load_app)
        return self._app

    async def __call__(self, scope, receive, send):
        """Check filters and bodies, then hand the request to pygeoapi under root_path /ogc."""
        app = await self.app()
        sub_path = scope["path"][len(scope.get("root_path", "")) + len(PREFIX) :]
        if scope["type"] == "http" and sub_path.startswith(files.PREFIX):
            return await files.serve(scope, receive, send, sub_path[len(files.PREFIX) :])
        if scope["type"] == "http" and scope["method"] == "POST":
            problem, receive = await _check_post(scope, sub_path, receive)
            if problem:
                return await _reply(
                    send, 400, {"code": "InvalidParameterValue", "description": problem}
                )
            if EXECUTION_PATH.match(sub_path):
                send = _without_location_unless_created(send)
        if scope["type"] == "http" and scope["method"] == "DELETE" and JOB_PATH.match(sub_path):
            return await _reply(send, 405, {"code": "NotAllowed", "description": ERR_DISMISS})
        if scope["type"] == "http" and ITEMS_PATH.match(sub_path) and _may_filter(scope):
            pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            params = dict(pairs)
            if "filter" in params:
                problem = check_filter(params)
                if problem:
                    return await _reply(
                        send, 400, {"code": "InvalidParameterValue", "description": problem}
                    )
                if FILTER_LANGS.get(params.get("filter-lang")):
                    pairs = [(k, FILTER_LANGS[v] if k == "filter-lang" else v) for k, v in pairs]
                    scope = dict(scope, query_string=urlencode(pairs).encode())
        scope = dict(scope, root_path=scope.get("root_path", "") + PREFIX)
        await app(scope, receive, send)
