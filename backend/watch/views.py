"""The urban-watch dashboard page (the Vite-built dashboard.html)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def dashboard(request: HttpRequest) -> HttpResponse:
    """Serve the dashboard page; it reads everything from /api/v1/watch/."""
    page = settings.FRONTEND_DIST / "dashboard.html"
    if not page.is_file():
        return HttpResponse(
            "The dashboard is not built yet: run `make setup`.",
            status=503,
            content_type="text/plain",
        )
    return HttpResponse(page.read_bytes(), content_type="text/html; charset=utf-8")
