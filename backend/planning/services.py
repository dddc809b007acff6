"""Writes on planning documents and versions: each one validates, locks, records an event."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction

from accounts.models import User
from common.db import db_now
from common.errors import Invalid, Refused

from .models import (
    DOCUMENT_TRANSITIONS,
    VERSION_TRANSITIONS,
    DocumentStatus,
    PlanningDocument,
    PlanningEvent,
    PlanVersion,
    VersionStage,
    Zone,
)
from .validation import validate_zone

ERR_DOCUMENT_TRANSITION = "A document in status {current} ({label}) cannot move to status {target}."
ERR_VERSION_TRANSITION = "A version at stage '{current}' cannot move to stage '{target}'."
ERR_FROZEN = (
    "Version {number} of {document} is frozen since {since:%Y-%m-%d %H:%M} (submitted to inquiry "
    "or approved): clone it into a new draft to make changes."
)
ERR_NOT_YOUR_AGENCY = "Only planners of {agency} may change documents of that agency."


def _event(
    *,
    document: PlanningDocument,
    version: PlanVersion | None,
    actor: User | None,
    action: str,
    payload: dict[str, Any],
) -> PlanningEvent:
    return PlanningEvent.objects.create(
        document=document, version=version, actor=actor, action=action, payload=payload
    )


def _check_agency(*, document: PlanningDocument, by: User | None) -> None:
    # `by=None` is the system itself (fixtures, periodic commands).
    if by is None or by.is_superuser:
        return
    if by.agency_id != document.agency_id:
        raise Refused(
            ERR_NOT_YOUR_AGENCY.format(agency=document.agency), code="forbidden", status=403
        )


def _check_not_frozen(version: PlanVersion) -> None:
    if version.frozen_at is not None:
        raise Refused(
            ERR_FROZEN.format(
                number=version.number, document=version.document.code, since=version.frozen_at
            ),
            code="version_frozen",
            status=409,
        )


@transaction.atomic
def document_set_status(*, document: PlanningDocument, status: str, by: User | None) -> None:
    """Move a document along its status lifecycle (CNIG-like codes)."""
    document = PlanningDocument.objects.select_for_update().get(pk=document.pk)
    _check_agency(document=document, by=by)
    if status not in DOCUMENT_TRANSITIONS[document.status]:
        raise Refused(
            ERR_DOCUMENT_TRANSITION.format(
                current=document.status, label=document.get_status_display(), target=status
            ),
            code="invalid_transition",
            status=409,
        )
    previous = document.status
    document.status = status
    document.save(update_fields=["status"])
    _event(
        document=document,
        version=None,
        actor=by,
        action="document_status",
        payload={"from": previous, "to": status},
    )


def _next_number(document: PlanningDocument) -> int:
    # Called with the document row locked, so two new versions never get the same number.
    last = document.versions.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def version_create(*, document: PlanningDocument, label: str, by: User | None) -> PlanVersion:
    """Create an empty study version of a document."""
    document = PlanningDocument.objects.select_for_update().get(pk=document.pk)
    _check_agency(document=document, by=by)
    number = _next_number(document)
    version = PlanVersion.objects.create(document=document, number=number, label=label)
    _event(
        document=document,
        version=version,
        actor=by,
        action="version_create",
        payload={"number": number, "label": label},
    )
    return version


@transaction.atomic
def version_clone(*, version: PlanVersion, label: str, by: User | None) -> PlanVersion:
    """Copy a version (zones, prescriptions, articles) into a new study version."""
    document = PlanningDocument.objects.select_for_update().get(pk=version.document_id)
    _check_agency(document=document, by=by)
    number = _next_number(document)
    clone = PlanVersion.objects.create(
        document=document, number=number, label=label, parent=version
    )
    # One INSERT ... SELECT per table: a 200,000-zone plan clones in seconds, not minutes.
    copies = {
        "planning_zone": "key, code, label_fr, label_ar, family, max_height_m, max_levels, "
        "ground_coverage_max, floor_area_ratio_max, min_lot_area_m2, setback_road_m, "
        "setback_neighbour_m, allowed_uses, prohibited_uses, geom",
        "planning_prescription": "key, kind, label_fr, label_ar, equipment_type, width_m, "
        "expires_on, geom",
        "planning_regulationarticle": "zone_code, number, position, title_fr, title_ar, body_fr, "
        "body_ar",
    }
    with connection.cursor() as cursor:
        for table, columns in copies.items():
            cursor.execute(
                f"INSERT INTO {table} (version_id, {columns}) "  # noqa: S608 - constant names
                f"SELECT %s, {columns} FROM {table} WHERE version_id = %s",
                [clone.pk, version.pk],
            )
        # Fresh statistics, or the next report's joins are planned for an empty version.
        cursor.execute("ANALYZE planning_zone")
    _event(
        document=document,
        version=clone,
        actor=by,
        action="version_clone",
        payload={"from_version": version.number, "number": number, "label": label},
    )
    return clone


def _move_version(version: PlanVersion, target: str) -> str:
    if target not in VERSION_TRANSITIONS[version.stage]:
        raise Refused(
            ERR_VERSION_TRANSITION.format(current=version.stage, target=target),
            code="invalid_transition",
            status=409,
        )
    previous = version.stage
    version.stage = target
    return previous


@transaction.atomic
def version_submit_to_inquiry(*, version: PlanVersion, by: User | None) -> PlanVersion:
    """Freeze a study version as the version under public inquiry: read-only from now on."""
    version = PlanVersion.objects.select_for_update().select_related("document").get(pk=version.pk)
    _check_agency(document=version.document, by=by)
    previous = _move_version(version, VersionStage.INQUIRY)
    version.frozen_at = db_now()
    version.save(update_fields=["stage", "frozen_at"])
    if version.document.status == DocumentStatus.IN_PROGRESS:
        version.document.status = DocumentStatus.DECIDED
        version.document.save(update_fields=["status"])
    _event(
        document=version.document,
        version=version,
        actor=by,
        action="version_stage",
        payload={"from": previous, "to": version.stage},
    )
    return version


@transaction.atomic
def version_approve(
    *, version: PlanVersion, decree_reference: str, bulletin_officiel_date: date, by: User | None
) -> PlanVersion:
    """Approve a version (decree, Bulletin Officiel): it becomes the plan in force."""
    version = PlanVersion.objects.select_for_update().select_related("document").get(pk=version.pk)
    document = PlanningDocument.objects.select_for_update().get(pk=version.document_id)
    _check_agency(document=document, by=by)
    previous = _move_version(version, VersionStage.APPROVED)
    version.frozen_at = version.frozen_at or db_now()
    version.save(update_fields=["stage", "frozen_at"])
    superseded = list(
        document.versions.select_for_update()
        .filter(stage=VersionStage.APPROVED)
        .exclude(pk=version.pk)
        .values_list("number", flat=True)
    )
    document.versions.filter(number__in=superseded).update(stage=VersionStage.SUPERSEDED)
    document.status = DocumentStatus.IN_FORCE
    document.decree_reference = decree_reference
    document.bulletin_officiel_date = bulletin_officiel_date
    document.approved_on = db_now().date()
    document.save(
        update_fields=["status", "decree_reference", "bulletin_officiel_date", "approved_on"]
    )
    _event(
        document=document,
        version=version,
        actor=by,
        action="version_stage",
        payload={
            "from": previous,
            "to": version.stage,
            "superseded": superseded,
            "decree_reference": decree_reference,
            "bulletin_officiel_date": bulletin_officiel_date.isoformat(),
        },
    )
    return version


ZONE_FIELDS = {f.name for f in Zone._meta.concrete_fields} - {
    "id",
    "version",
    "geom_3857",
    "revision",
}
ERR_INVALID_ZONE = "The zone was not saved: {count} problem(s) to fix."
ERR_STALE = (
    "Zone {key} was changed by someone else since you loaded it (your revision {yours}, "
    "current {current}): reload it and apply your change again."
)
ERR_NO_SUCH_EVENT = "Event {event} is not in the history of zone {key}."


def _repair(geom):
    """ST_MakeValid, only when the planner asked for it; keeps the polygonal part."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract("
            "ST_MakeValid(ST_GeomFromEWKB(%s)), 3)))",
            [bytes(geom.ewkb)],
        )
        # GEOS reads EWKB from a memoryview; from bytes it would expect WKT text.
        return GEOSGeometry(memoryview(bytes(cursor.fetchone()[0])))


def _validated(
    values: dict[str, Any],
    *,
    version: PlanVersion,
    exclude_id: int | None,
    repair: bool,
    geometry: bool = True,
) -> dict[str, Any]:
    if repair:
        values["geom"] = _repair(values["geom"])
    if values["geom"].geom_type == "Polygon":
        values["geom"] = MultiPolygon(values["geom"], srid=values["geom"].srid)
    problems = validate_zone(
        values, version=version, exclude_id=exclude_id, geometry=geometry or repair
    )
    if problems:
        raise Invalid(
            ERR_INVALID_ZONE.format(count=len(problems)), problems=[p.as_dict() for p in problems]
        )
    return values


def _snapshot(zone: Zone) -> dict[str, Any]:
    return {name: _jsonable(getattr(zone, name)) for name in sorted(ZONE_FIELDS)}


@transaction.atomic
def zone_create(
    *, version: PlanVersion, values: dict[str, Any], by: User | None, repair: bool = False
) -> Zone:
    """Add a validated zone to a draft version."""
    version = PlanVersion.objects.select_for_update().select_related("document").get(pk=version.pk)
    _check_agency(document=version.document, by=by)
    _check_not_frozen(version)
    values = _validated(dict(values), version=version, exclude_id=None, repair=repair)
    values.setdefault("key", f"Z-{uuid.uuid4().hex[:12]}")
    zone = Zone(version=version, **values)
    zone.full_clean(exclude=["version", "geom_3857"])
    zone.save()
    _event(
        document=version.document,
        version=version,
        actor=by,
        action="zone_create",
        payload={"zone": zone.pk, "key": zone.key, "before": None, "after": _snapshot(zone)},
    )
    return zone


@transaction.atomic
def zone_update(
    *,
    zone: Zone,
    changes: dict[str, Any],
    by: User | None,
    if_revision: int | None = None,
    repair: bool = False,
) -> Zone:
    """Change a zone of a draft version; the event keeps the values before and after."""
    # The row lock serialises two planners; the revision check refuses the later, stale one.
    zone = Zone.objects.select_for_update().select_related("version__document").get(pk=zone.pk)
    _check_agency(document=zone.version.document, by=by)
    _check_not_frozen(zone.version)
    if if_revision is not None and if_revision != zone.revision:
        raise Stale(
            ERR_STALE.format(key=zone.key, yours=if_revision, current=zone.revision), current=zone
        )
    unknown = set(changes) - ZONE_FIELDS
    if unknown:
        raise Refused(f"Unknown zone fields: {', '.join(sorted(unknown))}.", code="unknown_field")
    before = _snapshot(zone)
    values = {name: getattr(zone, name) for name in ZONE_FIELDS} | changes
    values = _validated(
        values,
        version=zone.version,
        exclude_id=zone.pk,
        repair=repair,
        geometry="geom" in changes,
    )
    for name in ZONE_FIELDS:
        setattr(zone, name, values[name])
    zone.revision += 1
    zone.full_clean(exclude=["version", "geom_3857"])
    zone.save()
    after = _snapshot(zone)
    _event(
        document=zone.version.document,
        version=zone.version,
        actor=by,
        action="zone_update",
        payload={
            "zone": zone.pk,
            "key": zone.key,
            "revision": zone.revision,
            "before": {k: v for k, v in before.items() if v != after[k]},
            "after": {k: v for k, v in after.items() if v != before[k]},
        },
    )
    return zone


@transaction.atomic
def zone_delete(*, zone: Zone, by: User | None, if_revision: int | None = None) -> None:
    """Remove a zone from a draft version; its last state stays in the history."""
    zone = Zone.objects.select_for_update().select_related("version__document").get(pk=zone.pk)
    _check_agency(document=zone.version.document, by=by)
    _check_not_frozen(zone.version)
    if if_revision is not None and if_revision != zone.revision:
        raise Stale(
            ERR_STALE.format(key=zone.key, yours=if_revision, current=zone.revision), current=zone
        )
    _event(
        document=zone.version.document,
        version=zone.version,
        actor=by,
        action="zone_delete",
        payload={"zone": zone.pk, "key": zone.key, "before": _snapshot(zone), "after": None},
    )
    zone.delete()


def zone_history(*, zone: Zone) -> list[PlanningEvent]:
    """The events of a zone (by its key within its version), newest first."""
    return list(
        PlanningEvent.objects.filter(
            version_id=zone.version_id, payload__key=zone.key
        ).select_related("actor")
    )


@transaction.atomic
def zone_restore(*, zone: Zone, event: PlanningEvent, by: User | None) -> Zone:
    """Bring a zone back to the state it had just before (`before`) an event of its history."""
    if event.version_id != zone.version_id or event.payload.get("key") != zone.key:
        raise Refused(
            ERR_NO_SUCH_EVENT.format(event=event.pk, key=zone.key), code="not_found", status=404
        )
    state = event.payload.get("before") or {}
    changes = {
        k: (GEOSGeometry(json.dumps(v), srid=4326) if k == "geom" else v)
        for k, v in state.items()
        if k in ZONE_FIELDS and k != "key"
    }
    return zone_update(zone=zone, changes=changes, by=by)


class Stale(Refused):
    """A write based on an old revision: 412 with the current state."""

    def __init__(self, message: str, *, current: Zone) -> None:
        super().__init__(message, code="stale", status=412)
        self.current = current


def _jsonable(value: Any) -> Any:
    if hasattr(value, "geojson"):
        return json.loads(value.geojson)
    return value
