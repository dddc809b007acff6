"""Security headers of every response: a Content-Security-Policy that still lets the map run."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Everything comes from the system itself. MapLibre needs: its worker (a file of ours, plus
# blob: workers it may spawn), WebGL images from blob:, inline style attributes on its controls;
# the portal's PDF viewer frames our own documents.
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "worker-src": "'self' blob:",
    "child-src": "'self' blob:",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "frame-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'self'",
}
# GeoDjango's map widget in the admin writes its options in an inline script.
ADMIN_POLICY = POLICY | {"script-src": "'self' 'unsafe-inline'"}


def _header(policy: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in policy.items())


STRICT, ADMIN = _header(POLICY), _header(ADMIN_POLICY)


class SecurityHeadersMiddleware:
    """Add the CSP (outside DEBUG, where Vite's dev server needs more) and a referrer policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not settings.DEBUG:
            admin = request.path.startswith("/admin/")
            response.headers.setdefault("Content-Security-Policy", ADMIN if admin else STRICT)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
