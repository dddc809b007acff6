"""One ASGI application on one port: Django, the tile service at /tiles and pygeoapi at /ogc."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eurbanisme.settings")
django_app = get_asgi_application()

# The tile service is a sibling package that does not import Django; make the repo importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tiles.app import create_app as create_tiles_app  # noqa: E402

tiles_app = create_tiles_app()

from publish.ogc.mount import OgcMount  # noqa: E402

ogc_app = OgcMount()


async def application(scope, receive, send):
    """Route /tiles/ to the tile service, /ogc to pygeoapi and everything else to Django."""
    if scope["type"] == "lifespan":
        return await tiles_app(scope, receive, send)
    if scope.get("path", "").startswith("/tiles/"):
        # Starlette strips root_path from path when routing and adds it back to URLs it builds.
        return await tiles_app(
            dict(scope, root_path=scope.get("root_path", "") + "/tiles"), receive, send
        )
    path = scope.get("path", "")
    if path == "/ogc" or path.startswith("/ogc/"):
        return await ogc_app(scope, receive, send)
    return await django_app(scope, receive, send)
