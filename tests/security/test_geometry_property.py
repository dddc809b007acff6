"""Property: a zone's geometry edit is either stored exactly as sent, or refused writing nothing.

Hypothesis generates polygons (valid stars, random rings that self-intersect, bow-ties, spikes,
repeated points, empty, tiny, huge coordinates, out-of-range longitudes and latitudes, 3D, too
many vertices, unclosed or too short rings, projected CRS) and PATCHes them onto a zone of a
private draft through the editing API (planning.validation runs at save time). For every one:

- 200: the stored geometry is valid and equals what was sent (within the reprojection's
  tolerance when it was sent in EPSG:26191), the zone's revision moved on by one;
- otherwise a 4xx whose JSON has a code and a message, and nothing was written: the zone, the
  number of zones of the version and the version's history are as before.

Each example runs in a savepoint that is rolled back, so examples do not see each other.
"""

from __future__ import annotations

import json
import math

import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from planning.models import PlanningEvent, Zone

pytestmark = pytest.mark.django_db

MAX_VERTICES = 64  # lowered for the test, so "too many vertices" stays cheap
TO_26191 = Transformer.from_crs(4326, 26191, always_xy=True)


def _patch(client, zone: Zone, geometry: dict, crs: str = "EPSG:4326"):
    return client.patch(
        f"/api/v1/planning/zones/{zone.pk}/",
        json.dumps({"geometry": geometry, "crs": crs}),
        content_type="application/json",
        HTTP_IF_MATCH=f'"zone-{zone.pk}-r{zone.revision}"',
    )


@pytest.fixture
def target(draft, planner_client, settings):
    """A zone of the private draft that takes an edit of its geometry, and a square inside it
    (in its largest inscribed circle), where any shape drawn fits the zone."""
    settings.EU_MAX_VERTICES = MAX_VERTICES
    for zone in sorted(draft.zones.all()[:60], key=lambda z: -z.geom.area):
        shape = shapely.from_wkb(bytes(zone.geom.wkb))
        if len(zone.geom) != 1 or not shape.is_valid:
            continue
        with transaction.atomic():
            # A zone whose own rules or neighbours refuse any edit is no use here.
            accepted = _patch(planner_client, zone, json.loads(zone.geom[0].geojson)).status_code
            transaction.set_rollback(True)
        if accepted != 200:
            continue
        radius_line = shapely.maximum_inscribed_circle(shape)
        (x, y), radius = radius_line.coords[0], radius_line.length
        return {"zone": zone, "client": planner_client, "box": (x, y, radius * 0.7)}
    pytest.fail("no zone of the demo takes a geometry edit")


# -- shapes, in unit coordinates (-1..1), placed in the box by `_place` ----------------------

unit = st.floats(min_value=-1, max_value=1, allow_nan=False)


@st.composite
def star(draw, min_vertices: int = 3, max_vertices: int = 24):
    """A star-shaped ring around the centre: always a valid simple polygon."""
    n = draw(st.integers(min_vertices, max_vertices))
    # Whole degrees: distinct angles never put two vertices a rounding error apart.
    degrees = sorted(draw(st.lists(st.integers(0, 359), min_size=n, max_size=n, unique=True)))
    radii = draw(st.lists(st.floats(0.2, 1.0), min_size=n, max_size=n))
    ring = [
        (r * math.cos(math.radians(a)), r * math.sin(math.radians(a)))
        for a, r in zip(degrees, radii, strict=True)
    ]
    return ring


def _close(ring):
    return [*ring, ring[0]]


@st.composite
def shapes(draw):
    """(kind, GeoJSON geometry in unit coordinates or absolute degrees, absolute?)."""
    kind = draw(
        st.sampled_from(
            [
                "valid",
                "valid",
                "random ring",
                "bow-tie",
                "spike",
                "repeated points",
                "tiny",
                "with hole",
                "empty",
                "huge coordinates",
                "out of range",
                "3D",
                "too many vertices",
                "unclosed ring",
                "too short ring",
                "multipolygon",
            ]
        )
    )
    if kind in ("valid", "tiny"):
        return kind, {"type": "Polygon", "coordinates": [_close(draw(star()))]}, False
    if kind == "random ring":
        points = draw(st.lists(st.tuples(unit, unit), min_size=3, max_size=10))
        return kind, {"type": "Polygon", "coordinates": [_close(points)]}, False
    if kind == "bow-tie":
        a = draw(st.floats(0.1, 1))
        ring = [(-a, -a), (a, a), (a, -a), (-a, a)]
        return kind, {"type": "Polygon", "coordinates": [_close(ring)]}, False
    if kind == "spike":
        ring = draw(star(min_vertices=4))
        i = draw(st.integers(0, len(ring) - 1))
        px, py = ring[i]
        ring = ring[: i + 1] + [(px * 3, py * 3), (px, py)] + ring[i + 1 :]
        return kind, {"type": "Polygon", "coordinates": [_close(ring)]}, False
    if kind == "repeated points":
        ring = draw(star())
        i = draw(st.integers(0, len(ring) - 1))
        ring = ring[:i] + [ring[i]] * draw(st.integers(2, 4)) + ring[i + 1 :]
        return kind, {"type": "Polygon", "coordinates": [_close(ring)]}, False
    if kind == "with hole":
        outer = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
        h = draw(st.floats(0.05, 1.2))  # beyond 1 the hole leaves the shell: invalid
        hole = [(-h, -h), (-h, h), (h, h), (h, -h)]
        return kind, {"type": "Polygon", "coordinates": [_close(outer), _close(hole)]}, False
    if kind == "empty":
        empty = draw(
            st.sampled_from(
                [
                    {"type": "Polygon", "coordinates": []},
                    {"type": "MultiPolygon", "coordinates": []},
                    {"type": "GeometryCollection", "geometries": []},
                ]
            )
        )
        return kind, empty, True
    if kind == "huge coordinates":
        scale = draw(st.sampled_from([1e6, 1e12, 1e300]))
        ring = [(x * scale, y * scale) for x, y in draw(star())]
        return kind, {"type": "Polygon", "coordinates": [_close(ring)]}, True
    if kind == "out of range":
        dx, dy = draw(st.sampled_from([(360, 0), (0, 120), (-400, -200)]))
        return kind, {"type": "Polygon", "coordinates": [_close(draw(star()))]}, ("shift", dx, dy)
    if kind == "3D":
        ring = [(x, y, draw(st.floats(-10, 100))) for x, y in draw(star())]
        return kind, {"type": "Polygon", "coordinates": [_close(ring)]}, False
    if kind == "too many vertices":
        ring = draw(star(min_vertices=MAX_VERTICES, max_vertices=MAX_VERTICES + 40))
        return kind, {"type": "Polygon", "coordinates": [_close(ring)]}, False
    if kind == "unclosed ring":
        return kind, {"type": "Polygon", "coordinates": [draw(star(min_vertices=4))]}, False
    if kind == "too short ring":
        a, b = draw(st.tuples(unit, unit)), draw(st.tuples(unit, unit))
        return kind, {"type": "Polygon", "coordinates": [[a, b, a]]}, False
    # Two parts: side by side (valid) or on top of each other (overlapping parts: invalid).
    offset = draw(st.sampled_from([0.0, 1.0]))
    left = [(-1, -1), (-0.1 + offset, -1), (-0.1 + offset, 1), (-1, 1)]
    right = [(0.1, -1), (1, -1), (1, 1), (0.1, 1)]
    return (
        kind,
        {"type": "MultiPolygon", "coordinates": [[_close(left)], [_close(right)]]},
        False,
    )


def _place(geometry: dict, box, absolute, kind: str) -> dict:
    """Map unit coordinates into the zone's box (tiny shapes get a far smaller box)."""
    x0, y0, size = box
    if kind == "tiny":
        size = 1e-9
    if absolute is True:
        return geometry
    dx, dy = (absolute[1], absolute[2]) if isinstance(absolute, tuple) else (0, 0)

    def move(c):
        if isinstance(c[0], int | float):
            return [x0 + c[0] * size + dx, y0 + c[1] * size + dy, *c[2:]]
        return [move(p) for p in c]

    return {**geometry, "coordinates": move(geometry["coordinates"])}


def _project(geometry: dict) -> dict:
    def move(c):
        if isinstance(c[0], int | float):
            return [*TO_26191.transform(c[0], c[1]), *c[2:]]
        return [move(p) for p in c]

    return {**geometry, "coordinates": move(geometry["coordinates"])}


def _state(zone: Zone):
    zone.refresh_from_db()
    return (
        zone.revision,
        zone.geom.ewkb,
        Zone.objects.filter(version_id=zone.version_id).count(),
        PlanningEvent.objects.filter(version_id=zone.version_id).count(),
    )


def _check_one(target, kind: str, geometry: dict, crs: str):
    zone, client = target["zone"], target["client"]
    before = _state(zone)
    response = _patch(client, zone, geometry, crs)
    assert response.status_code < 500, (kind, response.content[:500])
    if response.status_code == 200:
        zone.refresh_from_db()
        stored = shapely.from_wkb(bytes(zone.geom.wkb))
        sent = GEOSGeometry(json.dumps(geometry))
        sent.srid = int(crs.split(":")[1])
        sent.transform(4326)
        sent = shapely.from_wkb(bytes(sent.wkb))
        assert stored.is_valid, (kind, shapely.is_valid_reason(stored))
        tolerance = 1e-12 if crs == "EPSG:4326" else 1e-7  # degrees; 1e-7 is about 1 cm
        assert stored.hausdorff_distance(sent) <= tolerance, (kind, geometry)
        assert abs(stored.area - sent.area) <= max(sent.area, 1e-20) * 1e-6, kind
        assert zone.revision == before[0] + 1
        return "accepted"
    assert 400 <= response.status_code < 500, (kind, response.status_code)
    assert _message(response.json()), (kind, response.content)
    assert _state(zone) == before, (kind, "a refused edit wrote something")
    return response.content.decode()[:500]


def _message(body: dict) -> str:
    """The refusal's message: a service's {detail, code}, or DRF's {field: [messages]} (the
    field is then the code)."""
    if body.get("code") and body.get("detail"):
        return body["detail"]
    return " ".join(m for field in ("geometry", "crs") for m in body.get(field, []))


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shape=shapes(), projected=st.booleans())
def test_a_geometry_edit_is_stored_as_sent_or_refused_writing_nothing(target, shape, projected):
    kind, geometry, absolute = shape
    geometry = _place(geometry, target["box"], absolute, kind)
    crs = "EPSG:4326"
    if projected and absolute is False and kind not in ("3D", "unclosed ring"):
        geometry, crs = _project(geometry), "EPSG:26191"
    with transaction.atomic():
        outcome = _check_one(target, kind, geometry, crs)
        transaction.set_rollback(True)
    if kind in ("valid", "repeated points") and crs == "EPSG:4326":
        assert outcome == "accepted", (kind, geometry, outcome)
    if kind in ("bow-tie", "empty", "huge coordinates", "out of range", "3D", "too many vertices"):
        assert outcome != "accepted", (kind, geometry)


@pytest.mark.parametrize("kind", ["Polygon", "MultiPolygon"])
def test_a_ring_of_fewer_than_four_positions_is_refused_writing_nothing(target, kind):
    # Found by this module's property test in CI: GDAL reads such a ring, PostGIS refuses to.
    x, y, _ = target["box"]
    ring = [[x, y], [x + 1e-4, y], [x, y]]
    coordinates = [ring] if kind == "Polygon" else [[ring]]
    with transaction.atomic():
        outcome = _check_one(target, kind, {"type": kind, "coordinates": coordinates}, "EPSG:4326")
        transaction.set_rollback(True)
    assert outcome != "accepted"
