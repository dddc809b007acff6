"""Our pygeoapi provider over one `publish` view: GeoJSON built in SQL, every value of a request
bound but the page's LIMIT and OFFSET (checked integers, written out so that a page keeps its plan).

pygeoapi names it by dotted path (`publish.ogc.provider.PublishProvider`). The generated
configuration carries the view's columns and their SQL types, so a request costs no
introspection. Paging stays fast at any depth: the page's ids are chosen first on the id index
(a deferred join: geometry is serialised for the page only); a client that follows `next` links
is answered by keyset (`id > last id of the previous page`, remembered per query), and a jump
deep into a result starts from an anchor (the id at every ANCHOR_EVERY-th position, built by
one scan of the ids and kept while the layer's state is unchanged).
`numberMatched` is exact up to EXACT_COUNT_MAX matches or when the client asks with
`count=exact`; beyond, it is an estimate and the response says so with
`"numberMatchedEstimated": true` (see `_features_and_count`). Either is kept per query and layer
state, so the next pages of the same query only read their features.
Features are written as compact GeoJSON text by PostgreSQL (`_feature_sql`): no JSON value is
parsed on the way, in the database or in Python, unless a response format reads the features.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import orjson
import psycopg
from psycopg import sql
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderConnectionError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
    ProviderQueryError,
)

from . import db, rawjson
from .cql import Clause, FilterError, to_sql
from .crs import output_crs

LOGGER = logging.getLogger(__name__)

SCHEMA = "publish"
GEOMETRY_COLUMNS = ("geom", "geom_3857")
# Up to this many matches numberMatched is exact (counted on the id index, a few ms).
EXACT_COUNT_MAX = 1_000
COUNT_PARAM = "count"
COUNT_EXACT = "exact"
KEYSET_CACHE_SIZE = 10_000
COUNT_CACHE_SIZE = 1_000
ANCHOR_CACHE_SIZE = 64
# Deep pages start from an anchor: the id at every ANCHOR_EVERY-th position of the query.
ANCHOR_EVERY = 1_000
# Below this offset, OFFSET on the id index is cheaper than building the anchors.
ANCHOR_MIN_OFFSET = 5_000
# Decimals written by ST_AsGeoJSON: 7 for degrees (about 1 cm), 3 for metres (1 mm). More
# digits than that only cost bytes, and parsing in every client.
DEGREE_DIGITS = 7
METRE_DIGITS = 3

ERR_LIMIT = "limit must be a whole number from 1 to the collection's maximum, got {limit!r}."
ERR_VALUE = "A value in the query does not fit its property: {detail}"
ERR_DB = "The database could not answer; try again in a moment."
ERR_NOT_FOUND = "No feature {identifier!r} in collection {view!r}."

JSON_TYPES = {
    "smallint": "integer",
    "integer": "integer",
    "bigint": "integer",
    "numeric": "number",
    "real": "number",
    "double precision": "number",
    "boolean": "boolean",
    "json": "object",
    "jsonb": "object",
}
FORMATS = {"date": "date", "timestamp with time zone": "date-time", "timestamp": "date-time"}

# Small LRU caches shared by the provider instances of a process (pygeoapi makes one a request).
# Keys carry the layer's state (version and inquiry epoch, from publish.layer_state()), so any
# write or inquiry opening makes them miss: an answer never comes from an older state.
# (layer state, view, where, params, offset) -> id of the last feature before that offset
_keyset: OrderedDict = OrderedDict()
# (layer state, view, where, params) -> (exact count, every ANCHOR_EVERY-th id in id order)
_anchors: OrderedDict = OrderedDict()
# (layer state, view, where, params) -> (numberMatched, whether it is an estimate)
_counts: OrderedDict = OrderedDict()
# view -> its layer state when last read (NO_STATE for a view without one). A key is built from
# it without a round trip; every statement that reads under a key also returns the state it saw,
# and an answer, or a cache entry, is kept only when the two agree (see _StaleState).
_states: dict = {}
NO_STATE = ()
# Attempts at a query whose layer changes under it; the last runs without the caches.
STALE_ATTEMPTS = 3
# Feature expressions by shape, rendered once: composing one (an identifier per column, the
# geometry) costs ~0.2 ms of Python, on every request.
_features: dict = {}
FEATURE_CACHE_SIZE = 256
# Properties and their JSON schema by view and columns (pygeoapi makes a provider a request).
_fields: dict = {}
# The provider of each configured collection: id(provider definition) -> (definition, provider).
# pygeoapi constructs its provider at every request (load_plugin); ours holds nothing but what
# the definition says, so one instance a definition serves every request (see __new__).
_providers: dict = {}
PROVIDER_CACHE_SIZE = 64
# Whole statements by shape (the feature's, the rendered WHERE, the page's limit and skip, ...),
# rendered once to bytes: composing one with psycopg.sql and rendering it cost ~0.2 ms of Python
# a request in the server. Values stay bound: a shape never holds a client's value, only SQL
# text that _where rendered from placeholders, identifiers and checked integers.
_statements: dict = {}
STATEMENT_CACHE_SIZE = 512
_cache_lock = threading.Lock()


def _cache_get(cache: OrderedDict, key):
    with _cache_lock:
        return cache.get(key)


def _cache_put(cache: OrderedDict, key, value, size: int) -> None:
    with _cache_lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > size:
            cache.popitem(last=False)


def _rendered(conn, shape: tuple, compose) -> bytes:
    """The statement of this shape, composed (`compose()`) and rendered on first use only."""
    query = _statements.get(shape)
    if query is None:
        query = compose().as_bytes(conn)
        with _cache_lock:
            if len(_statements) >= STATEMENT_CACHE_SIZE:
                _statements.clear()
            _statements[shape] = query
    return query


class _StaleState(Exception):
    """The layer's state changed since it was last read: the cache key is out of date."""


def _bbox_2d(bbox: list) -> list[float]:
    """minx, miny, maxx, maxy of a 4- or 6-number bbox (heights are ignored)."""
    if len(bbox) == 6:
        return [float(bbox[i]) for i in (0, 1, 3, 4)]
    return [float(v) for v in bbox]


def json_schema(sql_type: str) -> dict:
    """The JSON schema of a column of this SQL type (for queryables and schemas)."""
    if sql_type.endswith("[]"):
        return {"type": "array", "items": json_schema(sql_type[:-2])}
    base = sql_type.split("(")[0].strip()
    if base in JSON_TYPES:
        return {"type": JSON_TYPES[base]}
    if base in FORMATS:
        return {"type": "string", "format": FORMATS[base]}
    return {"type": "string"}


class PublishProvider(BaseProvider):
    """Features (or records) of one `publish` view, read through the read-only role.

    One instance per provider definition (pygeoapi's configuration is read once): constructing
    it again at every request cost ~10-50 µs. It keeps no request's state, so threads share it;
    the layer's state and every cache live in the module and are read at each query.
    """

    def __new__(cls, provider_def):
        """The instance already made for this very definition (the same dict), else a new one."""
        kept = _providers.get(id(provider_def))
        if kept is not None and kept[0] is provider_def and type(kept[1]) is cls:
            return kept[1]
        return super().__new__(cls)

    def __init__(self, provider_def):
        """Read the view name and its columns from the generated configuration."""
        if getattr(self, "_definition", None) is provider_def:
            return  # a kept instance (see __new__), already set up from this definition
        super().__init__(provider_def)
        self.view = self.data["view"]
        self.columns: dict[str, str] = {
            k: v for k, v in self.data["columns"] if k not in GEOMETRY_COLUMNS
        }
        self.id_field = provider_def.get("id_field", "id")
        self.geom_field = provider_def.get("geom_field")
        self.role = self.data.get("role")
        opts = self.options or {}
        self.links_column = opts.get("links_column")
        self.q_columns = opts.get("q_columns", [])
        # Records' file links are site-relative in SQL; the public URL makes them absolute.
        self.base_url = opts.get("base_url", "").rstrip("/")
        self._fields = self.get_fields()
        # What every feature expression of this view depends on (see _feature_shape).
        self._shape = (
            self.view,
            tuple(self.columns),
            self.id_field,
            self.geom_field,
            self.links_column,
        )
        self._definition = provider_def
        with _cache_lock:
            if len(_providers) >= PROVIDER_CACHE_SIZE:
                _providers.clear()
            # The definition is held, so its id cannot be reused by another dict meanwhile.
            _providers[id(provider_def)] = (provider_def, self)

    @property
    def fields(self) -> dict:
        """The queryables, a fresh copy at each read: the instance is shared, and pygeoapi's
        schema handler writes into the field schemas it reads (`x-ogc-role`)."""
        return self.get_fields()

    # -- pygeoapi interface -------------------------------------------------------------------

    def get_fields(self) -> dict:
        """Properties and their JSON schema types (the queryables)."""
        shape = (self.view, tuple(self.columns.items()), self.links_column)
        fields = _fields.get(shape)
        if fields is None:
            fields = _fields[shape] = {
                name: json_schema(sql_type)
                for name, sql_type in self.columns.items()
                if name != self.links_column
            }
        # A copy: pygeoapi may add to what it is given.
        return {name: dict(schema) for name, schema in fields.items()}

    def query(
        self,
        offset=0,
        limit=10,
        resulttype="results",
        bbox=None,
        datetime_=None,
        properties=None,
        sortby=None,
        select_properties=None,
        skip_geometry=False,
        q=None,
        filterq=None,
        crs_transform_spec=None,
        **kwargs,
    ) -> dict:
        """A page of features as a GeoJSON FeatureCollection, with numberMatched."""
        bbox, properties = bbox or [], properties or []
        sortby, select_properties = sortby or [], select_properties or []
        if isinstance(limit, bool) or not isinstance(limit, int):
            # pygeoapi reads `limit=true` as a boolean.
            raise ProviderInvalidQueryError(user_msg=ERR_LIMIT.format(limit=limit))
        exact = any(k == COUNT_PARAM and v == COUNT_EXACT for k, v in properties)
        where = self._where(bbox, properties, filterq, q)
        out = output_crs(crs_transform_spec.target_crs_uri if crs_transform_spec else None)
        try:
            with db.pool(self.role).connection() as conn:
                where_text = where.sql.as_string(conn)
                if where.spatial and not sortby:
                    return self._spatial_query(
                        conn,
                        where,
                        where_text,
                        offset,
                        limit,
                        resulttype,
                        select_properties,
                        skip_geometry,
                        out,
                    )
                want = resulttype != "hits" and limit > 0
                for attempt in range(STALE_ATTEMPTS):
                    try:
                        features, matched, estimated = self._features_and_count(
                            conn,
                            where,
                            where_text,
                            offset,
                            limit if want else 0,
                            sortby,
                            select_properties,
                            skip_geometry,
                            out,
                            exact,
                            self._cache_key(conn, where, where_text, attempt),
                        )
                        break
                    except _StaleState:
                        LOGGER.info("Layer %s changed during a query; reading it again", self.view)
        except psycopg.errors.DataError as err:
            raise ProviderInvalidQueryError(
                user_msg=ERR_VALUE.format(detail=err.diag.message_primary)
            ) from err
        except psycopg.OperationalError as err:
            LOGGER.error("OGC query failed: %s", err)
            raise ProviderConnectionError(user_msg=ERR_DB) from err
        except psycopg.Error as err:
            LOGGER.error("OGC query failed: %s", err)
            raise ProviderQueryError(user_msg=ERR_DB) from err
        result = {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": len(features),
        }
        if estimated:
            result["numberMatchedEstimated"] = True
        return result

    def get(self, identifier, crs_transform_spec=None, **kwargs) -> dict:
        """One feature by id."""
        out = output_crs(crs_transform_spec.target_crs_uri if crs_transform_spec else None)
        feature, params = self._feature_sql(out, [], False)
        id_type = sql.SQL(self.columns[self.id_field])
        query = sql.SQL("SELECT {} FROM {} t WHERE {} = CAST(%s AS {})").format(
            feature, self._table(), sql.Identifier("t", self.id_field), id_type
        )
        try:
            with db.pool(self.role).connection() as conn:
                row = conn.execute(query, [*params, str(identifier)]).fetchone()
        except psycopg.errors.DataError:
            row = None
        if row is None:
            raise ProviderItemNotFoundError(
                user_msg=ERR_NOT_FOUND.format(identifier=identifier, view=self.view)
            )
        return self._finish(orjson.loads(row[0]))

    # -- SQL building ---------------------------------------------------------------------------

    def _table(self) -> sql.Composable:
        return sql.Identifier(SCHEMA, self.view)

    def _where(self, bbox, properties, filterq, q) -> Clause:
        parts: list[Clause] = []
        if bbox and self.geom_field:
            parts.append(
                Clause(
                    sql.SQL("ST_Intersects({}, ST_MakeEnvelope(%s, %s, %s, %s, 4326))").format(
                        sql.Identifier("t", self.geom_field)
                    ),
                    _bbox_2d(bbox),
                    spatial=True,
                )
            )
        for name, value in properties:
            if name in self._fields:
                parts.append(
                    Clause(
                        sql.SQL("{} = CAST(%s AS {})").format(
                            sql.Identifier("t", name), sql.SQL(self.columns[name])
                        ),
                        [value],
                    )
                )
        if filterq is not None:
            try:
                queryable = {k: v for k, v in self.columns.items() if k in self._fields}
                parts.append(to_sql(filterq, queryable, self.geom_field))
            except FilterError as err:
                raise ProviderInvalidQueryError(user_msg=str(err)) from err
        if q and self.q_columns:
            terms = [f"%{term}%" for term in q.split(",") if term]
            for term in terms:
                parts.append(
                    Clause(
                        sql.SQL("({})").format(
                            sql.SQL(" OR ").join(
                                sql.SQL("{} ILIKE %s").format(sql.Identifier("t", c))
                                for c in self.q_columns
                            )
                        ),
                        [term] * len(self.q_columns),
                    )
                )
        if not parts:
            return Clause(sql.SQL("TRUE"))
        return Clause(
            sql.SQL(" AND ").join(p.sql for p in parts),
            [v for p in parts for v in p.params],
            any(p.spatial for p in parts),
        )

    def _geometry_sql(self, out) -> tuple[sql.Composable, list]:
        geom = sql.Identifier("t", self.geom_field)
        params: list = []
        if out.srid != 4326:
            geom = sql.SQL("ST_Transform({}, CAST(%s AS integer))").format(geom)
            params.append(out.srid)
        if out.flip:
            geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
        digits = DEGREE_DIGITS if out.srid == 4326 else METRE_DIGITS
        geometry = sql.SQL("coalesce(ST_AsGeoJSON({}, {}), 'null')").format(
            geom, sql.Literal(digits)
        )
        return geometry, params

    def _feature_shape(self, out, select_properties, skip_geometry) -> tuple:
        """What the feature expression (_compose_feature) depends on."""
        return (*self._shape, out.srid, out.flip, tuple(select_properties), bool(skip_geometry))

    def _feature_sql(
        self, out, select_properties, skip_geometry, shape: tuple | None = None
    ) -> tuple[sql.Composable, list]:
        """One feature of `t` as GeoJSON text (see _compose_feature), rendered once a shape."""
        if shape is None:
            shape = self._feature_shape(out, select_properties, skip_geometry)
        cached = _features.get(shape)
        if cached is None:
            feature, params = self._compose_feature(out, select_properties, skip_geometry)
            cached = (sql.SQL(feature.as_string()), tuple(params))
            if len(_features) >= FEATURE_CACHE_SIZE:
                _features.clear()
            _features[shape] = cached
        return cached[0], list(cached[1])

    def _compose_feature(self, out, select_properties, skip_geometry):
        """One feature of `t` as GeoJSON text.

        Written by concatenation around values that PostgreSQL writes as JSON (ST_AsGeoJSON,
        to_json of the id and of a row of the properties), so no part is parsed again: casting
        ST_AsGeoJSON's text to `json` re-reads every coordinate, a third of a page's time. A row
        written by to_json is also compact (json_build_object puts spaces around every `:` and
        `,`): ~10% fewer bytes for every client to parse.
        """
        names = [n for n in self.columns if not select_properties or n in select_properties]
        if self.links_column and self.links_column not in names:
            names.append(self.links_column)
        props = sql.SQL("'{}'")
        if names:
            props = sql.SQL("(SELECT to_json(p) FROM (SELECT {}) p)::text").format(
                sql.SQL(", ").join(sql.Identifier("t", n) for n in names)
            )
        params: list = []
        if skip_geometry or not self.geom_field:
            geometry = sql.SQL("'null'")
        else:
            geometry, params = self._geometry_sql(out)
        feature = sql.SQL(
            """'{{"type":"Feature","id":' || to_json({id})::text || ',"geometry":' || {geometry}"""
            """ || ',"properties":' || {props} || '}}'"""
        ).format(id=sql.Identifier("t", self.id_field), geometry=geometry, props=props)
        return feature, params

    def _order(self, sortby) -> sql.Composable:
        keys = [
            sql.SQL("{} {}").format(
                sql.Identifier("t", s["property"]), sql.SQL("DESC" if s["order"] == "-" else "ASC")
            )
            for s in sortby
        ]
        keys.append(sql.Identifier("t", self.id_field))
        return sql.SQL(", ").join(keys)

    def _cache_key(self, conn, where, where_text: str, attempt: int = 0) -> tuple | None:
        """The key of this query in the paging caches; None when the view has no layer state.

        The state is the one last seen (no round trip) on a first attempt, read again on the
        next; the last attempt goes without caches, so a layer that keeps changing is still
        answered.
        """
        if attempt >= STALE_ATTEMPTS - 1:
            return None
        state = _states.get(self.view) if attempt == 0 else None
        if state is None:
            row = conn.execute(
                "SELECT version, epoch FROM publish.layer_state() WHERE layer = %s", [self.view]
            ).fetchone()
            state = _states[self.view] = NO_STATE if row is None else tuple(row)
        if state == NO_STATE:
            return None
        return (state, self.view, where_text, tuple(map(str, where.params)))

    def _state_sql(self, key) -> Clause:
        """A column with the layer's state as the statement sees it (checked by _check_state)."""
        if not key:
            return Clause(sql.SQL("NULL"))
        # The view's name is a literal (it comes from the configuration), so that a statement
        # without other parameters keeps one cached plan (see _page_sql).
        return Clause(
            sql.SQL(
                "(SELECT ARRAY[version, epoch] FROM publish.layer_state() WHERE layer = {})"
            ).format(sql.Literal(self.view))
        )

    def _check_state(self, key, seen) -> None:
        """Raise _StaleState when a statement saw another state than the key's."""
        if key and tuple(seen or NO_STATE) != key[0]:
            _states[self.view] = tuple(seen or NO_STATE)
            raise _StaleState

    def _anchor_index(self, conn, key, where) -> tuple[int, list]:
        """The exact count and every ANCHOR_EVERY-th id of a query: one scan of its ids."""
        cached = _cache_get(_anchors, key) if key else None
        if cached is not None:
            return cached
        state = self._state_sql(key)
        query = sql.SQL(
            "SELECT count(*), coalesce(array_agg(id ORDER BY id) FILTER "
            "(WHERE n %% {every} = 0), '{{}}'), {state} FROM (SELECT {id} AS id, row_number() "
            "OVER (ORDER BY {id}) AS n FROM {table} t WHERE {where}) s"
        ).format(
            every=sql.Literal(ANCHOR_EVERY),
            state=state.sql,
            id=sql.Identifier("t", self.id_field),
            table=self._table(),
            where=where.sql,
        )
        total, anchors, seen = conn.execute(query, [*state.params, *where.params]).fetchone()
        self._check_state(key, seen)
        if key:
            _cache_put(_anchors, key, (total, anchors), ANCHOR_CACHE_SIZE)
        return total, anchors

    def _start(self, conn, key, where, offset, sortby) -> tuple[object, int]:
        """Where a page in id order starts: (id after which to read, rows still to skip)."""
        if not offset or sortby:
            return None, offset
        after = _cache_get(_keyset, (key, offset)) if key else None
        if after is not None:
            return after, 0
        if offset < ANCHOR_MIN_OFFSET or not key:
            return None, offset
        _, anchors = self._anchor_index(conn, key, where)
        i = min(offset // ANCHOR_EVERY, len(anchors))
        if i == 0:
            return None, offset
        return anchors[i - 1], offset - i * ANCHOR_EVERY

    def _page_sql(self, where, after, skip, limit, sortby, feature) -> Clause:
        """One page (rows chosen first, GeoJSON for those only), as the row of `_aggregate`."""
        after_sql, after_params = sql.SQL(""), []
        if after is not None:
            after_sql = sql.SQL(" AND {} > %s").format(sql.Identifier("t", self.id_field))
            after_params = [after]
        # LIMIT and OFFSET are written as literals, not bound: with `LIMIT $1` PostgreSQL cannot
        # use one cached plan for the page (it does not know how many rows a generic plan
        # reads, so it plans the statement afresh at every execution: ~0.6-1 ms a page of 100).
        # Written out, a page without other parameters is planned once per connection, as the
        # raw query it is measured against. Both are integers checked by pygeoapi and query().
        page = sql.SQL(
            "SELECT * FROM {table} t WHERE {where}{after} ORDER BY {order} "
            "LIMIT {limit} OFFSET {skip}"
        ).format(
            table=self._table(),
            where=where.sql,
            after=after_sql,
            order=self._order(sortby),
            limit=sql.Literal(int(limit)),
            skip=sql.Literal(int(skip)),
        )
        return Clause(
            self._aggregate(feature.sql, self._order(sortby), page),
            [*feature.params, *where.params, *after_params],
        )

    def _aggregate(self, feature, order, rows) -> sql.Composable:
        """The features of `rows` (as `t`) as a JSON array in text, their number, their last id
        in id order (the keyset cache is kept for id order only)."""
        return sql.SQL(
            "SELECT '[' || coalesce(string_agg({feature}, ',' ORDER BY {order}), '') || ']' "
            "AS features, count(*) AS n, max({id}) AS last_id FROM ({rows}) t"
        ).format(feature=feature, order=order, id=sql.Identifier("t", self.id_field), rows=rows)

    def _sample_sql(self, where) -> tuple[sql.Composable, sql.Composable, list]:
        """The first EXACT_COUNT_MAX + 1 matching ids (as CTE `s`) and the last matching id."""
        id_col = sql.Identifier("t", self.id_field)
        # The constants are literals, not bound, for the same reason as the page's LIMIT.
        cte = sql.SQL(
            "WITH s AS (SELECT {id} AS id FROM {table} t WHERE {where} ORDER BY 1 LIMIT {n}) "
        ).format(
            id=id_col, table=self._table(), where=where.sql, n=sql.Literal(EXACT_COUNT_MAX + 1)
        )
        # The last id is looked up only when the sample is full (CASE runs it lazily).
        columns = sql.SQL(
            "(SELECT count(*) FROM s), (SELECT min(id) FROM s), (SELECT max(id) FROM s), "
            "CASE WHEN (SELECT count(*) FROM s) > {n} THEN "
            "(SELECT {id} FROM {table} t WHERE {where} ORDER BY 1 DESC LIMIT 1) END"
        ).format(id=id_col, table=self._table(), where=where.sql, n=sql.Literal(EXACT_COUNT_MAX))
        return cte, columns, [*where.params, *where.params]

    def _features_and_count(
        self,
        conn,
        where,
        where_text,
        offset,
        limit,
        sortby,
        select_properties,
        skip_geometry,
        out,
        exact,
        key,
    ) -> tuple[list, int, bool]:
        """One page and numberMatched, in one statement when no cache has to be consulted.

        numberMatched is exact when the query's anchor index is cached (a deep page or
        `count=exact` built it for this layer state), or when at most EXACT_COUNT_MAX rows
        match (counted on the id index). Beyond, the planner's estimate through these views is
        far off (they join on an OR of conditions it cannot judge), so it is extrapolated from
        the id density of the first matches to the last matching id: exact for dense ids,
        close otherwise, and marked as an estimate. `count=exact` counts everything once and
        keeps it for the next pages.
        """
        counted = _cache_get(_counts, key) if key else None
        if exact or (key and _cache_get(_anchors, key) is not None):
            counted = self._anchor_index(conn, key, where)[0], False
        feature_shape = self._feature_shape(out, select_properties, skip_geometry)
        feature_sql, feature_params = self._feature_sql(
            out, select_properties, skip_geometry, feature_shape
        )
        after, skip, page_params = None, 0, []
        if limit:
            after, skip = self._start(conn, key, where, offset, sortby)
            page_params = [*feature_params, *where.params]
            if after is not None:
                page_params.append(after)
        shape = (
            "page",
            feature_shape,
            where_text,
            after is not None,
            skip,
            limit,
            tuple((s["property"], s["order"]) for s in sortby),
            counted is None,
            bool(key),
        )

        def compose() -> sql.Composable:
            page = Clause(sql.SQL("SELECT '[]' AS features, 0 AS n, NULL AS last_id"))
            if limit:
                feature = Clause(feature_sql, feature_params)
                page = self._page_sql(where, after, skip, limit, sortby, feature)
            # The layer state's column binds nothing (see _state_sql), so neither part moves
            # the parameters out of the order that `params` below lists them in.
            state = self._state_sql(key).sql
            if counted is not None:
                return sql.SQL("SELECT {}, r.* FROM ({}) r").format(state, page.sql)
            cte, columns, _ = self._sample_sql(where)
            return sql.SQL("{} SELECT {}, {}, r.* FROM ({}) r").format(
                cte, columns, state, page.sql
            )

        query = _rendered(conn, shape, compose)
        raw = rawjson.wanted() and not self.links_column
        if counted is not None:
            row = self._fetch(conn, query, page_params, raw, 1)
            self._check_state(key, row[0])
            features, last_id = self._page_result(row[1:], raw)
            matched, estimated = counted
        else:
            params = [*where.params, *where.params, *page_params]
            row = self._fetch(conn, query, params, raw, 5)
            count, first, kth, last = row[:4]
            self._check_state(key, row[4])
            features, last_id = self._page_result(row[5:], raw)
            matched, estimated = self._estimate(count, first, kth, last)
            if key:
                _cache_put(_counts, key, (matched, estimated), COUNT_CACHE_SIZE)
        if features and key and not sortby:
            _cache_put(_keyset, (key, offset + len(features)), last_id, KEYSET_CACHE_SIZE)
        if self.links_column:
            features = [self._finish(f) for f in features]
        return features, matched, estimated

    @staticmethod
    def _fetch(conn, query, params, raw: bool, features_at: int) -> tuple:
        """The statement's one row; its page of features (column `features_at`) as bytes when
        it goes out as it is (see rawjson)."""
        if raw:
            return rawjson.fetch_row(conn, query, params, features_at)
        return conn.execute(query, params).fetchone()

    @staticmethod
    def _page_result(columns: tuple, raw: bool) -> tuple[list, object]:
        """The page's features and the id of its last one, from `_aggregate`'s columns: the
        text as it is when pygeoapi will only write it out (see rawjson), else parsed."""
        text, count, last_id = columns
        if raw:
            return rawjson.RawFeatures(text, count), last_id
        return orjson.loads(text), last_id

    @staticmethod
    def _estimate(count, first, kth, last) -> tuple[int, bool]:
        """numberMatched from a sample of the first matches in id order (see above)."""
        if count <= EXACT_COUNT_MAX:
            return count, False
        if not isinstance(first, int) or kth == first or last is None:
            return count, True
        estimate = round((count - 1) * (last - first) / (kth - first)) + 1
        return max(estimate, count), True

    def _spatial_query(
        self,
        conn,
        where,
        where_text,
        offset,
        limit,
        resulttype,
        select_properties,
        skip_geometry,
        out,
    ) -> dict:
        """A query with a spatial predicate: the GiST index picks the rows, counted exactly.

        In id order the planner would walk the id index and test every geometry; instead the
        matching ids are gathered once through the spatial index, then counted and paged.
        """
        feature_shape = self._feature_shape(out, select_properties, skip_geometry)
        feature, fparams = self._feature_sql(out, select_properties, skip_geometry, feature_shape)
        if resulttype == "hits" or limit == 0:
            limit = 0
        raw = rawjson.wanted() and not self.links_column

        def compose() -> sql.Composable:
            id_col = sql.Identifier("t", self.id_field)
            rows = sql.SQL(
                "SELECT * FROM {table} t WHERE {id} IN "
                "(SELECT id FROM m ORDER BY id LIMIT %s OFFSET %s)"
            ).format(table=self._table(), id=id_col)
            return sql.SQL(
                "WITH m AS MATERIALIZED (SELECT {id} AS id FROM {table} t WHERE {where}) "
                "SELECT (SELECT count(*) FROM m), r.* FROM ({page}) r"
            ).format(
                id=id_col,
                table=self._table(),
                where=where.sql,
                page=self._aggregate(feature, id_col, rows),
            )

        shape = ("spatial", feature_shape, where_text)
        query = _rendered(conn, shape, compose)
        row = self._fetch(conn, query, [*where.params, *fparams, limit, offset], raw, 1)
        matched = row[0]
        features, _ = self._page_result(row[1:], raw)
        if self.links_column:
            features = [self._finish(f) for f in features]
        return {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": len(features),
        }

    def _finish(self, feature: dict) -> dict:
        """Records carry their links at the top level, as OGC API Records wants."""
        if self.links_column:
            links = feature["properties"].pop(self.links_column, None) or []
            for link in links:
                if link.get("href", "").startswith("/"):
                    link["href"] = self.base_url + link["href"]
            feature["links"] = links
        return feature
