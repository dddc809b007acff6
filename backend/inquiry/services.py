"""Writes on inquiries and their register: each one validates, locks, writes, records an event."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import uuid
import weakref
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import get_valid_filename

from accounts.models import User
from common.audit import audit
from common.errors import Refused
from planning import services as planning_services
from planning.models import PlanVersion, VersionStage

from .conf import limit
from .models import (
    INQUIRY_TRANSITIONS,
    Attachment,
    Channel,
    Inquiry,
    InquiryEvent,
    InquiryStatus,
    Observation,
    ObservationEvent,
    PendingObservation,
    Regime,
    Theme,
)

log = logging.getLogger(__name__)

ERR_TRANSITION = "An inquiry in status '{current}' cannot move to '{target}' (allowed: {allowed})."
ERR_NO_REGIME = "Choose the inquiry's regime (notice period, durations) before scheduling it."
ERR_DATES = "The inquiry must close after it opens."
ERR_NOTICE = (
    "Under the regime '{regime}' the inquiry must be announced {days} days before it opens: "
    "open it on {earliest} or later."
)
ERR_MIN_DURATION = (
    "Under the regime '{regime}' the inquiry lasts at least {days} days: "
    "close it on {earliest} or later."
)
ERR_MAX_DURATION = (
    "Under the regime '{regime}' the inquiry lasts at most {days} days: "
    "close it on {latest} or earlier."
)
ERR_VERSION_STAGE = (
    "Version {number} is at stage '{stage}': only a study version (frozen on scheduling) or a "
    "version already submitted to inquiry can go to public inquiry."
)
ERR_NOT_YET_OPEN = "The inquiry opens on {opens_at} (Casablanca time): it cannot open before."
ERR_NOT_YET_CLOSED = "The inquiry closes on {closes_at} (Casablanca time): it cannot close before."
ERR_NO_EXTENSION = "The regime '{regime}' allows no extension of the inquiry."
ERR_EXTENSION_TOO_LONG = (
    "The regime '{regime}' allows at most {days} days of extension: "
    "close on {latest} at the latest."
)
ERR_EXTENSION_NOT_LATER = "An extension must move the closing later than {closes_at}."
ERR_EXTENSION_ENDED = "The inquiry closed on {closes_at}: it can no longer be extended."
ERR_REASON_REQUIRED = "Give the reason."

ERR_NOT_OPEN_YET = (
    "The register is not open yet: the inquiry opens on {opens_at} (Casablanca time). "
    "Come back then to submit your observation."
)
ERR_CLOSED = (
    "The register closed on {closes_at} (Casablanca time): observations are no longer accepted."
)
ERR_NOT_RECEIVING = "The inquiry is '{status}': its register does not accept observations."
ERR_TRANSCRIBE_WINDOW = (
    "Paper and email observations can be transcribed once the inquiry has opened and until its "
    "synthesis starts."
)
ERR_HONEYPOT = "Your submission was refused as automated. If you are a person, reload the page."
ERR_THEME = "Unknown theme {theme!r}: choose one of {choices}."
ERR_BODY_EMPTY = "Write your observation: the text is empty."
ERR_BODY_TOO_LONG = "Your observation is {length} characters long; the limit is {limit}."
ERR_NAME = "Give your name: it stays private unless you choose named publication."
ERR_EMAIL = "Give a valid email address: the receipt is sent there; it is never published."
ERR_CONSENT = (
    "Tick the consent to publication: observations of the digital register are public "
    "(anonymously if you prefer). To stay unpublished, write to the commission by letter."
)
ERR_GEOM_TYPE = "Draw a point, a line or a polygon (got a {kind})."
ERR_GEOM_VERTICES = "The drawing has {count} vertices; the limit is {limit}: simplify it."
ERR_GEOM_INVALID = "The drawing is not a valid geometry ({reason}): redraw it."
ERR_GEOM_OUTSIDE = (
    "The drawing lies outside the perimeter of the plan under inquiry: place it on the plan."
)
ERR_TOO_MANY_FILES = "At most {limit} attachments per observation."
ERR_FILE_TOO_BIG = "The file {name!r} is {size} MB; the limit is {limit} MB per file."
ERR_FILE_TYPE = "The file {name!r} is not a PDF, JPEG or PNG (judged by its content)."
ERR_FILE_EMPTY = "The file {name!r} is empty."
ERR_RATE_IP = (
    "Too many observations from your connection in the last hour (limit {limit}). "
    "Try again later, or write to the commission."
)
ERR_RATE_EMAIL = "Too many observations from {email} in the last hour (limit {limit}). Try later."
ERR_DUPLICATE = "This observation is already in the register under n° {number}."
ERR_CORRECTS_OTHER = "A correction must refer to an entry of the same inquiry's register."
ERR_ALREADY_HIDDEN = "Entry n° {number} is already hidden."
ERR_NOT_HIDDEN = "Entry n° {number} is not hidden."
ERR_ANSWER_EMPTY = "Write the answer: it is empty."
ERR_ASSIGNEE = "Observations can be assigned only to commission members or moderators."
ERR_CONFIRM_UNKNOWN = (
    "This confirmation link is unknown: it may have expired and been erased. Submit again."
)
ERR_CONFIRM_EXPIRED = "This confirmation link has expired: submit your observation again."
ERR_TAG = "Tags are short words (letters, digits, '-' or '_', at most 40 characters): {tag!r}."

# File types accepted as attachments, recognised by their first bytes, never by their name.
MAGIC = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
]
TAG_RE = re.compile(r"^[\w-]{1,40}$")
MB = 1024 * 1024


def wall_clock(moment: datetime) -> str:
    """A moment as people in Casablanca read it."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _clock() -> datetime:
    """The database clock now (clock_timestamp, not the transaction's start, which may be old)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def _locked(inquiry: Inquiry) -> Inquiry:
    return (
        Inquiry.objects.select_for_update(of=("self",))
        .select_related("regime", "version")
        .get(pk=inquiry.pk)
    )


def _move(inquiry: Inquiry, target: str) -> str:
    allowed = INQUIRY_TRANSITIONS[inquiry.status]
    if target not in allowed:
        raise Refused(
            ERR_TRANSITION.format(
                current=inquiry.status, target=target, allowed=", ".join(sorted(allowed)) or "none"
            ),
            code="invalid_transition",
            status=409,
        )
    previous = inquiry.status
    inquiry.status = target
    return previous


def _event(
    inquiry: Inquiry, previous: str, *, by: User | None, payload: dict[str, Any] | None = None
) -> InquiryEvent:
    return InquiryEvent.objects.create(
        inquiry=inquiry,
        actor=by,
        from_status=previous,
        to_status=inquiry.status,
        payload=payload or {},
    )


@transaction.atomic
def inquiry_create(
    *,
    version: PlanVersion,
    regime: Regime,
    title_fr: str,
    title_ar: str,
    opens_at: datetime,
    closes_at: datetime,
    by: User | None,
) -> Inquiry:
    """Create a draft inquiry on a plan version."""
    if closes_at <= opens_at:
        raise Refused(ERR_DATES, code="invalid_dates")
    inquiry = Inquiry.objects.create(
        version=version,
        regime=regime,
        title_fr=title_fr,
        title_ar=title_ar,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    _event(inquiry, "", by=by)
    return inquiry


def _check_regime(inquiry: Inquiry, *, now: datetime) -> None:
    regime = inquiry.regime
    if regime is None:
        raise Refused(ERR_NO_REGIME, code="no_regime")
    if inquiry.closes_at <= inquiry.opens_at:
        raise Refused(ERR_DATES, code="invalid_dates")
    earliest = now + timedelta(days=regime.notice_days)
    if inquiry.opens_at < earliest:
        raise Refused(
            ERR_NOTICE.format(
                regime=regime, days=regime.notice_days, earliest=wall_clock(earliest)
            ),
            code="notice_period",
        )
    duration = inquiry.closes_at - inquiry.opens_at
    if duration < timedelta(days=regime.min_duration_days):
        earliest = inquiry.opens_at + timedelta(days=regime.min_duration_days)
        raise Refused(
            ERR_MIN_DURATION.format(
                regime=regime, days=regime.min_duration_days, earliest=wall_clock(earliest)
            ),
            code="too_short",
        )
    if regime.max_duration_days is not None and duration > timedelta(days=regime.max_duration_days):
        latest = inquiry.opens_at + timedelta(days=regime.max_duration_days)
        raise Refused(
            ERR_MAX_DURATION.format(
                regime=regime, days=regime.max_duration_days, latest=wall_clock(latest)
            ),
            code="too_long",
        )


@transaction.atomic
def inquiry_schedule(
    *,
    inquiry: Inquiry,
    by: User | None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    places: list[dict[str, str]] | None = None,
    order_reference: str = "",
    commission: list[User] | None = None,
) -> Inquiry:
    """The opening order: dates, places and commission; the plan version is frozen from now on."""
    inquiry = _locked(inquiry)
    previous = _move(inquiry, InquiryStatus.SCHEDULED)
    inquiry.opens_at = opens_at or inquiry.opens_at
    inquiry.closes_at = closes_at or inquiry.closes_at
    _check_regime(inquiry, now=_clock())
    version = inquiry.version
    if version.stage == VersionStage.STUDY:
        version = planning_services.version_submit_to_inquiry(version=version, by=by)
        inquiry.version = version
    elif version.stage != VersionStage.INQUIRY:
        raise Refused(
            ERR_VERSION_STAGE.format(number=version.number, stage=version.stage),
            code="version_stage",
            status=409,
        )
    inquiry.scheduled_closes_at = inquiry.closes_at
    inquiry.places = places if places is not None else inquiry.places
    inquiry.order_reference = order_reference or inquiry.order_reference
    inquiry.save(
        update_fields=[
            "status",
            "opens_at",
            "closes_at",
            "scheduled_closes_at",
            "places",
            "order_reference",
        ]
    )
    if commission is not None:
        inquiry.commission.set(commission)
    _event(
        inquiry,
        previous,
        by=by,
        payload={
            "opens_at": inquiry.opens_at.isoformat(),
            "closes_at": inquiry.closes_at.isoformat(),
            "version": version.pk,
            "order_reference": inquiry.order_reference,
        },
    )
    return inquiry


@transaction.atomic
def inquiry_open(*, inquiry: Inquiry, by: User | None) -> Inquiry:
    """Open the register, not before the scheduled instant (database clock)."""
    inquiry = _locked(inquiry)
    previous = _move(inquiry, InquiryStatus.OPEN)
    now = _clock()
    if now < inquiry.opens_at:
        raise Refused(
            ERR_NOT_YET_OPEN.format(opens_at=wall_clock(inquiry.opens_at)),
            code="not_yet_open",
            status=409,
        )
    inquiry.save(update_fields=["status"])
    _event(inquiry, previous, by=by, payload={"at": now.isoformat()})
    return inquiry


@transaction.atomic
def inquiry_close(*, inquiry: Inquiry, by: User | None) -> Inquiry:
    """Close the register, not before the scheduled instant (database clock)."""
    # The lock waits for submissions in flight (they hold it) and makes later ones see 'closed'.
    inquiry = _locked(inquiry)
    previous = _move(inquiry, InquiryStatus.CLOSED)
    now = _clock()
    if now < inquiry.closes_at:
        raise Refused(
            ERR_NOT_YET_CLOSED.format(closes_at=wall_clock(inquiry.closes_at)),
            code="not_yet_closed",
            status=409,
        )
    inquiry.save(update_fields=["status"])
    count = Observation.objects.filter(inquiry=inquiry).aggregate(n=Max("register_number"))["n"]
    _event(inquiry, previous, by=by, payload={"at": now.isoformat(), "register_size": count or 0})
    return inquiry


@transaction.atomic
def inquiry_extend(
    *, inquiry: Inquiry, closes_at: datetime, reason: str, by: User | None
) -> Inquiry:
    """Move the closing later, within the regime's extension limit."""
    inquiry = _locked(inquiry)
    if inquiry.status not in (InquiryStatus.SCHEDULED, InquiryStatus.OPEN):
        raise Refused(
            ERR_NOT_RECEIVING.format(status=inquiry.status), code="invalid_transition", status=409
        )
    if not reason.strip():
        raise Refused(ERR_REASON_REQUIRED, code="reason_required")
    regime = inquiry.regime
    now = _clock()
    if now >= inquiry.closes_at:
        raise Refused(
            ERR_EXTENSION_ENDED.format(closes_at=wall_clock(inquiry.closes_at)),
            code="closed",
            status=409,
        )
    if closes_at <= inquiry.closes_at:
        raise Refused(
            ERR_EXTENSION_NOT_LATER.format(closes_at=wall_clock(inquiry.closes_at)),
            code="not_later",
        )
    if regime is None or regime.max_extension_days == 0:
        raise Refused(ERR_NO_EXTENSION.format(regime=regime), code="no_extension", status=409)
    base = inquiry.scheduled_closes_at or inquiry.closes_at
    latest = base + timedelta(days=regime.max_extension_days)
    if closes_at > latest:
        raise Refused(
            ERR_EXTENSION_TOO_LONG.format(
                regime=regime, days=regime.max_extension_days, latest=wall_clock(latest)
            ),
            code="extension_too_long",
        )
    before = inquiry.closes_at
    inquiry.closes_at = closes_at
    inquiry.save(update_fields=["closes_at"])
    _event(
        inquiry,
        inquiry.status,
        by=by,
        payload={
            "extension": {"from": before.isoformat(), "to": closes_at.isoformat()},
            "reason": reason,
        },
    )
    return inquiry


@transaction.atomic
def inquiry_start_synthesis(*, inquiry: Inquiry, by: User | None) -> Inquiry:
    """The register is closed; the commission writes its synthesis."""
    inquiry = _locked(inquiry)
    previous = _move(inquiry, InquiryStatus.SYNTHESIS)
    inquiry.save(update_fields=["status"])
    _event(inquiry, previous, by=by)
    return inquiry


@transaction.atomic
def inquiry_record_deliberation(
    *, inquiry: Inquiry, reference: str, deliberated_on: date, by: User | None
) -> Inquiry:
    """Record the commune council's deliberation on the plan."""
    inquiry = _locked(inquiry)
    previous = _move(inquiry, InquiryStatus.DELIBERATED)
    if not reference.strip():
        raise Refused(ERR_REASON_REQUIRED, code="reference_required")
    inquiry.deliberation_reference = reference
    inquiry.deliberation_date = deliberated_on
    inquiry.save(update_fields=["status", "deliberation_reference", "deliberation_date"])
    _event(
        inquiry,
        previous,
        by=by,
        payload={"reference": reference, "date": deliberated_on.isoformat()},
    )
    return inquiry


@transaction.atomic
def inquiry_approve(
    *, inquiry: Inquiry, decree_reference: str, bulletin_officiel_date: date, by: User | None
) -> Inquiry:
    """Approval by decree, published in the Bulletin Officiel: the version comes into force."""
    inquiry = _locked(inquiry)
    previous = _move(inquiry, InquiryStatus.APPROVED)
    if not decree_reference.strip():
        raise Refused(ERR_REASON_REQUIRED, code="reference_required")
    planning_services.version_approve(
        version=inquiry.version,
        decree_reference=decree_reference,
        bulletin_officiel_date=bulletin_officiel_date,
        by=by,
    )
    inquiry.decree_reference = decree_reference
    inquiry.bulletin_officiel_date = bulletin_officiel_date
    inquiry.save(update_fields=["status", "decree_reference", "bulletin_officiel_date"])
    _event(
        inquiry,
        previous,
        by=by,
        payload={
            "decree_reference": decree_reference,
            "bulletin_officiel_date": bulletin_officiel_date.isoformat(),
        },
    )
    return inquiry


@transaction.atomic
def inquiry_abandon(*, inquiry: Inquiry, reason: str, by: User | None) -> Inquiry:
    """Abandon the procedure; its register stays as it is."""
    inquiry = _locked(inquiry)
    previous = _move(inquiry, InquiryStatus.ABANDONED)
    if not reason.strip():
        raise Refused(ERR_REASON_REQUIRED, code="reason_required")
    inquiry.closing_note = reason
    inquiry.save(update_fields=["status", "closing_note"])
    _event(inquiry, previous, by=by, payload={"reason": reason})
    return inquiry


def inquiry_tick() -> dict[str, int]:
    """Open and close what is due (the services are exact without it); erase stale held entries."""
    moved = {"opened": 0, "closed": 0, "purged": 0}
    due_open = Inquiry.objects.filter(
        status=InquiryStatus.SCHEDULED, opens_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    for pk in list(due_open):
        try:
            inquiry_open(inquiry=Inquiry(pk=pk), by=None)
            moved["opened"] += 1
        except Refused:
            pass  # the database clock disagrees with ours by a moment: next tick
    due_close = Inquiry.objects.filter(
        status=InquiryStatus.OPEN, closes_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    for pk in list(due_close):
        try:
            inquiry_close(inquiry=Inquiry(pk=pk), by=None)
            moved["closed"] += 1
        except Refused:
            pass
    moved["purged"] = pending_purge()
    return moved


# ---------------------------------------------------------------------------------------------
# The register


@dataclass(frozen=True)
class Upload:
    """A file sent with an observation."""

    name: str
    content: bytes
    is_scan: bool = False


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    sha256: str
    content: bytes
    is_scan: bool


def _check_files(uploads: list[Upload]) -> list[CheckedFile]:
    max_files = limit("EU_INQUIRY_MAX_ATTACHMENTS")
    max_bytes = limit("EU_INQUIRY_MAX_ATTACHMENT_BYTES")
    if len(uploads) > max_files:
        raise Refused(ERR_TOO_MANY_FILES.format(limit=max_files), code="too_many_files")
    checked = []
    for upload in uploads:
        shown = upload.name[:80]
        if not upload.content:
            raise Refused(ERR_FILE_EMPTY.format(name=shown), code="file_empty")
        if len(upload.content) > max_bytes:
            raise Refused(
                ERR_FILE_TOO_BIG.format(
                    name=shown, size=round(len(upload.content) / MB, 1), limit=max_bytes // MB
                ),
                code="file_too_big",
                status=413,
            )
        kind = next((m for m in MAGIC if upload.content.startswith(m[0])), None)
        if kind is None:
            raise Refused(ERR_FILE_TYPE.format(name=shown), code="file_type", status=415)
        _, content_type, extension = kind
        stem = get_valid_filename(upload.name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]) or "fichier"
        stem = stem.rsplit(".", 1)[0][:80] or "fichier"
        checked.append(
            CheckedFile(
                name=stem + extension,
                content_type=content_type,
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                content=upload.content,
                is_scan=upload.is_scan,
            )
        )
    return checked


def _check_geometry(geometry: GEOSGeometry | None, inquiry: Inquiry) -> GEOSGeometry | None:
    if geometry is None:
        return None
    if geometry.geom_type not in ("Point", "LineString", "Polygon"):
        raise Refused(ERR_GEOM_TYPE.format(kind=geometry.geom_type), code="geometry_type")
    max_vertices = limit("EU_INQUIRY_MAX_VERTICES")
    if geometry.num_coords > max_vertices:
        raise Refused(
            ERR_GEOM_VERTICES.format(count=geometry.num_coords, limit=max_vertices),
            code="geometry_vertices",
        )
    geometry = geometry.clone()
    if geometry.srid is None:
        geometry.srid = 4326
    if geometry.srid != 4326:
        geometry.transform(4326)
    if not geometry.valid:
        raise Refused(
            ERR_GEOM_INVALID.format(reason=geometry.valid_reason), code="geometry_invalid"
        )
    return geometry


def prepared_row(sql: str, params: Any) -> tuple:
    """The one row of a statement that runs on every submission, prepared on its connection.

    Django binds parameters in the client, so PostgreSQL plans each of its statements anew (the
    context query: 1.2 ms of planning for 1.4 ms of work) and files travel as hex text. These
    go through psycopg's server-side binding instead: planned once per pooled connection, bytes
    sent as binary. Errors are Django's, as with its own cursor.
    """
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    raw = connection.connection
    # One cursor per connection, kept: a statement on a new cursor took 143 µs against 99 µs
    # on a kept one (its adapters are set up once), and a submission runs four.
    cursor = _CURSORS.get(raw)
    if cursor is None or cursor.closed:
        cursor = _CURSORS[raw] = psycopg.Cursor(raw)
    with connection.wrap_database_errors:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchone()


_CURSORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


CONTEXT_SQL = """
WITH g AS (SELECT ST_GeomFromEWKB(%(geom)s) AS geom),
p AS (SELECT ST_PointOnSurface(geom) AS pt FROM g),
zone AS (SELECT z.id, z.code FROM planning_zone z, p
         WHERE z.version_id = %(version)s AND ST_Intersects(z.geom, p.pt) ORDER BY z.id LIMIT 1)
SELECT
  (SELECT ST_CoveredBy(g.geom, d.perimeter) FROM g, planning_planversion v
     JOIN planning_planningdocument d ON d.id = v.document_id WHERE v.id = %(version)s),
  (SELECT id FROM zone),
  (SELECT coalesce(jsonb_agg(jsonb_build_object('id', z.id, 'code', z.code,
                   'label_fr', z.label_fr) ORDER BY z.code, z.id), '[]')
     FROM (SELECT z.* FROM planning_zone z, g
           WHERE z.version_id = %(version)s AND ST_Intersects(z.geom, g.geom) LIMIT 50) z),
  (SELECT coalesce(jsonb_agg(jsonb_build_object('id', x.id, 'kind', x.kind,
                   'label_fr', x.label_fr) ORDER BY x.id), '[]')
     FROM (SELECT x.* FROM planning_prescription x, g
           WHERE x.version_id = %(version)s AND ST_Intersects(x.geom, g.geom) LIMIT 50) x),
  (SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'number', a.number,
                   'title_fr', a.title_fr) ORDER BY a.position), '[]')
     FROM planning_regulationarticle a, zone
     WHERE a.version_id = %(version)s AND a.zone_code = zone.code),
  (SELECT c.id FROM territory_commune c, p WHERE ST_Intersects(c.geom, p.pt) ORDER BY c.id LIMIT 1)
"""


def _context(
    geometry: GEOSGeometry | None, inquiry: Inquiry
) -> tuple[int | None, int | None, dict]:
    """Check a drawing lies on the plan; the zone, prescriptions, articles and commune under it."""
    if geometry is None:
        return None, None, {}
    inside, zone_id, zones, prescriptions, articles, commune_id = prepared_row(
        CONTEXT_SQL, {"geom": bytes(geometry.ewkb), "version": inquiry.version_id}
    )
    if not inside:
        raise Refused(ERR_GEOM_OUTSIDE, code="geometry_outside")

    def parsed(value):
        return json.loads(value) if isinstance(value, str) else value

    context = {
        "zones": parsed(zones),
        "prescriptions": parsed(prescriptions),
        "articles": parsed(articles),
    }
    return zone_id, commune_id, context


def _document(
    observation: Observation, files: list[dict[str, Any]], *, number: int, instant: str
) -> dict[str, Any]:
    return {
        "inquiry": observation.inquiry_id,
        "register_number": number,
        "submitted_at": instant,
        "channel": observation.channel,
        "theme": observation.theme,
        "body": observation.body,
        "geometry": observation.geom.hexewkb.decode() if observation.geom else None,
        "author": {
            "name": observation.author_name,
            "email": observation.author_email,
            "id_number": observation.author_id_number,
        },
        "publish_named": observation.publish_named,
        "consent_publication": observation.consent_publication,
        "corrects": observation.corrects_id,
        "attachments": [
            {k: f[k] for k in ("name", "content_type", "size", "sha256")} for f in files
        ],
    }


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_content(observation: Observation, files: list[dict[str, Any]]) -> bytes:
    """The submitted content as canonical JSON: what the receipt's SHA-256 is computed on."""
    instant = observation.submitted_at.astimezone(UTC).isoformat()
    return _canonical(
        _document(observation, files, number=observation.register_number, instant=instant)
    )


def _content_template(observation: Observation, files: list[dict[str, Any]]) -> str:
    """The canonical content with two slots the database fills in under the register's lock.

    Content strings are JSON-escaped, so no text of the author can forge a slot.
    """
    return _canonical(_document(observation, files, number=0, instant="@")).decode()


def _normalise_body(body: str) -> str:
    return re.sub(r"[ \t]+", " ", body.replace("\r\n", "\n")).strip()


def _check_window(inquiry: Inquiry, *, now: datetime, channel: str) -> None:
    """Web entries only inside [opens_at, closes_at); staff may transcribe until synthesis."""
    if channel != Channel.WEB:
        receiving = (InquiryStatus.SCHEDULED, InquiryStatus.OPEN, InquiryStatus.CLOSED)
        if inquiry.status not in receiving or now < inquiry.opens_at:
            raise Refused(ERR_TRANSCRIBE_WINDOW, code="register_closed", status=409)
        return
    if inquiry.status not in (InquiryStatus.SCHEDULED, InquiryStatus.OPEN):
        if inquiry.status == InquiryStatus.CLOSED:
            raise Refused(
                ERR_CLOSED.format(closes_at=wall_clock(inquiry.closes_at)),
                code="register_closed",
                status=409,
            )
        raise Refused(
            ERR_NOT_RECEIVING.format(status=inquiry.get_status_display()),
            code="register_closed",
            status=409,
        )
    if now < inquiry.opens_at:
        raise Refused(
            ERR_NOT_OPEN_YET.format(opens_at=wall_clock(inquiry.opens_at)),
            code="register_not_open",
            status=409,
        )
    if now >= inquiry.closes_at:
        raise Refused(
            ERR_CLOSED.format(closes_at=wall_clock(inquiry.closes_at)),
            code="register_closed",
            status=409,
        )


# The web entries of the last hour from one address and from one email, each read no further
# than its limit (so a flood costs what a citizen costs), in one round trip; a limit of 0 reads
# nothing and never refuses.
RATES_SQL = """
SELECT
  (SELECT count(*) FROM (SELECT FROM inquiry_observation WHERE ip = %(ip)s
     AND submitted_at >= %(since)s AND channel = %(web)s LIMIT %(per_ip)s) AS by_ip),
  (SELECT count(*) FROM (SELECT FROM inquiry_observation WHERE author_email = %(email)s
     AND submitted_at >= %(since)s AND channel = %(web)s LIMIT %(per_email)s) AS by_email)"""


def _check_rates(*, ip: str | None, email: str, now: datetime) -> None:
    per_ip = limit("EU_INQUIRY_RATE_PER_IP_HOUR")
    per_email = limit("EU_INQUIRY_RATE_PER_EMAIL_HOUR")
    if not (ip and per_ip) and not (email and per_email):
        return
    params = {
        "ip": ip,
        "email": email,
        "since": now - timedelta(hours=1),
        "web": Channel.WEB,
        "per_ip": per_ip,
        "per_email": per_email,
    }
    by_ip, by_email = prepared_row(RATES_SQL, params)
    if per_ip and by_ip >= per_ip:
        raise Refused(ERR_RATE_IP.format(limit=per_ip), code="rate_limited", status=429)
    if per_email and by_email >= per_email:
        raise Refused(
            ERR_RATE_EMAIL.format(email=email, limit=per_email), code="rate_limited", status=429
        )


# One call writes an entry (sql/0005_register_entry.sql): parameters in its declared order.
REGISTER_ENTRY = """SELECT * FROM inquiry_register_entry(
  %s::bigint, %s::text[], %s::boolean, %s::text, %s::uuid, %s::text, %s::text, %s::text,
  %s::bytea, %s::bigint, %s::bigint, %s::jsonb, %s::text, %s::text, %s::text, %s::inet,
  %s::boolean, %s::boolean, %s::bigint, %s::bigint,
  %s::text[], %s::text[], %s::integer[], %s::text[], %b::bytea[], %s::boolean[])"""
# %b: the files' array goes in binary. With %s, psycopg sends an array of bytea as hex text,
# which it writes in Python and PostgreSQL parses: 1.2 ms more for a 20 KB PDF.


def observation_submit(
    *,
    inquiry: Inquiry,
    theme: str,
    body: str,
    author_name: str,
    author_email: str,
    consent_publication: bool,
    publish_named: bool = False,
    author_id_number: str = "",
    geometry: GEOSGeometry | None = None,
    attachments: list[Upload] | None = None,
    channel: str = Channel.WEB,
    ip: str | None = None,
    honeypot: str = "",
    corrects: Observation | None = None,
    by: User | None = None,
) -> Observation:
    """Write an entry in the register, numbered without gaps; it is immutable from then on."""
    # Everything that needs no lock is checked first, so the locked section stays short.
    if honeypot:
        raise Refused(ERR_HONEYPOT, code="spam")
    if theme not in Theme.values:
        raise Refused(ERR_THEME.format(theme=theme, choices=", ".join(Theme.values)), code="theme")
    body = _normalise_body(body or "")
    if not body:
        raise Refused(ERR_BODY_EMPTY, code="body_empty")
    max_chars = limit("EU_INQUIRY_MAX_BODY_CHARS")
    if len(body) > max_chars:
        raise Refused(ERR_BODY_TOO_LONG.format(length=len(body), limit=max_chars), code="too_long")
    author_name = (author_name or "").strip()[:200]
    if not author_name:
        raise Refused(ERR_NAME, code="name_required")
    author_email = (author_email or "").strip().lower()
    if author_email or channel == Channel.WEB:
        try:
            validate_email(author_email)
        except ValidationError as exc:
            raise Refused(ERR_EMAIL, code="email_invalid") from exc
    if channel == Channel.WEB and not consent_publication:
        raise Refused(ERR_CONSENT, code="consent_required")
    if corrects is not None and corrects.inquiry_id != inquiry.pk:
        raise Refused(ERR_CORRECTS_OTHER, code="corrects_other")
    files = _check_files(list(attachments or []))
    geometry = _check_geometry(geometry, inquiry)
    zone_id, commune_id, context = _context(geometry, inquiry)
    if channel == Channel.WEB:
        # Outside the register's lock: a rate limit needs no exactness, the lock's holder speed.
        _check_rates(ip=ip, email=author_email, now=timezone.now())

    observation = Observation(
        inquiry=inquiry,
        channel=channel,
        theme=theme,
        body=body,
        geom=geometry,
        zone_id=zone_id,
        commune_id=commune_id,
        context=context,
        author_name=author_name,
        author_email=author_email,
        author_id_number=(author_id_number or "").strip()[:40],
        ip=ip,
        publish_named=publish_named,
        consent_publication=consent_publication,
        corrects=corrects,
        transcribed_by=by if channel != Channel.WEB else None,
    )
    described = [f.__dict__ for f in files]
    web = channel == Channel.WEB
    receiving = [InquiryStatus.SCHEDULED, InquiryStatus.OPEN]
    statuses = receiving if web else [*receiving, InquiryStatus.CLOSED]
    # The database checks the window, numbers, stamps, hashes and writes the entry in one call
    # under the inquiry's lock (sql/0005_register_entry.sql). A web entry alone runs in
    # autocommit, so the lock lasts no longer than that statement and its commit; a transcription
    # commits with its event; inside a caller's transaction, it is a savepoint.
    with transaction.atomic() if connection.in_atomic_block or not web else nullcontext():
        outcome, pk, number, at, sha256 = prepared_row(
            REGISTER_ENTRY,
            [
                inquiry.pk,
                statuses,
                web,
                _content_template(observation, described),
                observation.receipt_token,
                channel,
                theme,
                body,
                bytes(geometry.ewkb) if geometry else None,
                zone_id,
                commune_id,
                json.dumps(context),
                observation.author_name,
                author_email,
                observation.author_id_number,
                ip,
                publish_named,
                consent_publication,
                corrects.pk if corrects else None,
                observation.transcribed_by_id,
                [f.name for f in files],
                [f.content_type for f in files],
                [f.size for f in files],
                [f.sha256 for f in files],
                [f.content for f in files],
                [f.is_scan for f in files],
            ],
        )
        if outcome == "window":
            _check_window(Inquiry.objects.get(pk=inquiry.pk), now=at, channel=channel)
            raise Refused(
                ERR_NOT_RECEIVING.format(status=inquiry.status), code="register_closed", status=409
            )
        if outcome == "duplicate":
            raise Refused(ERR_DUPLICATE.format(number=number), code="duplicate", status=409)
        observation.pk, observation.register_number = pk, number
        observation.submitted_at, observation.content_sha256 = at, sha256
        observation._state.adding, observation._state.db = False, connection.alias
        # The receipt lists the files with no query back.
        observation.stored_attachments = [
            Attachment(observation=observation, position=i, **f.__dict__)
            for i, f in enumerate(files, start=1)
        ]
        if not web:
            ObservationEvent.objects.create(
                observation=observation,
                actor=by,
                action="transcribe",
                payload={
                    "channel": channel,
                    "corrects": corrects.register_number if corrects else None,
                },
            )
    transaction.on_commit(lambda: _send_receipt(observation.pk))
    return observation


def observation_verify(*, observation: Observation) -> bool:
    """Recompute the SHA-256 of a stored entry: True when the register row is as submitted."""
    files = list(
        observation.attachments.values("name", "content_type", "size", "sha256", "content")
    )
    for f in files:
        if hashlib.sha256(bytes(f.pop("content"))).hexdigest() != f["sha256"]:
            return False
    digest = hashlib.sha256(canonical_content(observation, files)).hexdigest()
    return digest == observation.content_sha256


class _DryRun(Exception):
    """Raised to roll back a trial write."""


def observation_hold(*, link: str, **submission: Any) -> PendingObservation:
    """With email verification on: check a web entry, keep it until its author confirms.

    The entry is tried in full (window, rates, duplicate, numbering) and rolled back, so a refusal
    comes now, not after the email; confirmation writes it for real (`observation_confirm`).
    """
    try:
        with transaction.atomic():
            observation_submit(**submission)
            raise _DryRun
    except _DryRun:
        pass
    now = _clock()
    inquiry: Inquiry = submission.pop("inquiry")
    geometry = submission.pop("geometry", None)
    corrects = submission.pop("corrects", None)
    files = submission.pop("attachments", None) or []
    pending = PendingObservation.objects.create(
        inquiry=inquiry,
        submission={
            **submission,
            "geometry": geometry.hexewkb.decode() if geometry is not None else None,
            "corrects": corrects.pk if corrects is not None else None,
            "attachments": [
                {"name": f.name, "content": base64.b64encode(f.content).decode()} for f in files
            ],
        },
        created_at=now,
        expires_at=now + timedelta(hours=limit("EU_INQUIRY_CONFIRM_HOURS")),
    )
    transaction.on_commit(lambda: _send_confirmation(pending, f"{link}?confirm={pending.token}"))
    return pending


@transaction.atomic
def observation_confirm(*, token: uuid.UUID) -> Observation:
    """Write a held entry in the register; a second click gives the same entry back."""
    pending = (
        PendingObservation.objects.select_for_update(of=("self",))
        .select_related("inquiry", "observation")
        .filter(token=token)
        .first()
    )
    if pending is None:
        raise Refused(ERR_CONFIRM_UNKNOWN, code="confirm_unknown", status=404)
    if pending.observation is not None:
        return pending.observation
    if _clock() >= pending.expires_at:
        raise Refused(ERR_CONFIRM_EXPIRED, code="confirm_expired", status=410)
    values = dict(pending.submission)
    geometry = values.pop("geometry")
    corrects = values.pop("corrects")
    files = values.pop("attachments")
    observation = observation_submit(
        **values,
        inquiry=pending.inquiry,
        geometry=GEOSGeometry(geometry) if geometry else None,
        corrects=Observation.objects.get(pk=corrects) if corrects else None,
        attachments=[Upload(name=f["name"], content=base64.b64decode(f["content"])) for f in files],
    )
    # The register holds the entry now: the held copy of personal data goes.
    pending.observation = observation
    pending.submission = {}
    pending.save(update_fields=["observation", "submission"])
    return observation


def pending_purge() -> int:
    """Erase the held entries nobody confirmed in time, and the copies of confirmed ones."""
    deleted, _ = PendingObservation.objects.filter(
        observation__isnull=True, expires_at__lt=timezone.now()
    ).delete()
    return deleted


def _send_confirmation(pending: PendingObservation, url: str) -> None:
    from django.core.mail import send_mail

    body = (
        f"{pending.inquiry.title_fr}\n\n"
        "Pour inscrire votre observation au registre de l'enquête, ouvrez ce lien avant le "
        f"{wall_clock(pending.expires_at)} (heure de Casablanca) :\n{url}\n\n"
        "Sans confirmation, elle sera effacée. Si vous n'avez rien déposé, ignorez ce message."
    )
    try:
        send_mail("Confirmez votre observation", body, None, [pending.submission["author_email"]])
    except OSError:
        # Logged without the address: personal data never reaches the logs.
        log.warning("confirmation email of held entry %s not sent", pending.pk)


def _send_receipt(observation_id: int) -> None:
    if not limit("EU_INQUIRY_SEND_RECEIPTS"):
        return
    from django.core.mail import send_mail

    observation = Observation.objects.select_related("inquiry").get(pk=observation_id)
    if not observation.author_email:
        return
    body = (
        f"{observation.inquiry.title_fr}\n\n"
        f"Votre observation est inscrite au registre sous le n° {observation.register_number}, "
        f"le {wall_clock(observation.submitted_at)} (heure de Casablanca).\n"
        f"Empreinte SHA-256 du contenu déposé : {observation.content_sha256}\n"
    )
    try:
        send_mail(
            f"Accusé de réception n° {observation.register_number}",
            body,
            None,
            [observation.author_email],
        )
    except OSError:
        # Logged without the address: personal data never reaches the logs.
        log.warning("receipt email of register entry %s not sent", observation.pk)


def _locked_observation(observation: Observation) -> Observation:
    return Observation.objects.select_for_update().get(pk=observation.pk)


def _observation_event(observation: Observation, action: str, by: User | None, payload: dict):
    ObservationEvent.objects.create(
        observation=observation, actor=by, action=action, payload=payload
    )
    if action in ("hide", "unhide"):
        audit(f"moderation_{action}", actor=by, observation_id=observation.pk)


@transaction.atomic
def observation_hide(*, observation: Observation, reason: str, by: User | None) -> Observation:
    """Moderation after publication: hidden from the public, kept in the register."""
    observation = _locked_observation(observation)
    if observation.hidden:
        raise Refused(
            ERR_ALREADY_HIDDEN.format(number=observation.register_number),
            code="already_hidden",
            status=409,
        )
    if not reason.strip():
        raise Refused(ERR_REASON_REQUIRED, code="reason_required")
    observation.hidden = True
    observation.hidden_reason = reason.strip()[:300]
    observation.save(update_fields=["hidden", "hidden_reason"])
    _observation_event(observation, "hide", by, {"reason": observation.hidden_reason})
    return observation


@transaction.atomic
def observation_unhide(*, observation: Observation, by: User | None) -> Observation:
    """Publish again an entry that moderation had hidden."""
    observation = _locked_observation(observation)
    if not observation.hidden:
        raise Refused(
            ERR_NOT_HIDDEN.format(number=observation.register_number),
            code="not_hidden",
            status=409,
        )
    observation.hidden = False
    observation.save(update_fields=["hidden"])
    _observation_event(observation, "unhide", by, {"reason": observation.hidden_reason})
    return observation


@transaction.atomic
def observation_tag(*, observation: Observation, tags: list[str], by: User | None) -> Observation:
    """Set the commission's tags of an entry."""
    clean = sorted({t.strip().lower() for t in tags if t.strip()})
    for tag in clean:
        if not TAG_RE.match(tag):
            raise Refused(ERR_TAG.format(tag=tag), code="tag_invalid")
    observation = _locked_observation(observation)
    before = observation.tags
    observation.tags = clean
    observation.save(update_fields=["tags"])
    _observation_event(observation, "tag", by, {"before": before, "after": clean})
    return observation


@transaction.atomic
def observation_assign(
    *, observation: Observation, assignee: User | None, by: User | None
) -> Observation:
    """Give an entry to a commission member (or take it back with None)."""
    from accounts.models import Role

    if assignee is not None and assignee.role not in (Role.COMMISSION, Role.MODERATOR):
        raise Refused(ERR_ASSIGNEE, code="assignee_role")
    observation = _locked_observation(observation)
    observation.assigned_to = assignee
    observation.save(update_fields=["assigned_to"])
    _observation_event(observation, "assign", by, {"to": assignee.username if assignee else None})
    return observation


@transaction.atomic
def observation_answer(*, observation: Observation, answer: str, by: User | None) -> Observation:
    """The commission's answer; it becomes public once the inquiry is closed."""
    if not answer.strip():
        raise Refused(ERR_ANSWER_EMPTY, code="answer_empty")
    observation = _locked_observation(observation)
    observation.answer = answer.strip()
    observation.answered_at = _clock()
    observation.save(update_fields=["answer", "answered_at"])
    _observation_event(observation, "answer", by, {"answer": observation.answer})
    return observation
