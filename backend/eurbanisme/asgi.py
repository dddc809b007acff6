"""One ASGI application on one port: Django, the tile service at /tiles and pygeoapi at /ogc."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from eurbanisme.bridge import Bridge

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eurbanisme.settings")
# Django's views are synchronous. Its ASGI handler hops between the event loop and a thread
# around every middleware (~9 ms a request here); run as WSGI in a pool of threads (a2wsgi, with
# the fewer hops of eurbanisme.bridge), a request makes one hop (bench/RESULTS.md, the rush).
# EU_DJANGO_THREADS=0 restores Django's ASGI handler.
# Three threads: a process runs one thread of Python at a time (the GIL), and the others cover
# its round trips to PostgreSQL. With eight, requests took turns at the GIL: in the last-day
# rush a submission spent 109-118 ms in its thread at p50 and 226-300 ms at p99, against 40-47
# and 79-93 ms with three, and a finished response waited up to 118 ms (p99) for the event loop
# to send it, against 28 (bench/RESULTS.md, run 6). A deployment whose long exports hold
# threads may want more.
DJANGO_THREADS = int(os.environ.get("EU_DJANGO_THREADS", "3"))
if DJANGO_THREADS:
    django_app = Bridge(get_wsgi_application(), workers=DJANGO_THREADS)
else:
    django_app = get_asgi_application()
# Load every view now (the analysis libraries take seconds to import), not in a citizen's first
# request to this worker: reading the URL patterns imports every view module.
URL_PATTERNS = get_resolver().url_patterns

# The tile service is a sibling package that does not import Django; make the repo importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tiles.app import create_app as create_tiles_app  # noqa: E402

tiles_app = create_tiles_app()

from publish.ogc.mount import OgcMount  # noqa: E402

ogc_app = OgcMount()

# Everything imported so far lives as long as the process: about 390,000 objects, which a full
# collection of the garbage collector walked in ~300 ms with every request of the worker stopped
# (the rush's p99). Frozen, they are never walked again; requests' garbage still is.
gc.freeze()


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
