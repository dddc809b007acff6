"""The tile service: cached MVT tiles, TileJSON 3.0, OGC API Tiles metadata, a MapLibre style."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import psycopg
from isal import igzip
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg import sql
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .cache import DiskCache, Key, MemoryCache
from .layers import LAYERS, SQL_DIR, Layer
from .metrics import Metrics
from .queue import RenderQueue
from .settings import Settings
from .style import build_style
from .versions import LayerVersions

log = logging.getLogger("tiles")

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
WEB_MERCATOR_QUAD = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
ERR_UNKNOWN_LAYER = "Unknown tile layer {name!r}. Available layers: {available}."
ERR_ZOOM = "Zoom level {z} is out of range: this layer serves zoom levels {minzoom} to {maxzoom}."
ERR_XY = "Tile {z}/{x}/{y} does not exist: at zoom {z}, x and y go from 0 to {last}."
ERR_TMS = "Unknown tile matrix set {name!r}: this service offers WebMercatorQuad only."
ERR_DATABASE = "The tile database is unavailable; try again in a moment."
BOUNDS_SQL = (SQL_DIR / "bounds.sql").read_text()


class TileService:
    """The pool, the layer versions and the caches; the pool opens lazily."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool = AsyncConnectionPool(
            settings.conninfo(),
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            open=False,
            kwargs={"autocommit": True},
        )
        # As many renders at once as the pool has connections; the others wait in cost order.
        self.queue = RenderQueue(settings.pool_max, settings.queue_slack)
        self._opened = False
        self._lock = asyncio.Lock()
        self.metrics = Metrics()
        self.memory = MemoryCache(settings.cache_bytes)
        self.disk = DiskCache(settings.disk_cache_dir) if settings.disk_cache_dir else None
        self.versions = LayerVersions(settings.conninfo(), self._version_changed)
        # One database render per tile key at a time; concurrent askers share its result.
        self._inflight: dict[Key, asyncio.Future] = {}

    def _version_changed(self, layer: str, key: str | None) -> None:
        """Forget the outdated tiles of a layer as soon as its version moves."""
        self.memory.drop_layer(layer, key)
        if key is not None:
            self.metrics.layer_version.labels(layer).set(int(key.split(".")[0]))
            if self.disk is not None:
                asyncio.get_running_loop().run_in_executor(None, self.disk.drop_layer, layer, key)

    async def connection(self):
        if not self._opened:
            async with self._lock:
                if not self._opened:
                    await self.pool.open(wait=True, timeout=10)
                    self._opened = True
        return self.pool.connection()

    async def render(self, layer: Layer, z: int, x: int, y: int) -> bytes:
        """Make the tile in PostgreSQL and gzip it; b'' for an empty tile."""
        queued = time.perf_counter()
        try:
            async with self.queue.slot(layer.name, z):
                started = time.perf_counter()
                self.metrics.queue_seconds.labels(layer.name).observe(started - queued)
                async with await self.connection() as conn:
                    # Binary results: PostgreSQL sends the tile's bytes as they are, not as hex
                    # text twice their size that it must encode and psycopg decode.
                    cur = await conn.execute(layer.sql, layer.params(z, x, y), binary=True)
                    row = await cur.fetchone()
                self.queue.learn(layer.name, z, time.perf_counter() - started)
        except Exception:
            self.metrics.errors.labels(layer.name).inc()
            raise
        data = bytes(row[0]) if row and row[0] is not None else b""
        self.metrics.tile_bytes.labels(layer.name).observe(len(data))
        # On the event loop, even for the biggest tiles (~1.7 ms of CPU for 412 KB): a hop to a
        # worker thread cost far more under load, waiting for CPU once for the thread and once
        # more for the loop to be woken (155 ms median for the tiles over 32 KB at c=32).
        body = igzip.compress(data, self.settings.gzip_level, mtime=0) if data else b""
        self.metrics.render_seconds.labels(layer.name).observe(time.perf_counter() - started)
        return body

    async def tile(self, layer: Layer, z: int, x: int, y: int, vkey: str | None) -> bytes:
        """The gzip body of a tile: from memory, from disk, or made once in the database."""
        if vkey is None:
            self.metrics.requests.labels(layer.name, "bypass").inc()
            return await self.render(layer, z, x, y)
        key: Key = (layer.name, vkey, z, x, y)
        body = self.memory.get(key)
        if body is not None:
            self.metrics.requests.labels(layer.name, "memory").inc()
            return body
        if self.disk is not None:
            body = await asyncio.to_thread(self.disk.get, key)
            if body is not None:
                self.memory.put(key, body)
                self.metrics.requests.labels(layer.name, "disk").inc()
                return body
        pending = self._inflight.get(key)
        if pending is not None:
            self.metrics.requests.labels(layer.name, "memory").inc()
            return await asyncio.shield(pending)
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            body = await self.render(layer, z, x, y)
            future.set_result(body)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: nobody may be waiting on it
            raise
        finally:
            del self._inflight[key]
        self.metrics.requests.labels(layer.name, "database").inc()
        # Keep it only if the version did not move while it was made (it would never be asked).
        if self.versions.key(layer.name) == vkey:
            self.memory.put(key, body)
            if self.disk is not None:
                await asyncio.to_thread(self.disk.put, key, body)
        return body

    async def bounds(self, layer: Layer) -> list[float] | None:
        query = sql.SQL(BOUNDS_SQL).format(view=sql.Identifier(*layer.view.split(".")))
        async with await self.connection() as conn:
            cur = await conn.execute(query)
            row = await cur.fetchone()
        return [round(v, 6) for v in row] if row and row[0] is not None else None

    async def database_ok(self) -> bool:
        """Whether one trivial query answers within two seconds."""
        try:
            async with asyncio.timeout(2):
                async with await self.connection() as conn:
                    await conn.execute("SELECT 1")
            return True
        except (psycopg.Error, PoolTimeout, OSError, TimeoutError):
            return False

    async def close(self) -> None:
        await self.versions.stop()
        if self._opened:
            await self.pool.close()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": status, "detail": message}, status_code=status)


def _layer_or_error(name: str) -> Layer | JSONResponse:
    layer = LAYERS.get(name)
    if layer is None:
        return _error(404, ERR_UNKNOWN_LAYER.format(name=name, available=", ".join(LAYERS)))
    return layer


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 §13.1.2): W/ prefixes do not matter for If-None-Match.
    bare = etag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == bare for t in header.split(","))


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the ASGI app; mount it under /tiles (it uses the request's root_path for URLs)."""
    service = TileService(settings or Settings.from_env())
    cache_control = f"public, max-age={service.settings.max_age}, must-revalidate"
    if service.settings.max_age == 0:
        # Proxies and browsers may store tiles but must revalidate each use: a 304 from us costs
        # no database work, and a planner's edit is seen at once on every map.
        cache_control = "public, no-cache"

    def base_url(request: Request) -> str:
        # base_url carries the mount point (root_path), so the URLs work mounted or standalone.
        return str(request.base_url).rstrip("/")

    def maxzoom_of(layer: Layer) -> int:
        return min(layer.maxzoom, service.settings.max_zoom)

    def check_tile(layer: Layer, z: int, x: int, y: int) -> JSONResponse | None:
        if not layer.minzoom <= z <= maxzoom_of(layer):
            return _error(
                400, ERR_ZOOM.format(z=z, minzoom=layer.minzoom, maxzoom=maxzoom_of(layer))
            )
        last = (1 << z) - 1
        if not (0 <= x <= last and 0 <= y <= last):
            return _error(400, ERR_XY.format(z=z, x=x, y=y, last=last))
        return None

    async def layer_bounds(layer: Layer) -> list[float]:
        return await service.bounds(layer) or [-180.0, -85.0511, 180.0, 85.0511]

    async def tilejson(request: Request) -> Response:
        layer = _layer_or_error(request.path_params["layer"])
        if isinstance(layer, JSONResponse):
            return layer
        bounds = await layer_bounds(layer)
        center = [round((bounds[0] + bounds[2]) / 2, 6), round((bounds[1] + bounds[3]) / 2, 6), 11]
        doc = {
            "tilejson": "3.0.0",
            "name": layer.name,
            "description": layer.description,
            "version": "1.0.0",
            "scheme": "xyz",
            "tiles": [f"{base_url(request)}/{layer.name}/{{z}}/{{x}}/{{y}}.pbf"],
            "minzoom": layer.minzoom,
            "maxzoom": maxzoom_of(layer),
            "bounds": bounds,
            "center": center,
            "attribution": "e-urbanisme",
            "fillzoom": maxzoom_of(layer),
            # Not a TileJSON key of its own: a tile carries at most this many features per layer.
            "feature_limit": layer.feature_limit,
            "vector_layers": [
                {
                    "id": layer.name,
                    "description": layer.description,
                    "fields": layer.fields,
                    "minzoom": layer.minzoom,
                    "maxzoom": maxzoom_of(layer),
                    "feature_limit": layer.feature_limit,
                }
            ],
        }
        return JSONResponse(doc, headers={"Cache-Control": "public, max-age=60"})

    async def serve_tile(request: Request, layer: Layer, z: int, x: int, y: int) -> Response:
        service.versions.start()
        vkey = service.versions.key(layer.name)
        headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding"}
        if vkey is not None:
            headers["ETag"] = etag = f'W/"{layer.name}-{vkey}-{z}-{x}-{y}"'
            # Answered from the version alone: no cache lookup, no database.
            if _etag_matches(request, etag):
                service.metrics.requests.labels(layer.name, "not_modified").inc()
                return Response(status_code=304, headers=headers)
        try:
            body = await service.tile(layer, z, x, y, vkey)
        except Exception:
            log.exception("tile %s/%s/%s/%s failed", layer.name, z, x, y)
            return _error(503, ERR_DATABASE)
        if not body:
            return Response(status_code=204, headers=headers)
        if _accepts_gzip(request):
            headers["Content-Encoding"] = "gzip"
        else:
            body = igzip.decompress(body)
        return Response(body, media_type=MVT_MEDIA_TYPE, headers=headers)

    async def tile(request: Request) -> Response:
        layer = _layer_or_error(request.path_params["layer"])
        if isinstance(layer, JSONResponse):
            return layer
        z, x, y = (request.path_params[k] for k in ("z", "x", "y"))
        return check_tile(layer, z, x, y) or await serve_tile(request, layer, z, x, y)

    async def ogc_tile(request: Request) -> Response:
        layer = _layer_or_error(request.path_params["layer"])
        if isinstance(layer, JSONResponse):
            return layer
        if request.path_params["tms"] != "WebMercatorQuad":
            return _error(404, ERR_TMS.format(name=request.path_params["tms"]))
        z, y, x = (request.path_params[k] for k in ("z", "y", "x"))
        return check_tile(layer, z, x, y) or await serve_tile(request, layer, z, x, y)

    def tileset_summary(request: Request, layer: Layer) -> dict:
        url = f"{base_url(request)}/ogc/tilesets/{layer.name}"
        return {
            "title": layer.name,
            "description": layer.description,
            "dataType": "vector",
            "crs": CRS_3857,
            "tileMatrixSetURI": WEB_MERCATOR_QUAD,
            "links": [
                {"rel": "self", "type": "application/json", "href": url},
                {
                    "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                    "type": "application/json",
                    "href": WEB_MERCATOR_QUAD,
                },
                {
                    "rel": "item",
                    "type": MVT_MEDIA_TYPE,
                    "templated": True,
                    "href": f"{url}/tiles/WebMercatorQuad/{{tileMatrix}}/{{tileRow}}/{{tileCol}}",
                },
            ],
        }

    async def ogc_tilesets(request: Request) -> Response:
        doc = {
            "links": [{"rel": "self", "type": "application/json", "href": str(request.url)}],
            "tilesets": [tileset_summary(request, layer) for layer in LAYERS.values()],
        }
        return JSONResponse(doc, headers={"Cache-Control": "public, max-age=60"})

    async def ogc_tileset(request: Request) -> Response:
        layer = _layer_or_error(request.path_params["layer"])
        if isinstance(layer, JSONResponse):
            return layer
        west, south, east, north = await layer_bounds(layer)
        doc = tileset_summary(request, layer) | {
            "boundingBox": {
                "lowerLeft": [west, south],
                "upperRight": [east, north],
                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            },
            "tileMatrixSetLimits": [
                {"tileMatrix": str(z)} for z in range(layer.minzoom, maxzoom_of(layer) + 1)
            ],
            "layers": [
                {
                    "id": layer.name,
                    "title": layer.name,
                    "description": layer.description,
                    "dataType": "vector",
                    "geometryDimension": {"point": 0, "polygon": 2}.get(layer.geometry),
                    "featureLimit": layer.feature_limit,
                    "minTileMatrix": str(layer.minzoom),
                    "maxTileMatrix": str(maxzoom_of(layer)),
                    "propertiesSchema": {
                        "type": "object",
                        "properties": {
                            name: {"type": "number" if kind == "Number" else "string"}
                            for name, kind in layer.fields.items()
                        },
                    },
                }
            ],
        }
        if doc["layers"][0]["geometryDimension"] is None:
            del doc["layers"][0]["geometryDimension"]
        return JSONResponse(doc, headers={"Cache-Control": "public, max-age=60"})

    async def style(request: Request) -> Response:
        params = request.query_params
        origin = f"{request.url.scheme}://{request.url.netloc}"
        doc = build_style(
            base_url(request),
            origin,
            lang=params.get("lang", "fr"),
            plan=params.get("plan", "approved"),
        )
        return JSONResponse(doc, headers={"Cache-Control": "public, max-age=60"})

    async def healthz(request: Request) -> Response:
        database = await service.database_ok()
        doc = {
            "status": "ok" if database else "unavailable",
            "database": database,
            "listener": service.versions.live,
            "versions": service.versions.keys,
            "cache": {"tiles": len(service.memory), "bytes": service.memory.size},
        }
        return JSONResponse(doc, status_code=200 if database else 503)

    async def metrics(request: Request) -> Response:
        service.metrics.cache_bytes.set(service.memory.size)
        service.metrics.cache_entries.set(len(service.memory))
        service.metrics.listener_up.set(1 if service.versions.live else 0)
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error(404, f"No such tile resource: {request.url.path}")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        service.versions.start()
        yield
        await service.close()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/metrics", metrics),
            Route("/style.json", style),
            Route("/ogc/tilesets", ogc_tilesets),
            Route("/ogc/tilesets/{layer:str}", ogc_tileset),
            Route("/ogc/tilesets/{layer:str}/tiles/{tms:str}/{z:int}/{y:int}/{x:int}", ogc_tile),
            Route("/{layer:str}.json", tilejson),
            Route("/{layer:str}/{z:int}/{x:int}/{y:int}.pbf", tile),
        ],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )
    app.state.service = service
    return app
