"""Planner pages rendered by Django."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, render

from common.errors import Refused

from . import selectors
from .access import readable_version
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
    try:
        version = readable_version(request.user, version_id)
    except Refused as exc:
        return HttpResponseForbidden(exc.message, content_type="text/plain; charset=utf-8")
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


ERR_NOT_BUILT = "The editor page is not built yet: run `make setup`."
ERR_NOT_YOUR_AGENCY = (
    "This editor is for the planners of {agency} and administrators. Ask an administrator of "
    "that agency to give you access."
)


def editor(request: HttpRequest, version_id: int) -> HttpResponse:
    """Serve the built zoning editor of a version (its agency's planners and admins only)."""
    from django.contrib.auth.views import redirect_to_login
    from django.middleware.csrf import get_token

    from .editor_api import user_may_edit

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    version = get_object_or_404(PlanVersion.objects.select_related("document"), pk=version_id)
    if not user_may_edit(request.user, version):
        message = ERR_NOT_YOUR_AGENCY.format(agency=version.document.agency)
        return HttpResponseForbidden(message, content_type="text/plain; charset=utf-8")
    page = settings.FRONTEND_DIST / "editor.html"
    if not page.is_file():
        return HttpResponse(ERR_NOT_BUILT, status=503, content_type="text/plain")
    get_token(request)  # sets the CSRF cookie the page's writes send back
    return HttpResponse(page.read_bytes(), content_type="text/html; charset=utf-8")
