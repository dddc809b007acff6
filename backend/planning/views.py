"""Planner pages rendered by Django."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from . import selectors
from .models import PlanVersion

FINDINGS = [
    ("invalid_geometries", "Géométries invalides", "هندسات غير صالحة"),
    ("gaps", "Vides dans le périmètre", "فراغات داخل المحيط"),
    ("overlaps", "Chevauchements", "تداخلات"),
    ("unknown_codes", "Codes hors nomenclature", "رموز خارج القائمة"),
    ("missing_rules", "Règles manquantes", "قواعد ناقصة"),
    (
        "lapsed_reservations",
        "Réservations dont l'effet d'utilité publique a expiré",
        "تخصيصات انتهى أثر المنفعة العامة فيها",
    ),
]


@login_required
def version_report(request: HttpRequest, version_id: int) -> HttpResponse:
    """The validation report of a version as a readable page (the JSON is in the API)."""
    version = get_object_or_404(PlanVersion.objects.select_related("document"), pk=version_id)
    report = selectors.version_report(version=version)
    sections = [
        {"key": key, "title_fr": fr, "title_ar": ar, "rows": report[key]}
        for key, fr, ar in FINDINGS
    ]
    return render(
        request,
        "planning/version_report.html",
        {"version": version, "report": report, "sections": sections},
    )
