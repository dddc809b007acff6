"""Our pygeoapi provider over one `publish` view: GeoJSON built in SQL, every value bound.

pygeoapi names it by dotted path (`publish.ogc.provider.PublishProvider`). The generated
configuration carries the view's columns and their SQL types, so a request costs no
introspection. Paging stays fast at any depth: the page's ids are chosen first on the id index
(a deferred join: geometry is serialised for the page only), and a client that follows `next`
links is answered by keyset (`id > last id of the previous page`), remembered per query.
`numberMatched` is exact up to EXACT_COUNT_MAX matches or when the client asks with
`count=exact`; beyond, it is an estimate and the response says so with
`"numberMatchedEstimated": true` (see `_count`).
"""

from __future__ import annotations

import json
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

from . import db
from .cql import Clause, FilterError, to_sql
from .crs import output_crs

LOGGER = logging.getLogger(__name__)

SCHEMA = "publish"
GEOMETRY_COLUMNS = ("geom", "geom_3857")
# Up to this many matches numberMatched is exact (counted on the id index, a few ms).
EXACT_COUNT_MAX = 10_000
COUNT_PARAM = "count"
COUNT_EXACT = "exact"
KEYSET_CACHE_SIZE = 10_000
GEOJSON_DIGITS = 9

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

# (view, where sql, params, limit-independent) + offset -> id of the last feature before it.
_keyset: OrderedDict = OrderedDict()
_keyset_lock = threading.Lock()


def _keyset_get(key):
    with _keyset_lock:
        return _keyset.get(key)


def _keyset_put(key, last_id) -> None:
    with _keyset_lock:
        _keyset[key] = last_id
        _keyset.move_to_end(key)
        while len(_keyset) > KEYSET_CACHE_SIZE:
            _keyset.popitem(last=False)


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
            k: v for k, v in self.data["columns"].items() if k not in GEOMETRY_COLUMNS
        }
        self.id_field = provider_def.get("id_field", "id")
        self.geom_field = provider_def.get("geom_field")
        self.role = self.data.get("role")
        opts = self.options or {}
        self.links_column = opts.get("links_column")
        self.q_columns = opts.get("q_columns", [])
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
        bbox=[],
        datetime_=None,
        properties=[],
        sortby=[],
        select_properties=[],
        skip_geometry=False,
        q=None,
        filterq=None,
        crs_transform_spec=None,
        **kwargs,
    ) -> dict:
        """A page of features as a GeoJSON FeatureCollection, with numberMatched."""
        if isinstance(limit, bool) or not isinstance(limit, int):
            # pygeoapi reads `limit=true` as a boolean.
            raise ProviderInvalidQueryError(user_msg=ERR_LIMIT.format(limit=limit))
        exact = any(k == COUNT_PARAM and v == COUNT_EXACT for k, v in properties)
        where = self._where(bbox, properties, filterq, q)
        out = output_crs(crs_transform_spec.target_crs_uri if crs_transform_spec else None)
        try:
            with db.pool(self.role).connection() as conn:
                matched, estimated = self._count(conn, where, exact)
                features = []
                if resulttype != "hits" and limit > 0:
                    features = self._page(
                        conn, where, offset, limit, sortby, select_properties, skip_geometry, out
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
            sql.SQL(" AND ").join(p.sql for p in parts), [v for p in parts for v in p.params]
        )

    def _geometry_sql(self, out) -> tuple[sql.Composable, list]:
        geom = sql.Identifier("t", self.geom_field)
        params: list = []
        if out.srid != 4326:
            geom = sql.SQL("ST_Transform({}, CAST(%s AS integer))").format(geom)
            params.append(out.srid)
        if out.flip:
            geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
        return sql.SQL("ST_AsGeoJSON({}, {})::json").format(
            geom, sql.Literal(GEOJSON_DIGITS)
        ), params

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

    def _page(self, conn, where, offset, limit, sortby, select_properties, skip_geometry, out):
        """The features of one page: ids first (index only), then their GeoJSON."""
        feature, fparams = self._feature_sql(out, select_properties, skip_geometry)
        id_col = sql.Identifier("t", self.id_field)
        key = (self.view, where.sql.as_string(conn), tuple(map(str, where.params)))
        after = _keyset_get((key, offset)) if offset and not sortby else None
        if after is not None:
            ids = sql.SQL(
                "SELECT {id} FROM {table} t WHERE {where} AND {id} > %s ORDER BY {id} LIMIT %s"
            ).format(id=id_col, table=self._table(), where=where.sql)
            id_params = [*where.params, after, limit]
        else:
            ids = sql.SQL(
                "SELECT {id} FROM {table} t WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s"
            ).format(id=id_col, table=self._table(), where=where.sql, order=self._order(sortby))
            id_params = [*where.params, limit, offset]
        query = sql.SQL(
            "SELECT coalesce(json_agg({feature} ORDER BY {order}), '[]'::json) "
            "FROM {table} t WHERE {id} IN ({ids})"
        ).format(
            feature=feature, order=self._order(sortby), table=self._table(), id=id_col, ids=ids
        )
        features = conn.execute(query, [*fparams, *id_params]).fetchone()[0]
        if features and not sortby:
            _keyset_put((key, offset + len(features)), features[-1]["id"])
        return [self._finish(f) for f in features] if self.links_column else features

    def _count(self, conn, where, exact: bool) -> tuple[int, bool]:
        """numberMatched, and whether it is an estimate.

        The first EXACT_COUNT_MAX + 1 matches are counted on the id index; up to that the count
        is exact. Beyond it, the planner's estimate through these views is far off (they join
        on an OR of conditions it cannot judge), so we extrapolate from the id density of
        those first matches to the last matching id: exact for dense ids, close otherwise, and
        marked as an estimate. `count=exact` counts everything.
        """
        base = sql.SQL("SELECT {id} FROM {table} t WHERE {where}").format(
            id=sql.Identifier("t", self.id_field), table=self._table(), where=where.sql
        )
        if exact:
            query = sql.SQL("SELECT count(*) FROM ({}) c").format(base)
            return conn.execute(query, where.params).fetchone()[0], False
        sample = sql.SQL(
            "SELECT count(*), min(id), max(id) FROM ({} ORDER BY 1 LIMIT %s) s(id)"
        ).format(base)
        count, first, kth = conn.execute(sample, [*where.params, EXACT_COUNT_MAX + 1]).fetchone()
        if count <= EXACT_COUNT_MAX:
            return count, False
        if not isinstance(first, int) or kth == first:
            return count, True
        last_query = sql.SQL("{} ORDER BY 1 DESC LIMIT 1").format(base)
        last = conn.execute(last_query, where.params).fetchone()[0]
        estimate = round((count - 1) * (last - first) / (kth - first)) + 1
        return max(estimate, count), True

    def _finish(self, feature: dict) -> dict:
        """Records carry their links at the top level, as OGC API Records wants."""
        if self.links_column:
            feature["links"] = feature["properties"].pop(self.links_column, None) or []
        return feature
