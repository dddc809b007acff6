"""The citizen portal page: the Vite-built inquiry page, served for one inquiry."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

from .selectors import public_inquiries


def portal(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve the inquiry portal page; the page reads the inquiry id from its URL."""
    if not public_inquiries().filter(pk=pk).exists():
        raise Http404("No public inquiry with this number.")
    page = settings.FRONTEND_DIST / "inquiry.html"
    if not page.is_file():
        return HttpResponse(
            "The inquiry portal is not built yet: run `make setup`.",
            status=503,
            content_type="text/plain",
        )
    return HttpResponse(page.read_bytes(), content_type="text/html; charset=utf-8")
