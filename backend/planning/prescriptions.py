"""Writes on prescriptions (reservations, easements, no-build areas) of a draft version.

Same shape as the zone services: lock, check the agency and the version, validate with located
problems, write, record a PlanningEvent with the state before and after.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction

from accounts.models import User
from common.errors import Invalid, Refused

from .models import PlanningEvent, PlanVersion, Prescription, PrescriptionKind
from .services import _check_agency, _check_not_frozen, _event, _jsonable
from .validation import MSG_EMPTY, MSG_INVALID, MSG_OUTSIDE, Problem

PRESCRIPTION_FIELDS = {f.name for f in Prescription._meta.concrete_fields} - {
    "id",
    "version",
    "geom_3857",
    "revision",
}
ERR_INVALID = "The prescription was not saved: {count} problem(s) to fix."
ERR_STALE = (
    "Prescription {key} was changed by someone else since you loaded it (your revision {yours}, "
    "current {current}): reload it and apply your change again."
)
ERR_NO_SUCH_EVENT = "Event {event} is not in the history of prescription {key}."
ERR_UNKNOWN_FIELDS = "Unknown prescription fields: {names}."
MSG_KIND = "Kind {kind!r} is not one of: {known}."
MSG_OUTSIDE_ANY = "Part of the prescription lies outside the plan perimeter."


class PrescriptionStale(Refused):
    """A write based on an old revision: 412 with the current prescription."""

    def __init__(self, message: str, *, current: Prescription) -> None:
        super().__init__(message, code="stale", status=412)
        self.prescription = current


def _check(values: dict[str, Any], *, version: PlanVersion) -> list[Problem]:
    """Kind from the list; a valid, non-empty geometry inside the plan perimeter."""
    problems = []
    if values.get("kind") not in PrescriptionKind.values:
        known = ", ".join(PrescriptionKind.values)
        problems.append(
            Problem("unknown_kind", MSG_KIND.format(kind=values.get("kind"), known=known), "kind")
        )
    geom = values["geom"]
    if geom.empty:
        return [*problems, Problem("geometry_empty", MSG_EMPTY)]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH g AS (SELECT ST_GeomFromEWKB(%(g)s) AS geom),
                 d AS (SELECT perimeter FROM planning_planningdocument WHERE id = %(doc)s)
            SELECT v.valid, v.reason, ST_AsGeoJSON(v.location),
                   CASE WHEN v.valid THEN ST_Within(g.geom, d.perimeter) END,
                   CASE WHEN v.valid THEN ST_Area(ST_Difference(g.geom, d.perimeter)::geography)
                   END,
                   CASE WHEN v.valid THEN
                     ST_AsGeoJSON(ST_PointOnSurface(ST_Difference(g.geom, d.perimeter))) END
            FROM g, d, ST_IsValidDetail(g.geom) v
            """,
            {"g": bytes(geom.ewkb), "doc": version.document_id},
        )
        valid, reason, where, inside, outside_area, outside_at = cursor.fetchone()
    if not valid:
        location = json.loads(where) if where else None
        problems.append(
            Problem("geometry_invalid", MSG_INVALID.format(reason=reason), location=location)
        )
    elif not inside:
        message = MSG_OUTSIDE.format(area=outside_area) if outside_area else MSG_OUTSIDE_ANY
        location = json.loads(outside_at) if outside_at else None
        problems.append(Problem("outside_perimeter", message, location=location))
    return problems


def _validated(values: dict[str, Any], *, version: PlanVersion) -> dict[str, Any]:
    problems = _check(values, version=version)
    if problems:
        raise Invalid(
            ERR_INVALID.format(count=len(problems)), problems=[p.as_dict() for p in problems]
        )
    return values


def _snapshot(item: Prescription) -> dict[str, Any]:
    value = {name: _jsonable(getattr(item, name)) for name in sorted(PRESCRIPTION_FIELDS)}
    if value.get("expires_on") is not None:
        value["expires_on"] = str(value["expires_on"])
    return value


@transaction.atomic
def prescription_create(
    *, version: PlanVersion, values: dict[str, Any], by: User | None
) -> Prescription:
    """Add a validated prescription to a draft version."""
    version = PlanVersion.objects.select_for_update().select_related("document").get(pk=version.pk)
    _check_agency(document=version.document, by=by)
    _check_not_frozen(version)
    values = _validated(dict(values), version=version)
    values.setdefault("key", f"P-{uuid.uuid4().hex[:12]}")
    item = Prescription(version=version, **values)
    item.full_clean(exclude=["version", "geom_3857"])
    item.save()
    _event(
        document=version.document,
        version=version,
        actor=by,
        action="prescription_create",
        payload=_payload(item, None, _snapshot(item)),
    )
    return item


def _payload(item: Prescription, before: dict | None, after: dict | None) -> dict[str, Any]:
    # `prescription_key`, not `key`: the zones' history is looked up by `key`.
    return {
        "prescription": item.pk,
        "prescription_key": item.key,
        "revision": item.revision,
        "before": before,
        "after": after,
    }


def _locked(item: Prescription, *, by: User | None, if_revision: int | None) -> Prescription:
    # The row lock serialises two planners; the revision check refuses the later, stale one.
    item = (
        Prescription.objects.select_for_update().select_related("version__document").get(pk=item.pk)
    )
    _check_agency(document=item.version.document, by=by)
    _check_not_frozen(item.version)
    if if_revision is not None and if_revision != item.revision:
        raise PrescriptionStale(
            ERR_STALE.format(key=item.key, yours=if_revision, current=item.revision), current=item
        )
    return item


@transaction.atomic
def prescription_update(
    *,
    prescription: Prescription,
    changes: dict[str, Any],
    by: User | None,
    if_revision: int | None = None,
) -> Prescription:
    """Change a prescription of a draft version; the event keeps the values before and after."""
    item = _locked(prescription, by=by, if_revision=if_revision)
    unknown = set(changes) - PRESCRIPTION_FIELDS
    if unknown:
        raise Refused(
            ERR_UNKNOWN_FIELDS.format(names=", ".join(sorted(unknown))), code="unknown_field"
        )
    before = _snapshot(item)
    values = {name: getattr(item, name) for name in PRESCRIPTION_FIELDS} | changes
    values = _validated(values, version=item.version)
    for name in PRESCRIPTION_FIELDS:
        setattr(item, name, values[name])
    item.revision += 1
    item.full_clean(exclude=["version", "geom_3857"])
    item.save()
    after = _snapshot(item)
    _event(
        document=item.version.document,
        version=item.version,
        actor=by,
        action="prescription_update",
        payload=_payload(
            item,
            {k: v for k, v in before.items() if v != after[k]},
            {k: v for k, v in after.items() if v != before[k]},
        ),
    )
    return item


@transaction.atomic
def prescription_delete(
    *, prescription: Prescription, by: User | None, if_revision: int | None = None
) -> None:
    """Remove a prescription from a draft version; its last state stays in the history."""
    item = _locked(prescription, by=by, if_revision=if_revision)
    _event(
        document=item.version.document,
        version=item.version,
        actor=by,
        action="prescription_delete",
        payload=_payload(item, _snapshot(item), None),
    )
    item.delete()


def prescription_history(*, prescription: Prescription) -> list[PlanningEvent]:
    """The events of a prescription (by its key within its version), newest first."""
    return list(
        PlanningEvent.objects.filter(
            version_id=prescription.version_id, payload__prescription_key=prescription.key
        ).select_related("actor")
    )


@transaction.atomic
def prescription_restore(
    *, prescription: Prescription, event: PlanningEvent, by: User | None
) -> Prescription:
    """Bring a prescription back to the state it had just before an event of its history."""
    payload = event.payload
    if (
        event.version_id != prescription.version_id
        or payload.get("prescription_key") != prescription.key
    ):
        raise Refused(
            ERR_NO_SUCH_EVENT.format(event=event.pk, key=prescription.key),
            code="not_found",
            status=404,
        )
    state = payload.get("before") or {}
    changes = {
        k: (GEOSGeometry(json.dumps(v), srid=4326) if k == "geom" else v)
        for k, v in state.items()
        if k in PRESCRIPTION_FIELDS and k != "key"
    }
    return prescription_update(prescription=prescription, changes=changes, by=by)
