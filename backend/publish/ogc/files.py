"""The files of the planning-documents catalogue (Records), served under /ogc/files/.

A file is served only when `publish.plan_documents` lists it, read as the read-only role: the
files of a draft whose inquiry has not opened, or of anything private, stay out of reach whatever
path is asked for.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from starlette.responses import FileResponse, JSONResponse

from . import db

PREFIX = "/files/"
HREF_PREFIX = "/ogc/files/"
LISTED_SQL = """
SELECT l->>'type'
FROM publish.plan_documents d, json_array_elements(d.links) l
WHERE l->>'href' = %s
LIMIT 1
"""
ERR_NOT_FOUND = "No published planning file at {path!r}; see /ogc/collections/plan_documents/items."


def media_root() -> Path:
    """Where uploaded files live (EU_MEDIA_ROOT, else var/media), as Django's MEDIA_ROOT."""
    default = Path(__file__).resolve().parents[3] / "var" / "media"
    return Path(os.environ.get("EU_MEDIA_ROOT", str(default))).resolve()


def listed_type(relative: str) -> str | None:
    """The content type of a file the catalogue lists, or None."""
    with db.pool().connection() as conn:
        row = conn.execute(LISTED_SQL, [HREF_PREFIX + relative]).fetchone()
    return row[0] if row else None


async def serve(scope, receive, send, relative: str) -> None:
    """Send the file if the catalogue lists it and it exists under the media root, else 404."""
    content_type = await asyncio.to_thread(listed_type, relative)
    root = media_root()
    path = (root / relative).resolve()
    if content_type is None or root not in path.parents or not path.is_file():
        response = JSONResponse(
            {"code": "NotFound", "description": ERR_NOT_FOUND.format(path=relative)}, 404
        )
    else:
        response = FileResponse(path, media_type=content_type, filename=path.name)
    await response(scope, receive, send)
