"""The built pages of the inquiry: the citizen portal and the commission's workspace."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.middleware.csrf import get_token

from .models import Inquiry
from .selectors import public_inquiries

ERR_NOT_BUILT = "The {page} page is not built yet: run `make setup`."
ERR_NOT_COMMISSION = (
    "This workspace is for the members of the inquiry's commission, moderators and "
    "administrators. Ask the agency in charge to add you to the commission."
)


def _page(name: str) -> HttpResponse:
    page = settings.FRONTEND_DIST / f"{name}.html"
    if not page.is_file():
        return HttpResponse(ERR_NOT_BUILT.format(page=name), status=503, content_type="text/plain")
    return HttpResponse(page.read_bytes(), content_type="text/html; charset=utf-8")


def portal(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve the inquiry portal page; the page reads the inquiry id from its URL."""
    if not public_inquiries().filter(pk=pk).exists():
        raise Http404("No public inquiry with this number.")
    return _page("inquiry")


def workspace(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve the commission's workspace of one inquiry (signed-in members only)."""
    from .api import is_commission_of

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not Inquiry.objects.filter(pk=pk).exists():
        raise Http404("No inquiry with this number.")
    if not is_commission_of(request.user, pk):
        return HttpResponseForbidden(ERR_NOT_COMMISSION, content_type="text/plain; charset=utf-8")
    get_token(request)  # sets the CSRF cookie the page's writes send back
    return _page("commission")
