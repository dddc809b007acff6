"""The tile service: TileJSON 3.0 and MVT tiles for each layer of the `publish` schema."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from psycopg import sql
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .layers import LAYERS, SQL_DIR, Layer
from .settings import Settings

log = logging.getLogger("tiles")

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
ERR_UNKNOWN_LAYER = "Unknown tile layer {name!r}. Available layers: {available}."
ERR_ZOOM = "Zoom level {z} is out of range: this layer serves zoom levels {minzoom} to {maxzoom}."
ERR_XY = "Tile {z}/{x}/{y} does not exist: at zoom {z}, x and y go from 0 to {last}."
BOUNDS_SQL = (SQL_DIR / "bounds.sql").read_text()


class TileService:
    """Holds the connection pool; opened lazily so the service starts without a database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool = AsyncConnectionPool(
            settings.conninfo(),
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            open=False,
            kwargs={"autocommit": True},
        )
        self._opened = False
        self._lock = asyncio.Lock()

    async def connection(self):
        if not self._opened:
            async with self._lock:
                if not self._opened:
                    await self.pool.open(wait=True, timeout=10)
                    self._opened = True
        return self.pool.connection()

    async def tile(self, layer: Layer, z: int, x: int, y: int) -> bytes:
        async with await self.connection() as conn:
            cur = await conn.execute(layer.sql, {"z": z, "x": x, "y": y})
            row = await cur.fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""

    async def bounds(self, layer: Layer) -> list[float] | None:
        query = sql.SQL(BOUNDS_SQL).format(view=sql.Identifier(*layer.view.split(".")))
        async with await self.connection() as conn:
            cur = await conn.execute(query)
            row = await cur.fetchone()
        return [round(v, 6) for v in row] if row and row[0] is not None else None

    async def close(self) -> None:
        if self._opened:
            await self.pool.close()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": status, "detail": message}, status_code=status)


def _layer_or_error(name: str) -> Layer | JSONResponse:
    layer = LAYERS.get(name)
    if layer is None:
        return _error(404, ERR_UNKNOWN_LAYER.format(name=name, available=", ".join(LAYERS)))
    return layer


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the ASGI app; mount it under /tiles (it uses the request's root_path for URLs)."""
    service = TileService(settings or Settings.from_env())

    async def tilejson(request: Request) -> Response:
        layer = _layer_or_error(request.path_params["layer"])
        if isinstance(layer, JSONResponse):
            return layer
        # base_url carries the mount point (root_path), so the URLs work mounted or standalone.
        base = str(request.base_url).rstrip("/")
        bounds = await service.bounds(layer) or [-180.0, -85.0511, 180.0, 85.0511]
        center = [round((bounds[0] + bounds[2]) / 2, 6), round((bounds[1] + bounds[3]) / 2, 6), 11]
        doc = {
            "tilejson": "3.0.0",
            "name": layer.name,
            "description": layer.description,
            "scheme": "xyz",
            "tiles": [f"{base}/{layer.name}/{{z}}/{{x}}/{{y}}.pbf"],
            "minzoom": layer.minzoom,
            "maxzoom": min(layer.maxzoom, service.settings.max_zoom),
            "bounds": bounds,
            "center": center,
            "attribution": "e-urbanisme",
            "vector_layers": [
                {
                    "id": layer.name,
                    "description": layer.description,
                    "fields": layer.fields,
                    "minzoom": layer.minzoom,
                    "maxzoom": layer.maxzoom,
                }
            ],
        }
        return JSONResponse(doc, headers={"Cache-Control": "public, max-age=60"})

    async def tile(request: Request) -> Response:
        layer = _layer_or_error(request.path_params["layer"])
        if isinstance(layer, JSONResponse):
            return layer
        z, x, y = (request.path_params[k] for k in ("z", "x", "y"))
        maxzoom = min(layer.maxzoom, service.settings.max_zoom)
        if not layer.minzoom <= z <= maxzoom:
            return _error(400, ERR_ZOOM.format(z=z, minzoom=layer.minzoom, maxzoom=maxzoom))
        last = (1 << z) - 1
        if not (0 <= x <= last and 0 <= y <= last):
            return _error(400, ERR_XY.format(z=z, x=x, y=y, last=last))
        data = await service.tile(layer, z, x, y)
        headers = {"Cache-Control": "public, max-age=0, must-revalidate"}
        if not data:
            return Response(status_code=204, headers=headers)
        return Response(data, media_type=MVT_MEDIA_TYPE, headers=headers)

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error(404, f"No such tile resource: {request.url.path}")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        await service.close()

    app = Starlette(
        routes=[
            Route("/{layer:str}.json", tilejson),
            Route("/{layer:str}/{z:int}/{x:int}/{y:int}.pbf", tile),
        ],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )
    app.state.service = service
    return app
