"""Import and export of a version's zones: GeoPackage, zipped Shapefile, GeoJSON, DXF, CSV, CNIG."""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import shapely
from django.db import connection, transaction
from pyproj import CRS
from pyproj.exceptions import CRSError

from accounts.models import User
from common.db import copy_rows
from common.errors import Invalid, Refused

from . import selectors
from .models import ZONE_ATTRIBUTES, PlanningDocument, PlanVersion, Zone, ZoneCode, ZoneFamily
from .services import _check_agency, _check_not_frozen, _event

ERR_FORMAT = "Unsupported file {name!r}: send a GeoPackage, a zipped Shapefile, GeoJSON or DXF."
ERR_READ = "The file could not be read as {kind}: {error}."
ERR_NO_CRS = (
    "The file does not say its coordinate system (DXF never does): declare it, e.g. "
    "crs=EPSG:26191 (Merchich / Nord Maroc) or EPSG:26192 (Sud Maroc)."
)
ERR_CRS = "Unknown CRS {crs!r}: give an EPSG code that PROJ knows, e.g. EPSG:26191."
ERR_NO_CODE = "No column gives the zone code: map one with code=<column> (columns: {columns})."
ERR_EMPTY = "The file holds no polygon."
ERR_IMPORT = "Import refused, nothing was written: {count} problem(s) in the resulting version."
ERR_ZIP = "The zip holds no .shp file, or more than one."
ERR_TOO_BIG = "The archive expands to more than {limit} MB: refused."
ERR_BAD_ZIP = "The file is not a zip archive that can be read ({error}): zip the Shapefile again."

ERR_CONTENT = (
    "The file {name!r} is named as {kind} but its content is not {kind}: export it again from "
    "your GIS or CAD software."
)

MAX_UNZIPPED = 500 * 1024 * 1024
# What each kind of file starts with. GDAL picks its driver by content, not by name: without
# this check, a VRT named zones.geojson would read any file or database the server can reach.
SIGNATURES = {
    ".gpkg": re.compile(rb"SQLite format 3\x00"),
    ".geojson": re.compile(rb"(\xef\xbb\xbf)?\s*\{"),
    ".json": re.compile(rb"(\xef\xbb\xbf)?\s*\{"),
    ".dxf": re.compile(rb"\s*(0\s+SECTION|999\s)|AutoCAD Binary DXF"),
    ".shp": re.compile(rb"\x00\x00\x27\x0a"),
}
# DXF: closed polylines are the zones CAD users draw; read them as polygons.
pyogrio.set_gdal_config_options({"DXF_CLOSED_LINE_AS_POLYGON": "TRUE"})
# Source column names (lower case) recognised without a mapping, as in CNIG and agency files.
DEFAULT_MAPPING = {
    "code": ["code", "libelle", "zone", "code_zone", "layer"],
    "label_fr": ["label_fr", "libelong", "libelle_long", "designation", "nom"],
    "label_ar": ["label_ar", "libelle_ar", "nom_ar"],
    "max_height_m": ["max_height_m", "hauteur", "haut_max"],
    "max_levels": ["max_levels", "niveaux", "nb_niveaux"],
    "ground_coverage_max": ["ground_coverage_max", "cos", "emprise"],
    "floor_area_ratio_max": ["floor_area_ratio_max", "cus"],
    "min_lot_area_m2": ["min_lot_area_m2", "surf_min", "parcelle_min"],
}
IMPORT_COLUMNS = ["key", *ZONE_ATTRIBUTES]
RULE_COLUMNS = [
    "max_height_m",
    "max_levels",
    "ground_coverage_max",
    "floor_area_ratio_max",
    "min_lot_area_m2",
]
# CNIG TYPEZONE from our families (U urban, AUc/AUs to urbanise, A agricultural, N natural).
CNIG_TYPEZONE = {
    ZoneFamily.DENSE_HOUSING: "U",
    ZoneFamily.VILLAS: "U",
    ZoneFamily.MIXED: "U",
    ZoneFamily.ECONOMIC: "U",
    ZoneFamily.EQUIPMENT: "U",
    ZoneFamily.TOURISM: "AUc",
    ZoneFamily.GREEN: "N",
    ZoneFamily.NO_BUILD: "N",
    ZoneFamily.RURAL: "A",
}


@dataclass
class ImportResult:
    """What an import did, or would do on a dry run."""

    features: int
    written: bool
    source_crs: str
    sha256: str
    report: dict[str, Any] = field(default_factory=dict)


def _unzip_shapefile(data: bytes, workdir: Path) -> Path:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # Zip bombs: refuse by the declared sizes before extracting anything. A member that
            # lies about its size is cut at the declared size and fails its CRC (BadZipFile).
            if sum(i.file_size for i in archive.infolist()) > MAX_UNZIPPED:
                raise Refused(ERR_TOO_BIG.format(limit=MAX_UNZIPPED // 2**20), code="too_big")
            shps = [n for n in archive.namelist() if n.lower().endswith(".shp")]
            if len(shps) != 1:
                raise Refused(ERR_ZIP, code="bad_zip")
            for info in archive.infolist():
                # Path traversal: keep only the base name of every member.
                name = Path(info.filename).name
                if name and not info.is_dir():
                    (workdir / name).write_bytes(archive.read(info))
            shp = workdir / Path(shps[0]).name
            _check_content(shp.read_bytes()[:64], name=shps[0], suffix=".shp", kind="Shapefile")
            return shp
    # Not a zip, a damaged or lying one, encrypted or compressed in a way zipfile cannot read.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise Refused(ERR_BAD_ZIP.format(error=exc), code="bad_zip") from exc


def _check_content(head: bytes, *, name: str, suffix: str, kind: str) -> None:
    if not SIGNATURES[suffix].match(head):
        raise Refused(
            ERR_CONTENT.format(name=Path(name).name, kind=kind), code="spoofed_type", status=415
        )


def read_zones(
    data: bytes, name: str, *, crs: str | None = None, mapping: dict[str, str] | None = None
) -> tuple[gpd.GeoDataFrame, str]:
    """Read polygons from a file into EPSG:4326 with the zone columns; say the source CRS."""
    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if suffix == ".zip":
            path, kind = _unzip_shapefile(data, workdir), "a zipped Shapefile"
        elif suffix in (".gpkg", ".geojson", ".json", ".dxf"):
            path = workdir / f"upload{suffix}"
            path.write_bytes(data)
            kind = {".gpkg": "GeoPackage", ".dxf": "DXF"}.get(suffix, "GeoJSON")
            _check_content(data[:64], name=name, suffix=suffix, kind=kind)
        else:
            raise Refused(ERR_FORMAT.format(name=name), code="unsupported_format", status=415)
        try:
            frame = pyogrio.read_dataframe(path)
        except Exception as exc:  # noqa: BLE001 - GDAL's errors are many; all mean "unreadable"
            raise Refused(ERR_READ.format(kind=kind, error=exc), code="unreadable") from exc
    if crs:
        try:
            source = CRS.from_user_input(crs)
        except CRSError as exc:
            raise Refused(ERR_CRS.format(crs=crs), code="unknown_crs") from exc
        frame = frame.set_crs(source, allow_override=True)
    elif frame.crs is None:
        raise Refused(ERR_NO_CRS, code="crs_required")
    source_crs = frame.crs.to_string()
    frame = frame[frame.geometry.notna()]
    # CAD files draw zones as closed polylines: a closed ring is a polygon.
    rings = frame.geometry.geom_type.eq("LineString") & frame.geometry.is_ring
    frame.loc[rings, "geometry"] = [shapely.Polygon(g.coords) for g in frame.geometry[rings]]
    frame = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if frame.empty:
        raise Refused(ERR_EMPTY, code="empty")
    frame = frame.to_crs(4326)
    zones = _map_columns(frame, mapping or {})
    if suffix == ".dxf":
        zones = _cut_nested_rings(zones)
    return zones, source_crs


def _cut_nested_rings(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """CAD draws a zone with a hole as two closed polylines, one inside the other.

    Each polygon is cut out of the smallest polygon that contains it. With the same code as that
    container it was only the hole's outline and goes; with another code it is a zone of its own
    (an enclave) and stays, so the two never overlap.
    """
    geoms = frame.geometry.values.copy()
    inner, outer = shapely.STRtree(geoms).query(geoms, predicate="within")
    pairs = [(i, o) for i, o in zip(inner, outer, strict=True) if i != o]
    if not pairs:
        return frame
    areas = shapely.area(geoms)
    parent: dict[int, int] = {}
    for i, o in pairs:
        if i not in parent or areas[o] < areas[parent[i]]:
            parent[i] = o
    children: dict[int, list[int]] = {}
    for i, o in parent.items():
        children.setdefault(o, []).append(i)
    for o, inside in children.items():
        geoms[o] = shapely.difference(geoms[o], shapely.union_all(geoms[inside]))
    codes = frame["code"].to_numpy()
    holes_only = [i for i, o in parent.items() if codes[i] == codes[o]]
    cut = frame.copy()
    cut["geometry"] = geoms
    return cut.drop(index=cut.index[holes_only])


def _map_columns(frame: gpd.GeoDataFrame, mapping: dict[str, str]) -> gpd.GeoDataFrame:
    lower = {c.lower(): c for c in frame.columns if c != "geometry"}
    out = gpd.GeoDataFrame(geometry=shapely.force_2d(frame.geometry.values), crs=4326)
    for target, candidates in DEFAULT_MAPPING.items():
        source = mapping.get(target) or next((lower[c] for c in candidates if c in lower), None)
        out[target] = frame[source].values if source in frame.columns else None
    if out["code"].isna().all():
        raise Refused(ERR_NO_CODE.format(columns=", ".join(lower.values())), code="no_code")
    return out


@transaction.atomic
def zones_import(
    *,
    version: PlanVersion,
    data: bytes,
    name: str,
    by: User | None,
    crs: str | None = None,
    mapping: dict[str, str] | None = None,
    replace: bool = True,
    dry_run: bool = False,
    progress=None,
) -> ImportResult:
    """Import zones into a draft version, all or nothing, checked by the version report.

    The features are written, the whole version is validated set-wise in PostGIS, and the
    transaction is rolled back on a dry run or when the report finds errors.
    """
    version = PlanVersion.objects.select_for_update().select_related("document").get(pk=version.pk)
    _check_agency(document=version.document, by=by)
    _check_not_frozen(version)
    _phase(progress, "read")
    frame, source_crs = read_zones(data, name, crs=crs, mapping=mapping)
    _phase(progress, "prepare", total=len(frame))
    codes = {c.code: c for c in ZoneCode.objects.filter(document_id=version.document_id)}
    sha256 = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        savepoint = transaction.savepoint()
        if replace:
            Zone.objects.filter(version=version).delete()
        zones = []
        for i, row in enumerate(frame.itertuples(index=False)):
            code = str(row.code)
            entry = codes.get(code)
            zones.append(
                {
                    "key": f"I-{sha256[:8]}-{i + 1:06d}",
                    "code": code,
                    "label_fr": _text(row.label_fr) or (entry.label_fr if entry else code),
                    "label_ar": _text(row.label_ar) or (entry.label_ar if entry else ""),
                    "family": entry.family if entry else ZoneFamily.MIXED,
                    "setback_road_m": None,
                    "setback_neighbour_m": None,
                    "allowed_uses": [],
                    "prohibited_uses": [],
                    **_rules(row, entry),
                }
            )
            if progress:
                progress.update(1)
        _phase(progress, "write")
        multi = [
            g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])
            for g in frame.geometry
        ]
        geoms = shapely.to_wkb(shapely.set_srid(multi, 4326), hex=True, include_srid=True)
        copy_rows(
            "planning_zone",
            ["version_id", *IMPORT_COLUMNS, "geom"],
            (
                (version.pk, *(z[c] for c in IMPORT_COLUMNS), g)
                for z, g in zip(zones, geoms, strict=True)
            ),
        )
        with connection.cursor() as cursor:
            # Fresh statistics, or the report's joins are planned for an empty version.
            cursor.execute("ANALYZE planning_zone")
        _phase(progress, "validate")
        report = selectors.version_report(version=version)
        unknown = sorted({z["code"] for z in zones} - set(codes)) if codes else []
        if not report["valid"] or dry_run or unknown:
            transaction.savepoint_rollback(savepoint)
        else:
            transaction.savepoint_commit(savepoint)
    if unknown and not dry_run:
        raise Invalid(
            ERR_IMPORT.format(count=len(unknown)),
            problems=[
                {"code": "unknown_code", "message": f"Code {c!r} is not in the code list."}
                for c in unknown
            ],
        )
    if not report["valid"] and not dry_run:
        raise Invalid(ERR_IMPORT.format(count=sum(report["summary"].values())), problems=[report])
    written = not dry_run
    if written:
        _event(
            document=version.document,
            version=version,
            actor=by,
            action="zones_import",
            payload={
                "file": Path(name).name,
                "sha256": sha256,
                "features": len(zones),
                "source_crs": source_crs,
                "replace": replace,
            },
        )
    return ImportResult(
        features=len(zones), written=written, source_crs=source_crs, sha256=sha256, report=report
    )


def _phase(progress, name: str, total: int | None = None) -> None:
    """Tell a progress reporter (tqdm, or a background job's) which step runs."""
    if progress is None:
        return
    if total is not None:
        progress.total = total
    progress.set_description(name)


# Where the file gives no value, a rule comes from the règlement: the code's own limit.
_CODE_DEFAULTS = {
    "max_height_m": "max_height_m_limit",
    "max_levels": "max_levels_limit",
    "ground_coverage_max": "ground_coverage_limit",
    "floor_area_ratio_max": "floor_area_ratio_limit",
    "min_lot_area_m2": "min_lot_area_m2_floor",
}


def _rules(row: Any, entry: ZoneCode | None) -> dict[str, Any]:
    rules = {c: _number(getattr(row, c)) for c in RULE_COLUMNS}
    if entry is not None:
        for name, limit in _CODE_DEFAULTS.items():
            if rules[name] is None:
                rules[name] = getattr(entry, limit)
    if rules["max_levels"] is not None:
        rules["max_levels"] = int(rules["max_levels"])
    return rules


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value)  # NaN != NaN


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


EXPORT_FORMATS = {
    "gpkg": ("GPKG", "application/geopackage+sqlite3"),
    "geojson": ("GeoJSON", "application/geo+json"),
    "shp": ("ESRI Shapefile", "application/zip"),
    "csv": ("CSV", "text/csv"),
    "cnig": ("GPKG", "application/geopackage+sqlite3"),
}
SHAPEFILE_NAMES = {
    "max_height_m": "HAUTEUR",
    "max_levels": "NIVEAUX",
    "ground_coverage_max": "COS",
    "floor_area_ratio_max": "CUS",
    "min_lot_area_m2": "SURF_MIN",
    "setback_road_m": "RECUL_VOIE",
    "setback_neighbour_m": "RECUL_LIM",
    "allowed_uses": "AUTORISES",
    "prohibited_uses": "INTERDITS",
    "label_fr": "LIBELONG",
    "label_ar": "LIBELLE_AR",
    "code": "LIBELLE",
}
ERR_EXPORT_FORMAT = "Unknown export format {fmt!r}: use one of {formats}."


def zones_frame(version: PlanVersion) -> gpd.GeoDataFrame:
    """The zones of a version as a GeoDataFrame in EPSG:4326."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, key, code, label_fr, label_ar, family, max_height_m, max_levels, "
            "ground_coverage_max, floor_area_ratio_max, min_lot_area_m2, setback_road_m, "
            "setback_neighbour_m, array_to_string(allowed_uses, ';') AS allowed_uses, "
            "array_to_string(prohibited_uses, ';') AS prohibited_uses, ST_AsBinary(geom) "
            "FROM planning_zone WHERE version_id = %s ORDER BY id",
            [version.pk],
        )
        names = [c.name for c in cursor.description][:-1]
        rows = cursor.fetchall()
    geoms = shapely.from_wkb([bytes(r[-1]) for r in rows])
    frame = gpd.GeoDataFrame([r[:-1] for r in rows], columns=names, geometry=geoms, crs=4326)
    return frame


def cnig_frames(version: PlanVersion) -> dict[str, gpd.GeoDataFrame]:
    """zone_urba and doc_urba after the CNIG standard, for interoperability."""
    document: PlanningDocument = version.document
    idurba = f"{document.code}_{version.number}"
    zones = zones_frame(version)
    zone_urba = gpd.GeoDataFrame(
        {
            "LIBELLE": zones["code"],
            "LIBELONG": zones["label_fr"],
            "TYPEZONE": [CNIG_TYPEZONE.get(f, "U") for f in zones["family"]],
            "IDURBA": idurba,
            "DATAPPRO": document.approved_on.strftime("%Y%m%d") if document.approved_on else None,
        },
        geometry=zones.geometry,
        crs=4326,
    )
    doc_urba = gpd.GeoDataFrame(
        {
            "IDURBA": [idurba],
            "TYPEDOC": [document.doc_type],
            "ETAT": [document.status],
            "NOMPROC": [version.label],
            "DATAPPRO": [zone_urba["DATAPPRO"].iloc[0] if len(zone_urba) else None],
        },
        geometry=[shapely.from_wkt(document.perimeter.wkt)],
        crs=4326,
    )
    return {"zone_urba": zone_urba, "doc_urba": doc_urba}


def zones_export(*, version: PlanVersion, fmt: str) -> tuple[bytes, str, str]:
    """The version's zones as a file: (content, media type, file name)."""
    if fmt not in EXPORT_FORMATS:
        raise Refused(
            ERR_EXPORT_FORMAT.format(fmt=fmt, formats=", ".join(EXPORT_FORMATS)),
            code="unknown_format",
            status=404,
        )
    driver, media_type = EXPORT_FORMATS[fmt]
    stem = f"{version.document.code}_v{version.number}"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if fmt == "cnig":
            path = workdir / f"{stem}_cnig.gpkg"
            for layer, frame in cnig_frames(version).items():
                pyogrio.write_dataframe(frame, path, layer=layer, driver=driver)
            return path.read_bytes(), media_type, path.name
        frame = zones_frame(version)
        if fmt == "csv":
            path = workdir / f"{stem}.csv"
            pyogrio.write_dataframe(
                frame, path, driver=driver, layer_options={"GEOMETRY": "AS_WKT"}
            )
            return path.read_bytes(), media_type, path.name
        if fmt == "shp":
            folder = workdir / "shp"
            folder.mkdir()
            # Shapefile field names are cut to 10 characters: give them readable short names.
            pyogrio.write_dataframe(
                frame.rename(columns=SHAPEFILE_NAMES),
                folder / f"{stem}.shp",
                driver=driver,
                layer_options={"ENCODING": "UTF-8"},
            )
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for member in sorted(folder.iterdir()):
                    archive.write(member, member.name)
            return buffer.getvalue(), media_type, f"{stem}.zip"
        suffix = "gpkg" if fmt == "gpkg" else "geojson"
        path = workdir / f"{stem}.{suffix}"
        pyogrio.write_dataframe(frame, path, driver=driver)
        return path.read_bytes(), media_type, path.name
