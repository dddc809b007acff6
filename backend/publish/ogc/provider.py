"""Our pygeoapi provider over one `publish` view: GeoJSON built in SQL, every value bound.

pygeoapi names it by dotted path (`publish.ogc.provider.PublishProvider`). The generated
configuration carries the view's columns and their SQL types, so a request costs no
introspection. Paging stays fast at any depth: the page's ids are chosen first on the id index
(a deferred join: geometry is serialised for the page only); a client that follows `next` links
is answered by keyset (`id > last id of the previous page`, remembered per query), and a jump
deep into a result starts from an anchor (the id at every ANCHOR_EVERY-th position, built by
one scan of the ids and kept while the layer's state is unchanged).
`numberMatched` is exact up to EXACT_COUNT_MAX matches or when the client asks with
`count=exact`; beyond, it is an estimate and the response says so with
`"numberMatchedEstimated": true` (see `_count`).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

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
ANCHOR_CACHE_SIZE = 64
# Deep pages start from an anchor: the id at every ANCHOR_EVERY-th position of the query.
ANCHOR_EVERY = 1_000
# Below this offset, OFFSET on the id index is cheaper than building the anchors.
ANCHOR_MIN_OFFSET = 5_000
# Decimals written by ST_AsGeoJSON: 7 for degrees (about 1 cm), 3 for metres (1 mm). Fewer
# digits than that only cost parsing and bytes, twice (pygeoapi parses and writes the JSON).
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
    """Features (or records) of one `publish` view, read through the read-only role."""

    def __init__(self, provider_def):
        """Read the view name and its columns from the generated configuration."""
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

    # -- pygeoapi interface -------------------------------------------------------------------

    def get_fields(self) -> dict:
        """Properties and their JSON schema types (the queryables)."""
        return {
            name: json_schema(sql_type)
            for name, sql_type in self.columns.items()
            if name != self.links_column
        }

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
                if where.spatial and not sortby:
                    return self._spatial_query(
                        conn,
                        where,
                        offset,
                        limit,
                        resulttype,
                        select_properties,
                        skip_geometry,
                        out,
                    )
                want = resulttype != "hits" and limit > 0
                features, matched, estimated = self._features_and_count(
                    conn,
                    where,
                    offset,
                    limit if want else 0,
                    sortby,
                    select_properties,
                    skip_geometry,
                    out,
                    exact,
                )
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
        return self._finish(row[0])

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
        return sql.SQL("ST_AsGeoJSON({}, {})::json").format(geom, sql.Literal(digits)), params

    def _feature_sql(self, out, select_properties, skip_geometry) -> tuple[sql.Composable, list]:
        names = [n for n in self.columns if not select_properties or n in select_properties]
        if self.links_column and self.links_column not in names:
            names.append(self.links_column)
        props = sql.SQL("json_build_object({})").format(
            sql.SQL(", ").join(
                sql.SQL("{}, {}").format(sql.Literal(n), sql.Identifier("t", n)) for n in names
            )
        )
        params: list = []
        if skip_geometry or not self.geom_field:
            geometry = sql.SQL("NULL::json")
        else:
            geometry, params = self._geometry_sql(out)
        feature = sql.SQL(
            "json_build_object('type', 'Feature', 'id', {}, 'geometry', {}, 'properties', {})"
        ).format(sql.Identifier("t", self.id_field), geometry, props)
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

    def _cache_key(self, conn, where) -> tuple | None:
        """The key of this query in the paging caches; None when the view has no layer state."""
        row = conn.execute(
            "SELECT version, epoch FROM publish.layer_state() WHERE layer = %s", [self.view]
        ).fetchone()
        if row is None:
            return None
        return (tuple(row), self.view, where.sql.as_string(conn), tuple(map(str, where.params)))

    def _anchor_index(self, conn, key, where) -> tuple[int, list]:
        """The exact count and every ANCHOR_EVERY-th id of a query: one scan of its ids."""
        cached = _cache_get(_anchors, key) if key else None
        if cached is not None:
            return cached
        query = sql.SQL(
            "SELECT count(*), coalesce(array_agg(id ORDER BY id) FILTER "
            "(WHERE n %% {every} = 0), '{{}}') FROM (SELECT {id} AS id, row_number() OVER "
            "(ORDER BY {id}) AS n FROM {table} t WHERE {where}) s"
        ).format(
            every=sql.Literal(ANCHOR_EVERY),
            id=sql.Identifier("t", self.id_field),
            table=self._table(),
            where=where.sql,
        )
        total, anchors = conn.execute(query, where.params).fetchone()
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
        """The JSON array of one page's features (rows chosen first, GeoJSON for those only)."""
        after_sql, after_params = sql.SQL(""), []
        if after is not None:
            after_sql = sql.SQL(" AND {} > %s").format(sql.Identifier("t", self.id_field))
            after_params = [after]
        page = sql.SQL(
            "SELECT * FROM {table} t WHERE {where}{after} ORDER BY {order} LIMIT %s OFFSET %s"
        ).format(table=self._table(), where=where.sql, after=after_sql, order=self._order(sortby))
        return Clause(
            sql.SQL(
                "(SELECT coalesce(json_agg({feature} ORDER BY {order}), '[]'::json) "
                "FROM ({page}) t)"
            ).format(feature=feature.sql, order=self._order(sortby), page=page),
            [*feature.params, *where.params, *after_params, limit, skip],
        )

    def _sample_sql(self, where) -> tuple[sql.Composable, sql.Composable, list]:
        """The first EXACT_COUNT_MAX + 1 matching ids (as CTE `s`) and the last matching id."""
        id_col = sql.Identifier("t", self.id_field)
        cte = sql.SQL(
            "WITH s AS (SELECT {id} AS id FROM {table} t WHERE {where} ORDER BY 1 LIMIT %s) "
        ).format(id=id_col, table=self._table(), where=where.sql)
        # The last id is looked up only when the sample is full (CASE runs it lazily).
        columns = sql.SQL(
            "(SELECT count(*) FROM s), (SELECT min(id) FROM s), (SELECT max(id) FROM s), "
            "CASE WHEN (SELECT count(*) FROM s) > %s THEN "
            "(SELECT {id} FROM {table} t WHERE {where} ORDER BY 1 DESC LIMIT 1) END"
        ).format(id=id_col, table=self._table(), where=where.sql)
        return cte, columns, [*where.params, EXACT_COUNT_MAX + 1, EXACT_COUNT_MAX, *where.params]

    def _features_and_count(
        self, conn, where, offset, limit, sortby, select_properties, skip_geometry, out, exact
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
        key = self._cache_key(conn, where)
        cached = _cache_get(_anchors, key) if key else None
        total = None
        if exact or cached is not None:
            total = self._anchor_index(conn, key, where)[0]
        feature = Clause(*self._feature_sql(out, select_properties, skip_geometry))
        page = Clause(sql.SQL("'[]'::json"))
        if limit:
            after, skip = self._start(conn, key, where, offset, sortby)
            page = self._page_sql(where, after, skip, limit, sortby, feature)
        raw = rawjson.wanted() and not self.links_column
        page_columns = self._page_columns(raw)
        if total is not None:
            query = sql.SQL("SELECT {} FROM (SELECT {} AS p OFFSET 0) r").format(
                page_columns, page.sql
            )
            features, last_id = self._page_result(conn.execute(query, page.params).fetchone(), raw)
            matched, estimated = total, False
        else:
            cte, columns, sample_params = self._sample_sql(where)
            query = sql.SQL("{} SELECT {}, {} FROM (SELECT {} AS p OFFSET 0) r").format(
                cte, columns, page_columns, page.sql
            )
            row = conn.execute(query, [*sample_params, *page.params]).fetchone()
            count, first, kth, last = row[:4]
            features, last_id = self._page_result(row[4:], raw)
            matched, estimated = self._estimate(count, first, kth, last)
        if features and key and not sortby:
            _cache_put(_keyset, (key, offset + len(features)), last_id, KEYSET_CACHE_SIZE)
        if self.links_column:
            features = [self._finish(f) for f in features]
        return features, matched, estimated

    @staticmethod
    def _page_columns(raw: bool) -> sql.Composable:
        """The page `r.p` (a JSON array) as read back: parsed, or as text with its length and
        last id when pygeoapi will only write it out (see rawjson). `r` is always a derived
        table with OFFSET 0, so the planner cannot inline the page's query once per use."""
        if raw:
            return sql.SQL("r.p::text, json_array_length(r.p), r.p -> -1 -> 'id'")
        return sql.SQL("r.p")

    @staticmethod
    def _page_result(columns: tuple, raw: bool) -> tuple[list, object]:
        """The page's features and the id of its last one, from `_page_columns`."""
        if raw:
            text, count, last_id = columns
            return rawjson.RawFeatures(text, count), last_id
        features = columns[0]
        return features, features[-1]["id"] if features else None

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
        self, conn, where, offset, limit, resulttype, select_properties, skip_geometry, out
    ) -> dict:
        """A query with a spatial predicate: the GiST index picks the rows, counted exactly.

        In id order the planner would walk the id index and test every geometry; instead the
        matching ids are gathered once through the spatial index, then counted and paged.
        """
        feature, fparams = self._feature_sql(out, select_properties, skip_geometry)
        id_col = sql.Identifier("t", self.id_field)
        if resulttype == "hits" or limit == 0:
            limit = 0
        raw = rawjson.wanted() and not self.links_column
        query = sql.SQL(
            "WITH m AS MATERIALIZED (SELECT {id} AS id FROM {table} t WHERE {where}) "
            "SELECT (SELECT count(*) FROM m), {columns} FROM (SELECT (SELECT coalesce("
            "json_agg({feature} ORDER BY {id}), '[]'::json) FROM {table} t WHERE {id} IN "
            "(SELECT id FROM m ORDER BY id LIMIT %s OFFSET %s)) AS p OFFSET 0) r"
        ).format(
            id=id_col,
            table=self._table(),
            where=where.sql,
            feature=feature,
            columns=self._page_columns(raw),
        )
        row = conn.execute(query, [*where.params, *fparams, limit, offset]).fetchone()
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
