"""Reads on inquiries: public ones through `publish` views, the commission's on private tables."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Inquiry, InquiryStatus, Observation

PUBLIC_COLUMNS = [
    "id",
    "register_number",
    "theme",
    "channel",
    "status",
    "submitted_at",
    "author_display",
    "body",
    "zone_code",
    "commune_code",
    "corrects_register_number",
    "answer",
]


def public_inquiries() -> QuerySet[Inquiry]:
    """Inquiries the public may see: announced (scheduled) or later, not abandoned drafts."""
    return (
        Inquiry.objects.exclude(status=InquiryStatus.DRAFT)
        .select_related("version__document", "regime")
        # The plan's perimeter is a large geometry no public page of an inquiry needs.
        .defer("version__document__perimeter")
        .order_by("-opens_at")
    )


def effective_status(inquiry: Inquiry, now: datetime) -> str:
    """The status as the clock has it, even if the periodic tick has not run yet."""
    if inquiry.status in (InquiryStatus.SCHEDULED, InquiryStatus.OPEN):
        if now >= inquiry.closes_at:
            return InquiryStatus.CLOSED
        if now >= inquiry.opens_at:
            return InquiryStatus.OPEN
    return inquiry.status


def published_observations(*, inquiry_id: int, limit: int = 500, offset: int = 0) -> dict[str, Any]:
    """The published observations of an inquiry as a GeoJSON FeatureCollection (publish view)."""
    columns = ", ".join(PUBLIC_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM publish.observations WHERE inquiry_id = %s", [inquiry_id]
        )
        total = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT {columns}, ST_AsGeoJSON(geom, 7) FROM publish.observations "  # noqa: S608
            "WHERE inquiry_id = %s ORDER BY register_number LIMIT %s OFFSET %s",
            [inquiry_id, limit, offset],
        )
        rows = cursor.fetchall()
    features = []
    for row in rows:
        properties = dict(zip(PUBLIC_COLUMNS, row[:-1], strict=True))
        properties["submitted_at"] = timezone.localtime(properties["submitted_at"]).isoformat()
        features.append(
            {
                "type": "Feature",
                "id": properties["id"],
                "geometry": json.loads(row[-1]) if row[-1] else None,
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "numberMatched": total, "features": features}


def register(*, inquiry: Inquiry, filters: dict[str, str]) -> QuerySet[Observation]:
    """The whole register for the commission (hidden entries included), filtered."""
    qs = (
        Observation.objects.filter(inquiry=inquiry)
        .select_related("zone", "commune", "assigned_to", "corrects")
        .prefetch_related("attachments")
        .defer("context")
        .order_by("register_number")
    )
    if filters.get("theme"):
        qs = qs.filter(theme=filters["theme"])
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("hidden") in ("true", "false"):
        qs = qs.filter(hidden=filters["hidden"] == "true")
    if filters.get("tag"):
        qs = qs.filter(tags__contains=[filters["tag"]])
    if filters.get("assigned_to"):
        qs = qs.filter(assigned_to__username=filters["assigned_to"])
    if filters.get("answered") in ("true", "false"):
        qs = qs.exclude(answer="") if filters["answered"] == "true" else qs.filter(answer="")
    if filters.get("zone_code"):
        qs = qs.filter(zone__code=filters["zone_code"])
    if filters.get("commune"):
        qs = qs.filter(commune__code=filters["commune"])
    if filters.get("q"):
        qs = qs.filter(Q(body__icontains=filters["q"]) | Q(author_name__icontains=filters["q"]))
    return qs


def register_stats(*, inquiry: Inquiry) -> dict[str, Any]:
    """Counts of the register by theme, zone, commune and channel."""
    qs = Observation.objects.filter(inquiry=inquiry)

    def by(field: str, label: str) -> list[dict[str, Any]]:
        return [
            {label: row[field], "count": row["count"]}
            for row in qs.values(field).annotate(count=Count("id")).order_by("-count", field)
        ]

    totals = qs.aggregate(
        total=Count("id"),
        hidden=Count("id", filter=Q(hidden=True)),
        answered=Count("id", filter=~Q(answer="")),
    )
    return {
        **totals,
        "members": sorted(inquiry.commission.values_list("username", flat=True)),
        "by_theme": by("theme", "theme"),
        "by_channel": by("channel", "channel"),
        "by_zone": by("zone__code", "zone_code"),
        "by_commune": by("commune__name_fr", "commune"),
    }


def gazetteer(*, q: str, inquiry_id: int | None = None, limit: int = 10) -> list[dict[str, Any]]:
    """Communes and districts whose name matches, from publish.territories (no geocoder)."""
    pattern = f"%{q}%"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, level, code, name_fr, name_ar, "
            "ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) "
            "FROM (SELECT *, ST_Envelope(geom) AS b FROM publish.territories "
            "      WHERE (unaccent(name_fr) ILIKE unaccent(%(p)s) OR name_ar ILIKE %(p)s) "
            # Within an inquiry, only the places its plan covers.
            "        AND (%(inq)s::bigint IS NULL OR EXISTS ("
            "          SELECT 1 FROM inquiry_inquiry i "
            "          JOIN planning_planversion v ON v.id = i.version_id "
            "          JOIN planning_planningdocument d ON d.id = v.document_id "
            "          WHERE i.id = %(inq)s AND ST_Intersects(d.perimeter, geom)))) t "
            "ORDER BY (unaccent(name_fr) ILIKE unaccent(%(start)s)) DESC, level, name_fr "
            "LIMIT %(limit)s",
            {"p": pattern, "inq": inquiry_id, "start": f"{q}%", "limit": limit},
        )
        rows = cursor.fetchall()
    return [
        {
            "id": r[0],
            "level": r[1],
            "code": r[2],
            "name_fr": r[3],
            "name_ar": r[4],
            "bbox": [round(v, 6) for v in r[5:9]],
        }
        for r in rows
    ]
