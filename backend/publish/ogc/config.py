"""Generate pygeoapi's configuration from the `publish` views, and its OpenAPI document.

The collections are whatever views `publish` holds (any view with an `id` column): there is no
second list of them. TITLES below only gives each a French and Arabic title and description;
a view missing from it is still published, under its own name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import psycopg
import yaml

from . import db
from .crs import STORAGE_CRS, SUPPORTED_CRS

PROVIDER = "publish.ogc.provider.PublishProvider"
PROCESS = "publish.ogc.process.ZoningLookupProcessor"
WATCH_PROCESS = "watch.ogc_process.DisparityAnalysisProcessor"
JOB_MANAGER = "publish.ogc.jobs.JobManager"
# The site's public URL (EU_PUBLIC_URL) prefixes every link; pygeoapi reads it at start-up.
PUBLIC_URL = "${EU_PUBLIC_URL:-http://127.0.0.1:8000}"
DEFAULT_URL = PUBLIC_URL + "/ogc"
DEFAULT_LIMITS = {"default_items": 10, "max_items": 10000}
# Morocco, for a view that is still empty (an extent is required).
EMPTY_BBOX = [-17.1, 21.4, -1.0, 35.9]
TILES_PATH = "/tiles/ogc/tilesets/{layer}"
TITLE_COLUMNS = ("label_fr", "name_fr", "title", "title_fr", "label", "document_code")

# French and Arabic titles, descriptions and (optionally) keywords; "kind": "record" makes an
# OGC API Records catalogue.
WATCH_KEYWORDS = {
    "fr": ["veille urbaine", "indicateurs", "ODD 11", "disparités territoriales", "Maroc"],
    "ar": ["الرصد الحضري", "المؤشرات", "هدف التنمية المستدامة 11", "الفوارق المجالية", "المغرب"],
}
TITLES: dict[str, dict] = {
    "zones": {
        "title": {"fr": "Zones des plans d'aménagement", "ar": "مناطق تصاميم التهيئة"},
        "description": {
            "fr": "Zones approuvées, et celles du projet soumis à enquête publique dès "
            "l'ouverture de l'enquête, avec leurs règles (hauteur, COS, CUS, reculs, usages).",
            "ar": "المناطق المصادق عليها ومناطق المشروع المعروض على البحث العمومي منذ افتتاحه، "
            "مع قواعدها.",
        },
    },
    "prescriptions": {
        "title": {"fr": "Prescriptions (réservations, servitudes)", "ar": "التخصيصات والارتفاقات"},
        "description": {
            "fr": "Réservations d'équipements, emprises de voirie, servitudes et zones non "
            "aedificandi des plans publiés.",
            "ar": "تخصيصات التجهيزات العمومية والطرق والارتفاقات في التصاميم المنشورة.",
        },
    },
    "plan_versions": {
        "title": {"fr": "Versions des plans", "ar": "نسخ التصاميم"},
        "description": {
            "fr": "Versions publiées des documents d'urbanisme et leur statut juridique.",
            "ar": "النسخ المنشورة لوثائق التعمير ووضعها القانوني.",
        },
    },
    "regulation_articles": {
        "title": {"fr": "Articles du règlement", "ar": "مواد النظام"},
        "description": {
            "fr": "Articles du règlement d'aménagement, par version et code de zone.",
            "ar": "مواد نظام التهيئة حسب النسخة ورمز المنطقة.",
        },
    },
    "territories": {
        "title": {"fr": "Communes et quartiers", "ar": "الجماعات والأحياء"},
        "description": {
            "fr": "Limites des communes et des quartiers, avec leur population.",
            "ar": "حدود الجماعات والأحياء وعدد سكانها.",
        },
    },
    "equipment": {
        "title": {"fr": "Équipements publics", "ar": "التجهيزات العمومية"},
        "description": {
            "fr": "Écoles, centres de santé, mosquées et autres équipements existants.",
            "ar": "المدارس والمراكز الصحية والمساجد وغيرها من التجهيزات القائمة.",
        },
    },
    "basemap": {
        "title": {"fr": "Fond de plan", "ar": "الخريطة الأساس"},
        "description": {
            "fr": "Routes, voies ferrées, hydrographie et littoral du fond de plan.",
            "ar": "الطرق والسكك الحديدية والمجاري المائية والساحل.",
        },
    },
    "observations": {
        "title": {"fr": "Observations de l'enquête publique", "ar": "ملاحظات البحث العمومي"},
        "description": {
            "fr": "Observations publiées du registre d'enquête, anonymisées selon le choix de "
            "leur auteur.",
            "ar": "الملاحظات المنشورة من سجل البحث العمومي، مجهولة الهوية حسب اختيار أصحابها.",
        },
    },
    "indicators": {
        "title": {"fr": "Indicateurs de l'observatoire urbain", "ar": "مؤشرات المرصد الحضري"},
        "description": {
            "fr": "Le catalogue des indicateurs : définition, unité, source et méthode.",
            "ar": "فهرس المؤشرات: التعريف والوحدة والمصدر والمنهجية.",
        },
        "keywords": WATCH_KEYWORDS,
    },
    "indicator_values": {
        "title": {"fr": "Valeurs des indicateurs", "ar": "قيم المؤشرات"},
        "description": {
            "fr": "Valeurs des indicateurs par unité territoriale (commune, quartier, maille) "
            "et par période, avec la géométrie de l'unité.",
            "ar": "قيم المؤشرات حسب الوحدة الترابية والفترة، مع هندسة الوحدة.",
        },
        "keywords": WATCH_KEYWORDS,
    },
    "plan_documents": {
        "kind": "record",
        "title": {"fr": "Catalogue des documents d'urbanisme", "ar": "فهرس وثائق التعمير"},
        "description": {
            "fr": "Les documents d'urbanisme publiés, leur statut juridique et leurs fichiers "
            "(règlement, plans, notes).",
            "ar": "وثائق التعمير المنشورة ووضعها القانوني وملفاتها.",
        },
    },
}

INTROSPECT_SQL = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'publish' AND c.relkind IN ('v', 'm') AND has_table_privilege(c.oid, 'SELECT')
ORDER BY c.relname, a.attnum
"""


def ogc_dir() -> Path:
    """Where the generated configuration and OpenAPI document live (EU_OGC_DIR, else var/ogc)."""
    default = Path(__file__).resolve().parents[3] / "var" / "ogc"
    return Path(os.environ.get("EU_OGC_DIR", str(default)))


def introspect(conn: psycopg.Connection) -> dict[str, dict[str, str]]:
    """The publish views the reader may read that have an id column: {view: {column: type}}."""
    views: dict[str, dict[str, str]] = {}
    for view, column, sql_type in conn.execute(INTROSPECT_SQL):
        views.setdefault(view, {})[column] = sql_type
    return {view: cols for view, cols in views.items() if "id" in cols}


def extent(conn: psycopg.Connection, view: str) -> list[float]:
    """The CRS84 bounding box of a view's geometries."""
    query = psycopg.sql.SQL(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Extent(geom) AS e FROM {}) x"
    ).format(psycopg.sql.Identifier("publish", view))
    row = conn.execute(query).fetchone()
    return [round(v, 6) for v in row] if row and row[0] is not None else EMPTY_BBOX


def _tile_layers() -> set[str]:
    try:
        from tiles.layers import LAYERS
    except ImportError:
        return set()
    return set(LAYERS)


def collection(view: str, columns: dict[str, str], bbox: list[float], role: str) -> dict:
    """The pygeoapi resource of one view."""
    meta = TITLES.get(view, {})
    kind = meta.get("kind", "feature")
    has_geom = "geom" in columns
    provider: dict = {
        "type": kind,
        "name": PROVIDER,
        # [name, type] pairs, not a mapping: pygeoapi tries every mapping key as a language tag
        # on each request, which costs milliseconds for a wide view.
        "data": {"view": view, "columns": [[c, t] for c, t in columns.items()], "role": role},
        "id_field": "id",
        "include_extra_query_parameters": True,
    }
    title_field = next((c for c in TITLE_COLUMNS if c in columns), None)
    if title_field:
        provider["title_field"] = title_field
    if has_geom:
        provider["geom_field"] = "geom"
    if kind == "feature":
        provider.update(storage_crs=STORAGE_CRS, crs=list(SUPPORTED_CRS))
    else:
        text = [
            c
            for c, t in columns.items()
            if t in ("text", "character varying") or t.startswith("character varying")
        ]
        provider["options"] = {"links_column": "links", "q_columns": text, "base_url": PUBLIC_URL}
    resource = {
        "type": "collection",
        "title": meta.get("title", {"fr": view, "ar": view}),
        "description": meta.get("description", {"fr": view, "ar": view}),
        "keywords": meta.get(
            "keywords", {"fr": ["urbanisme", "Maroc", view], "ar": ["التعمير", "المغرب"]}
        ),
        "links": [],
        "extents": {"spatial": {"bbox": bbox, "crs": STORAGE_CRS}},
        "limits": dict(DEFAULT_LIMITS),
        "providers": [provider],
    }
    if kind == "record":
        resource["itemType"] = "record"
    return resource


def tiles_link(view: str) -> dict:
    """A link from a collection to its vector tilesets in the tile service."""
    return {
        "type": "application/json",
        "rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
        "title": "Tuiles vectorielles (OGC API Tiles)",
        "href": PUBLIC_URL + TILES_PATH.format(layer=view),
    }


def build(
    conn: psycopg.Connection,
    role: str,
    progress: Callable | None = None,
    jobs_dir: Path | None = None,
) -> dict:
    """The whole pygeoapi configuration, from the views the reader can read."""
    views = introspect(conn)
    tiles = _tile_layers()
    resources: dict[str, dict] = {}
    for view, columns in views.items():
        bbox = extent(conn, view) if "geom" in columns else EMPTY_BBOX
        resources[view] = collection(view, columns, bbox, role)
        if view in tiles:
            resources[view]["links"].append(tiles_link(view))
        if progress:
            progress(view)
    resources["zoning-lookup"] = {"type": "process", "processor": {"name": PROCESS}}
    resources["disparity-analysis"] = {"type": "process", "processor": {"name": WATCH_PROCESS}}
    return {
        "server": _server(jobs_dir or ogc_dir() / "jobs"),
        "logging": {"level": "ERROR"},
        "metadata": _metadata(),
        "resources": resources,
    }


def _server(jobs_dir: Path) -> dict:
    return {
        "bind": {"host": "127.0.0.1", "port": 8000},
        "url": DEFAULT_URL,
        "mimetype": "application/json; charset=UTF-8",
        "encoding": "utf-8",
        "gzip": False,
        "languages": ["fr", "ar", "en"],
        "cors": True,
        "pretty_print": False,
        "limits": dict(DEFAULT_LIMITS),
        # The HTML pages' Leaflet map: no external tile service (ARCHITECTURE.md).
        "map": {"url": "data:,", "attribution": "e-urbanisme"},
        # Asynchronous jobs (Prefer: respond-async) and their results, in files (jobs.py).
        "manager": {
            "name": JOB_MANAGER,
            "connection": str(jobs_dir / "jobs.json"),
            "output_dir": str(jobs_dir),
        },
    }


def _metadata() -> dict:
    return {
        "identification": {
            "title": {"fr": "e-urbanisme : API OGC", "ar": "التعمير الإلكتروني: واجهة OGC"},
            "description": {
                "fr": "Plans d'aménagement, prescriptions, territoires, équipements et "
                "observations publiées, en OGC API Features, Records et Processes.",
                "ar": "تصاميم التهيئة والتخصيصات والمجالات الترابية والتجهيزات والملاحظات.",
            },
            "keywords": {"fr": ["urbanisme", "plan d'aménagement"], "ar": ["التعمير"]},
            "keywords_type": "theme",
            "terms_of_service": "https://www.gnu.org/licenses/agpl-3.0.html",
            "url": "https://github.com/e-urbanisme",
        },
        "license": {"name": "ODbL", "url": "https://opendatacommons.org/licenses/odbl/"},
        "provider": {"name": "Agence urbaine", "url": "https://github.com/e-urbanisme"},
        "contact": {
            "name": "Agence urbaine",
            "position": "Service SIG",
            "email": "",
            "url": "https://github.com/e-urbanisme",
            "role": "pointOfContact",
        },
    }


def write(
    conninfo: str | None = None,
    role: str | None = None,
    out_dir: Path | None = None,
    progress: Callable | None = None,
) -> tuple[Path, Path]:
    """Write pygeoapi.yml and openapi.yml; returns their paths."""
    from pygeoapi.openapi import generate_openapi_document

    role = role or os.environ.get("EU_READER_ROLE", "eurbanisme_reader")
    out_dir = out_dir or ogc_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(conninfo or db.conninfo(role), autocommit=True) as conn:
        config = build(conn, role, progress, out_dir / "jobs")
    config_path, openapi_path = out_dir / "pygeoapi.yml", out_dir / "openapi.yml"
    tmp = config_path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    tmp.replace(config_path)
    document = generate_openapi_document(config_path, "yaml", fail_on_invalid_collection=True)
    tmp = openapi_path.with_suffix(".tmp")
    tmp.write_text(document)
    tmp.replace(openapi_path)
    return config_path, openapi_path
