"""Load the generated demo agglomeration (fixtures/) into the database, all or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.core.files.base import ContentFile
from django.db import connection, transaction
from pyproj import Transformer
from tqdm import tqdm

from accounts.models import Role, User
from common.db import copy_rows, db_now
from fixtures.generator import APPROVED_BO_DATE, SRID, ZONE_CODES, Dataset, generate
from fixtures.rasters import write_rasters
from inquiry.models import Inquiry, InquiryEvent, InquiryStatus
from planning import services
from planning.models import (
    ZONE_ATTRIBUTES,
    AttachedFile,
    DocumentStatus,
    PlanningDocument,
    PlanVersion,
    ZoneCode,
)
from territory.models import Agency, Commune, District, Province, Region

_TO_4326 = Transformer.from_crs(SRID, 4326, always_xy=True)

# Demo accounts, for demo mode only (README): username, role, agency code or None.
DEMO_USERS = [
    ("planner", Role.PLANNER, "AUC"),
    ("planner_other", Role.PLANNER, "AUEJ"),
    ("commission", Role.COMMISSION, None),
    ("moderator", Role.MODERATOR, None),
    ("analyst", Role.ANALYST, None),
    ("admin", Role.ADMIN, None),
]
DEMO_PASSWORD = "demo-e-urbanisme"

# Tables emptied by --replace, children first.
DEMO_TABLES = [
    "planning_zonecode",
    "inquiry_inquiryevent",
    "inquiry_inquiry",
    "planning_planningevent",
    "planning_attachedfile",
    "planning_regulationarticle",
    "planning_prescription",
    "planning_zone",
    "planning_planversion",
    "planning_planningdocument_communes",
    "planning_planningdocument",
    "territory_buildingpermit",
    "territory_equipment",
    "territory_basefeature",
    "territory_district",
    "territory_commune",
    "territory_agency_provinces",
    "territory_agency",
    "territory_province",
    "territory_region",
]


def to_4326(geoms: Iterable[shapely.Geometry]) -> np.ndarray:
    """Transform geometries drawn in EPSG:26191 to EPSG:4326 (lon, lat), vectorised."""
    arr = np.asarray(list(geoms), dtype=object)
    out = shapely.transform(arr, lambda xy: np.column_stack(_TO_4326.transform(xy[:, 0], xy[:, 1])))
    return shapely.set_srid(out, 4326)


def _ewkb(geoms: Iterable[shapely.Geometry]) -> list[str]:
    return list(shapely.to_wkb(to_4326(geoms), hex=True, include_srid=True))


def _geos(geom: shapely.Geometry) -> GEOSGeometry:
    return GEOSGeometry(shapely.to_wkb(to_4326([geom])[0], hex=True, include_srid=True))


def _multi(geom: shapely.Geometry) -> shapely.Geometry:
    return geom if geom.geom_type == "MultiPolygon" else shapely.MultiPolygon([geom])


ZONE_COLUMNS = ["key", *ZONE_ATTRIBUTES]
PRESCRIPTION_COLUMNS = [
    "key",
    "kind",
    "label_fr",
    "label_ar",
    "equipment_type",
    "width_m",
    "expires_on",
]


def _load_zones(version: PlanVersion, zones: list[dict]) -> None:
    geoms = _ewkb(_multi(z["geom"]) for z in zones)
    rows = (
        (version.pk, *(z[c] for c in ZONE_COLUMNS), g) for z, g in zip(zones, geoms, strict=True)
    )
    copy_rows("planning_zone", ["version_id", *ZONE_COLUMNS, "geom"], rows)


def _load_prescriptions(version: PlanVersion, prescriptions: list[dict]) -> None:
    geoms = _ewkb(p["geom"] for p in prescriptions)
    rows = (
        (
            version.pk,
            *({**p, "equipment_type": p["equipment_type"] or ""}[c] for c in PRESCRIPTION_COLUMNS),
            g,
        )
        for p, g in zip(prescriptions, geoms, strict=True)
    )
    copy_rows("planning_prescription", ["version_id", *PRESCRIPTION_COLUMNS, "geom"], rows)


def _load_articles(version: PlanVersion, articles: list[dict], zones: list[dict]) -> None:
    # Each version's règlement has the chapters of the zone codes it uses, and no other.
    codes = {z["code"] for z in zones}
    articles = [a for a in articles if not a["zone_code"] or a["zone_code"] in codes]
    rows = (
        (
            version.pk,
            a["zone_code"],
            a["number"],
            i,
            a["title_fr"],
            a.get("title_ar", ""),
            a["body_fr"],
            a.get("body_ar", ""),
        )
        for i, a in enumerate(articles)
    )
    copy_rows(
        "planning_regulationarticle",
        [
            "version_id",
            "zone_code",
            "number",
            "position",
            "title_fr",
            "title_ar",
            "body_fr",
            "body_ar",
        ],
        rows,
    )


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with Latin-1 text: the demo dossier's règlement summary."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = "BT /F1 11 Tf 50 790 Td 14 TL " + " ".join(f"({esc(line)}) '" for line in lines) + " ET"
    stream = text.encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _attach(
    document: PlanningDocument, version: PlanVersion, title: str, data: bytes, filename: str
) -> None:
    attached = AttachedFile(
        document=document,
        version=version,
        title=title,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content_type="application/pdf",
    )
    attached.file.save(filename, ContentFile(data), save=False)
    attached.save()


def has_data() -> bool:
    """True when the database already holds a territory (the demo or real data)."""
    return Region.objects.exists()


def load(
    *,
    seed: int = 20261124,
    zones: int = 1500,
    replace: bool = False,
    rasters_dir: Path | None = None,
    progress: bool = True,
) -> Dataset:
    """Generate the demo agglomeration and load it in one transaction."""
    ds = generate(seed=seed, zones=zones, progress=progress)
    steps = tqdm(total=8, desc="demo", unit="step", disable=not progress)
    with transaction.atomic():
        if replace:
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(DEMO_TABLES)} RESTART IDENTITY CASCADE")
        _load_territory(ds)
        steps.update()
        agency = _load_agencies(ds)
        steps.update()
        document = PlanningDocument.objects.create(
            code=ds.document["code"],
            doc_type=ds.document["doc_type"],
            name_fr=ds.document["name_fr"],
            name_ar=ds.document["name_ar"],
            agency=agency,
            perimeter=_geos(_multi(ds.document["perimeter"])),
        )
        document.communes.set(Commune.objects.filter(code__in=ds.document["commune_codes"]))
        _load_code_list(document)
        approved = services.version_create(
            document=document, label="Version homologation 2014", by=None
        )
        _load_zones(approved, ds.approved_zones)
        _load_prescriptions(approved, ds.approved_prescriptions)
        _load_articles(approved, ds.articles, ds.approved_zones)
        steps.update()
        services.version_submit_to_inquiry(version=approved, by=None)
        services.version_approve(
            version=approved,
            decree_reference="Décret n° 2-14-318",
            bulletin_officiel_date=APPROVED_BO_DATE,
            by=None,
        )
        _attach(
            document,
            approved,
            "Règlement d'aménagement (version homologuée)",
            minimal_pdf(
                [
                    ds.document["name_fr"],
                    "Reglement d'amenagement - homologation",
                    f"{len(ds.approved_zones)} zones",
                ]
            ),
            "reglement-2014.pdf",
        )
        draft = services.version_create(
            document=document, label="Version enquête publique / délibérations communales", by=None
        )
        PlanVersion.objects.filter(pk=draft.pk).update(parent=approved)
        _load_zones(draft, ds.draft_zones)
        _load_prescriptions(draft, ds.draft_prescriptions)
        _load_articles(draft, ds.articles, ds.draft_zones)
        steps.update()
        _attach(
            document,
            draft,
            "Règlement d'aménagement (projet soumis à enquête)",
            minimal_pdf(
                [
                    ds.document["name_fr"],
                    "Projet de revision - enquete publique",
                    f"{len(ds.draft_zones)} zones",
                ]
            ),
            "reglement-projet.pdf",
        )
        services.version_submit_to_inquiry(version=draft, by=None)
        _open_inquiry(draft)
        steps.update()
        _load_ground(ds)
        steps.update()
        _load_users()
        steps.update()
        out = rasters_dir or settings.MEDIA_ROOT / "rasters"
        out.mkdir(parents=True, exist_ok=True)
        write_rasters(ds, out, seed=seed)
        from watch.services import indicators_compute_demo

        indicators_compute_demo(rasters_dir=out, progress=False)
        steps.update()
    steps.close()
    return ds


def _load_code_list(document: PlanningDocument) -> None:
    # Each code's own rule values are its limits: a zone coded IB4 may not go beyond R+4.
    ZoneCode.objects.bulk_create(
        ZoneCode(
            document=document,
            code=code,
            family=rules["family"],
            label_fr=rules["label_fr"],
            label_ar=rules["label_ar"],
            max_levels_limit=rules["max_levels"],
            max_height_m_limit=rules["max_height_m"],
            ground_coverage_limit=rules["ground_coverage_max"],
            floor_area_ratio_limit=rules["floor_area_ratio_max"],
            min_lot_area_m2_floor=rules["min_lot_area_m2"],
        )
        for code, rules in sorted(ZONE_CODES.items())
    )


def _load_territory(ds: Dataset) -> None:
    region = Region.objects.create(
        code=ds.region["code"],
        name_fr=ds.region["name_fr"],
        name_ar=ds.region["name_ar"],
        geom=_geos(_multi(ds.region["geom"])),
    )
    provinces = {
        p["code"]: Province.objects.create(
            code=p["code"],
            name_fr=p["name_fr"],
            name_ar=p["name_ar"],
            region=region,
            geom=_geos(_multi(p["geom"])),
        )
        for p in ds.provinces
    }
    communes = {
        c["code"]: Commune.objects.create(
            code=c["code"],
            name_fr=c["name_fr"],
            name_ar=c["name_ar"],
            kind=c["kind"],
            province=provinces[c["province_code"]],
            geom=_geos(_multi(c["geom"])),
        )
        for c in ds.communes
    }
    District.objects.bulk_create(
        District(
            code=d["code"],
            name_fr=d["name_fr"],
            name_ar=d["name_ar"],
            commune=communes[d["commune_code"]],
            population=d["population"],
            geom=_geos(_multi(d["geom"])),
        )
        for d in ds.districts
    )


def _load_agencies(ds: Dataset) -> Agency:
    agency = Agency.objects.create(
        code=ds.agency["code"], name_fr=ds.agency["name_fr"], name_ar=ds.agency["name_ar"]
    )
    agency.provinces.set(Province.objects.filter(code__in=ds.agency["province_codes"]))
    # A second agency with no territory here, for permission stories (a planner of agency B).
    Agency.objects.create(
        code="AUEJ", name_fr="Agence urbaine d'El Jadida", name_ar="الوكالة الحضرية للجديدة"
    )
    return agency


def _open_inquiry(version: PlanVersion) -> None:
    from inquiry.demo import add_demo_observations
    from inquiry.models import Regime

    # The demo inquiry opened ten days ago (database clock) and runs for a month.
    opens_at = db_now().replace(hour=9, minute=0, second=0, microsecond=0) - dt.timedelta(days=10)
    inquiry = Inquiry.objects.create(
        version=version,
        title_fr=f"Enquête publique: {version.document.name_fr}",
        title_ar=f"بحث عمومي: {version.document.name_ar}",
        status=InquiryStatus.OPEN,
        regime=Regime.objects.get(code="ma-plan-amenagement"),
        opens_at=opens_at,
        closes_at=opens_at + dt.timedelta(days=30),
    )
    InquiryEvent.objects.create(inquiry=inquiry, from_status="", to_status=InquiryStatus.SCHEDULED)
    InquiryEvent.objects.create(
        inquiry=inquiry, from_status=InquiryStatus.SCHEDULED, to_status=InquiryStatus.OPEN
    )
    add_demo_observations(inquiry)


def _load_ground(ds: Dataset) -> None:
    communes = dict(Commune.objects.values_list("code", "id"))
    copy_rows(
        "territory_equipment",
        ["kind", "name_fr", "name_ar", "commune_id", "geom"],
        (
            (e["kind"], e["name_fr"], e["name_ar"], communes[e["commune_code"]], g)
            for e, g in zip(ds.equipment, _ewkb(e["geom"] for e in ds.equipment), strict=True)
        ),
    )
    copy_rows(
        "territory_buildingpermit",
        ["reference", "kind", "issued_on", "floor_area_m2", "levels", "commune_id", "geom"],
        (
            (
                p["reference"],
                p["kind"],
                p["issued_on"],
                p["floor_area_m2"],
                p["levels"],
                communes[p["commune_code"]],
                g,
            )
            for p, g in zip(ds.permits, _ewkb(p["geom"] for p in ds.permits), strict=True)
        ),
    )
    copy_rows(
        "territory_basefeature",
        ["kind", "name_fr", "name_ar", "geom"],
        (
            (b["kind"], b.get("name_fr") or "", b.get("name_ar") or "", g)
            for b, g in zip(ds.basemap, _ewkb(b["geom"] for b in ds.basemap), strict=True)
        ),
    )


def _load_users() -> None:
    agencies = dict(Agency.objects.values_list("code", "id"))
    for username, role, agency_code in DEMO_USERS:
        user = User(
            username=username,
            role=role,
            agency_id=agencies.get(agency_code),
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
            email=f"{username}@demo.e-urbanisme.ma",
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        if role == Role.COMMISSION:
            for inquiry in Inquiry.objects.all():
                inquiry.commission.add(user)


__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DocumentStatus", "has_data", "load"]
