"""CQL2 filters (a pygeofilter AST, as pygeoapi parses them) to SQL with bound parameters.

Each handler returns a `Clause`: a psycopg `sql.Composable` with `%s` placeholders and the values
that fill them, in order. Property names are checked against the collection's columns and
quoted as identifiers; every literal is a bound parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from psycopg import sql
from pygeofilter import ast, values

from .crs import STORAGE_SRID

ERR_PROPERTY = "Unknown property {name!r} in the filter; queryable properties are: {known}."
ERR_UNSUPPORTED = (
    "The filter uses {what}, which this server does not support; supported: comparisons, "
    "LIKE, BETWEEN, IN, IS NULL, AND/OR/NOT and the S_* spatial predicates."
)
GEOMETRY_NAMES = ("geom", "geometry")

COMPARISONS = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}
SPATIAL = {
    ast.GeometryIntersects: "ST_Intersects",
    ast.GeometryDisjoint: "ST_Disjoint",
    ast.GeometryContains: "ST_Contains",
    ast.GeometryWithin: "ST_Within",
    ast.GeometryTouches: "ST_Touches",
    ast.GeometryCrosses: "ST_Crosses",
    ast.GeometryOverlaps: "ST_Overlaps",
    ast.GeometryEquals: "ST_Equals",
}


class FilterError(ValueError):
    """A filter that cannot be run: the message tells the user what to change."""


@dataclass
class Clause:
    """A piece of SQL and the values of its placeholders, in order."""

    sql: sql.Composable
    params: list = field(default_factory=list)
    # True when the condition has a spatial predicate: the GiST index should choose the rows.
    spatial: bool = False


def _join(sep: str, parts: list[Clause]) -> Clause:
    """Clauses joined by a separator (AND, a comma)."""
    return Clause(
        sql.SQL(sep).join(p.sql for p in parts),
        [v for p in parts for v in p.params],
        any(p.spatial for p in parts),
    )


def _wrap(template: str, *parts: Clause) -> Clause:
    """Clauses put into a template with one {} each."""
    return Clause(
        sql.SQL(template).format(*(p.sql for p in parts)),
        [v for p in parts for v in p.params],
        any(p.spatial for p in parts),
    )


def _value(v) -> Clause:
    if isinstance(v, values.Geometry):
        return Clause(
            sql.SQL("ST_SetSRID(ST_GeomFromGeoJSON(%s), {})").format(sql.Literal(STORAGE_SRID)),
            [json.dumps(v.geometry)],
        )
    if isinstance(v, values.Envelope):
        return Clause(
            sql.SQL("ST_MakeEnvelope(%s, %s, %s, %s, {})").format(sql.Literal(STORAGE_SRID)),
            [v.x1, v.y1, v.x2, v.y2],
        )
    if isinstance(v, (bool, int, float, str, date, datetime)) or v is None:
        return Clause(sql.SQL("%s"), [v])
    raise FilterError(ERR_UNSUPPORTED.format(what=type(v).__name__))


class ToSql:
    """Translate a pygeofilter AST for one collection, given its columns and their types."""

    def __init__(self, columns: dict[str, str], geometry_column: str | None = "geom"):
        self.columns = columns
        self.geometry_column = geometry_column

    def __call__(self, node) -> Clause:
        """The SQL of a node (condition or expression)."""
        if isinstance(node, ast.Not):
            clause = _wrap("(NOT {})", self(node.sub_node))
            clause.spatial = False
            return clause
        if isinstance(node, ast.And):
            return _wrap("({} AND {})", self(node.lhs), self(node.rhs))
        if isinstance(node, ast.Or):
            lhs, rhs = self(node.lhs), self(node.rhs)
            clause = _wrap("({} OR {})", lhs, rhs)
            clause.spatial = lhs.spatial and rhs.spatial
            return clause
        if type(node) in COMPARISONS:
            return self._compare(node.lhs, COMPARISONS[type(node)], node.rhs)
        if isinstance(node, ast.Between):
            not_ = "NOT " if node.not_ else ""
            return _wrap(
                f"({{}} {not_}BETWEEN {{}} AND {{}})",
                self(node.lhs),
                self._typed(node.low, node.lhs),
                self._typed(node.high, node.lhs),
            )
        if isinstance(node, ast.Like):
            return self._like(node)
        if isinstance(node, ast.In):
            options = _join(", ", [self._typed(o, node.lhs) for o in node.sub_nodes])
            return _wrap(
                "({} NOT IN ({}))" if node.not_ else "({} IN ({}))", self(node.lhs), options
            )
        if isinstance(node, ast.IsNull):
            return _wrap("({} IS NOT NULL)" if node.not_ else "({} IS NULL)", self(node.lhs))
        if type(node) in SPATIAL:
            clause = _wrap(f"{SPATIAL[type(node)]}({{}}, {{}})", self(node.lhs), self(node.rhs))
            # Only a positive predicate narrows the rows; S_DISJOINT or NOT S_... do not.
            clause.spatial = type(node) is not ast.GeometryDisjoint
            return clause
        if isinstance(node, ast.Include):
            return Clause(sql.SQL("FALSE" if node.not_ else "TRUE"))
        if isinstance(node, ast.Attribute):
            return self._attribute(node.name)
        if isinstance(node, ast.Arithmetic):
            return _wrap(f"({{}} {node.op.value} {{}})", self(node.lhs), self(node.rhs))
        if isinstance(node, ast.Node):
            raise FilterError(ERR_UNSUPPORTED.format(what=type(node).__name__))
        return _value(node)

    def _attribute(self, name: str) -> Clause:
        if name in GEOMETRY_NAMES and self.geometry_column:
            return Clause(sql.Identifier("t", self.geometry_column))
        if name not in self.columns:
            known = ", ".join(sorted(self.columns))
            raise FilterError(ERR_PROPERTY.format(name=name, known=known))
        return Clause(sql.Identifier("t", name))

    def _typed(self, value, lhs) -> Clause:
        """A literal compared with a column, cast to the column's type so indexes still apply."""
        clause = self(value)
        if (
            isinstance(lhs, ast.Attribute)
            and lhs.name in self.columns
            and not isinstance(value, (ast.Node, values.Geometry, values.Envelope))
        ):
            if value is None:
                return clause
            return Clause(
                sql.SQL("CAST(%s AS {})").format(sql.SQL(self.columns[lhs.name])), clause.params
            )
        return clause

    def _compare(self, lhs, op: str, rhs) -> Clause:
        return _wrap(f"({{}} {op} {{}})", self(lhs), self._typed(rhs, lhs))

    def _like(self, node: ast.Like) -> Clause:
        pattern = node.pattern
        # CQL2 uses % and _ like SQL; pygeofilter normalises other wildcards to them.
        if node.wildcard != "%":
            pattern = pattern.replace(node.wildcard, "%")
        if node.singlechar != "_":
            pattern = pattern.replace(node.singlechar, "_")
        op = "ILIKE" if node.nocase else "LIKE"
        not_ = "NOT " if node.not_ else ""
        return _wrap(
            f"(CAST({{}} AS text) {not_}{op} {{}})",
            self(node.lhs),
            Clause(sql.SQL("%s"), [pattern]),
        )


def to_sql(node, columns: dict[str, str], geometry_column: str | None = "geom") -> Clause:
    """The WHERE condition of a CQL2 filter on a collection with these columns."""
    return ToSql(columns, geometry_column)(node)
