"""The "note de renseignements urbanistiques": the zoning lookup at a point or on a parcel, as a
PDF with a map extract, in French or Arabic.

Everything comes from the `publish` views through the read-only role (the same `lookup` as the
OGC process `zoning-lookup`), so the note can show nothing the public may not see. The map
extract is drawn from PostGIS geometries as vector graphics: no tile or basemap server.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from fpdf import FPDF

from common.db import db_now
from common.errors import Refused
from inquiry.certified import ERR_FONTS, FONT_DIR, FONTS

from .ogc import db
from .ogc.crs import output_crs
from .ogc.process import crs_uri, lookup

LANGS = ("fr", "ar")
PLANS = ("approved", "draft")
# The extract shows at least this many metres around the point, in a frame of MAP_W x MAP_H mm.
MAP_W, MAP_H = 180.0, 105.0
MIN_HALF_WIDTH_M = 300.0
MARGIN_M = 60.0
MAP_SRID = 26191  # Merchich / Nord Maroc: metres, so the extract and its scale bar are true
# A piece of zone smaller than this (mm²) in the extract gets no code: it would not fit.
MIN_LABEL_MM2 = 40.0
POINT_RGB = (200, 30, 30)

ERR_NOTHING = "No published plan covers this place{plan}: {where}."
ERR_ZONE = "Zone {id} is not published (or no longer is)."

FAMILY_RGB = {
    "dense_housing": (214, 96, 77),
    "villas": (244, 165, 130),
    "mixed": (194, 165, 207),
    "economic": (123, 111, 184),
    "tourism": (53, 151, 143),
    "equipment": (67, 147, 195),
    "green": (90, 174, 97),
    "rural": (223, 194, 125),
    "no_build": (158, 158, 158),
}

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Note de renseignements urbanistiques",
        "subtitle": "Extrait des documents d’urbanisme publiés — e-urbanisme",
        "place": "Localisation",
        "coordinates": "Coordonnées (WGS 84)",
        "commune": "Commune",
        "parcel_area": "Superficie de la parcelle",
        "plan": "Document d’urbanisme",
        "version": "Version",
        "legal": "Statut juridique",
        "approved_on": "Approuvé le {date}",
        "decree": "{ref}",
        "bo": "Bulletin officiel du {date}",
        "inquiry": "Enquête publique du {opens} au {closes}",
        "zone": "Zone {code}",
        "family": "Vocation",
        "overlap": "Part de la parcelle dans la zone",
        "rules": "Règles de construction",
        "allowed": "Occupations autorisées",
        "prohibited": "Occupations interdites",
        "articles": "Articles du règlement",
        "article": "Article {n}",
        "prescriptions": "Prescriptions",
        "no_prescription": "Aucune prescription à cet endroit.",
        "expires": "effet jusqu’au {date}",
        "map": "Extrait du plan",
        "map_note": "Zones du plan autour du lieu (codes), lieu en rouge. Échelle 1/{scale}.",
        "issued": "Délivrée le {date} (heure de Casablanca)",
        "disclaimer": (
            "Cette note est établie à titre d’information à partir des documents d’urbanisme "
            "publiés à la date de délivrance. Elle ne vaut ni autorisation de construire ni "
            "certificat d’urbanisme et ne préjuge pas des droits des tiers. Seuls font foi les "
            "documents approuvés et publiés au Bulletin officiel, consultables auprès de "
            "l’agence urbaine. Un projet soumis à enquête publique n’est pas opposable."
        ),
        "none": "Non réglementé",
        "yes": "oui",
    },
    "ar": {
        "title": "مذكرة المعلومات التعميرية",
        "subtitle": "مستخرج من وثائق التعمير المنشورة — e-urbanisme",
        "place": "الموقع",
        "coordinates": "الإحداثيات (WGS 84)",
        "commune": "الجماعة",
        "parcel_area": "مساحة القطعة",
        "plan": "وثيقة التعمير",
        "version": "النسخة",
        "legal": "الوضع القانوني",
        "approved_on": "صودق عليه بتاريخ {date}",
        "decree": "{ref}",
        "bo": "الجريدة الرسمية بتاريخ {date}",
        "inquiry": "البحث العمومي من {opens} إلى {closes}",
        "zone": "المنطقة {code}",
        "family": "التخصيص",
        "overlap": "جزء القطعة الواقع في المنطقة",
        "rules": "قواعد البناء",
        "allowed": "الاستعمالات المسموح بها",
        "prohibited": "الاستعمالات الممنوعة",
        "articles": "مواد نظام التهيئة",
        "article": "المادة {n}",
        "prescriptions": "الارتفاقات والتخصيصات",
        "no_prescription": "لا يوجد أي تخصيص أو ارتفاق في هذا الموقع.",
        "expires": "ساري المفعول إلى غاية {date}",
        "map": "مقتطف من التصميم",
        "map_note": "مناطق التصميم حول الموقع (الرموز)، والموقع باللون الأحمر. السلم 1/{scale}.",
        "issued": "سلمت بتاريخ {date} (توقيت الدار البيضاء)",
        "disclaimer": (
            "أعدت هذه المذكرة على سبيل الإخبار انطلاقا من وثائق التعمير المنشورة في تاريخ "
            "تسليمها. ولا تعتبر رخصة بناء ولا شهادة تعميرية، ولا تمس بحقوق الأغيار. ولا يعتد "
            "إلا بالوثائق المصادق عليها والمنشورة في الجريدة الرسمية، والتي يمكن الاطلاع عليها "
            "لدى الوكالة الحضرية. والمشروع المعروض على البحث العمومي غير ملزم."
        ),
        "none": "غير مقنن",
        "yes": "نعم",
    },
}

RULES = {
    "fr": {
        "max_levels": "Nombre de niveaux",
        "max_height_m": "Hauteur maximale",
        "ground_coverage_max": "Coefficient d’occupation du sol (emprise) — COS",
        "floor_area_ratio_max": "Coefficient d’utilisation du sol — CUS",
        "min_lot_area_m2": "Surface minimale de la parcelle",
        "setback_road_m": "Recul par rapport à la voie",
        "setback_neighbour_m": "Recul par rapport aux limites séparatives",
    },
    "ar": {
        "max_levels": "عدد الطوابق",
        "max_height_m": "العلو الأقصى",
        "ground_coverage_max": "معامل شغل الأرض (المساحة المبنية) — COS",
        "floor_area_ratio_max": "معامل استعمال الأرض — CUS",
        "min_lot_area_m2": "المساحة الدنيا للبقعة",
        "setback_road_m": "التراجع عن الطريق",
        "setback_neighbour_m": "التراجع عن الحدود الفاصلة",
    },
}
SEPARATOR = {"fr": ", ", "ar": "، "}
UNITS = {"fr": {"m": "{v} m", "m2": "{v} m²"}, "ar": {"m": "{v} م", "m2": "{v} م²"}}

FAMILIES = {
    "fr": {
        "dense_housing": "Habitat dense (immeubles)",
        "villas": "Villas",
        "mixed": "Zone mixte",
        "economic": "Activités économiques",
        "tourism": "Zone touristique",
        "equipment": "Équipements",
        "green": "Espaces verts",
        "rural": "Zone rurale",
        "no_build": "Non aedificandi",
    },
    "ar": {
        "dense_housing": "سكن كثيف (عمارات)",
        "villas": "فيلات",
        "mixed": "منطقة مختلطة",
        "economic": "أنشطة اقتصادية",
        "tourism": "منطقة سياحية",
        "equipment": "تجهيزات",
        "green": "مساحات خضراء",
        "rural": "منطقة قروية",
        "no_build": "منطقة غير قابلة للبناء",
    },
}
KINDS = {
    "fr": {
        "equipment_reservation": "Réservation pour équipement public",
        "road_reservation": "Emprise de voirie projetée",
        "green_reservation": "Réservation d’espace vert",
        "easement": "Servitude",
        "no_build_area": "Zone non aedificandi",
    },
    "ar": {
        "equipment_reservation": "بقعة مخصصة لتجهيز عمومي",
        "road_reservation": "طريق مبرمجة",
        "green_reservation": "بقعة مخصصة لمساحة خضراء",
        "easement": "ارتفاق",
        "no_build_area": "منطقة غير قابلة للبناء",
    },
}
USES = {
    "fr": {
        "housing": "Habitation",
        "retail": "Commerce",
        "offices": "Bureaux et services",
        "crafts": "Artisanat",
        "hotel": "Hôtellerie",
        "public_equipment": "Équipements publics",
        "leisure": "Loisirs et sports",
        "industry": "Industrie",
        "warehousing": "Entrepôts",
        "polluting_industry": "Établissements insalubres ou polluants",
        "quarry": "Carrières",
        "agriculture": "Agriculture",
        "any_building": "Toute construction",
    },
    "ar": {
        "housing": "السكن",
        "retail": "التجارة",
        "offices": "المكاتب والخدمات",
        "crafts": "الصناعة التقليدية",
        "hotel": "الفندقة",
        "public_equipment": "التجهيزات العمومية",
        "leisure": "الترفيه والرياضة",
        "industry": "الصناعة",
        "warehousing": "المستودعات",
        "polluting_industry": "المؤسسات المضرة أو الملوثة",
        "quarry": "المقالع",
        "agriculture": "الفلاحة",
        "any_building": "كل أنواع البناء",
    },
}

# The place in the map's metric CRS, the commune that holds it, and the zones of one plan
# status around it, clipped to the extract's frame (largest first, so enclaves draw on top).
EXTRACT_SQL = """
WITH q AS (
  SELECT ST_Transform(ST_SetSRID(
           CASE WHEN %(flip)s THEN ST_FlipCoordinates(ST_GeomFromGeoJSON(%(geometry)s))
                ELSE ST_GeomFromGeoJSON(%(geometry)s) END, %(srid)s), 4326) AS g
), m AS (
  SELECT g, ST_Transform(g, %(map_srid)s) AS gm FROM q
), frame AS (
  SELECT ST_MakeEnvelope(cx - hw, cy - hh, cx + hw, cy + hh, %(map_srid)s) AS f
  FROM (
    SELECT cx, cy, hw, hw * %(ratio)s AS hh
    FROM (
      SELECT (ST_XMin(gm) + ST_XMax(gm)) / 2 AS cx, (ST_YMin(gm) + ST_YMax(gm)) / 2 AS cy,
             greatest(%(min_hw)s, (ST_XMax(gm) - ST_XMin(gm)) / 2 + %(margin)s,
                      ((ST_YMax(gm) - ST_YMin(gm)) / 2 + %(margin)s) / %(ratio)s) AS hw
      FROM m) c) s
)
SELECT json_build_object(
  'point', (SELECT json_build_array(round(ST_X(p)::numeric, 6), round(ST_Y(p)::numeric, 6))
            FROM (SELECT ST_PointOnSurface(g) AS p FROM m) pt),
  'commune', (SELECT json_build_object('code', t.code, 'name_fr', t.name_fr, 'name_ar', t.name_ar)
              FROM publish.territories t, m
              WHERE t.level = 'commune' AND ST_Intersects(t.geom, ST_PointOnSurface(m.g))
              LIMIT 1),
  'frame', (SELECT json_build_array(ST_XMin(f), ST_YMin(f), ST_XMax(f), ST_YMax(f)) FROM frame),
  'place', (SELECT ST_AsGeoJSON(gm, 1)::json FROM m),
  'zones_extract', coalesce((
    SELECT json_agg(json_build_object(
             'code', z.code, 'family', z.family,
             'shape', ST_AsGeoJSON(z.piece, 1)::json,
             'label_at', ST_AsGeoJSON(ST_PointOnSurface(z.piece), 1)::json,
             'area', ST_Area(z.piece)) ORDER BY ST_Area(z.piece) DESC)
    FROM (
      SELECT z.code, z.family,
             ST_CollectionExtract(ST_Intersection(ST_Transform(z.geom, %(map_srid)s), frame.f), 3)
               AS piece
      FROM publish.zones z, frame
      WHERE z.status = %(status)s
        AND z.geom && ST_Transform(frame.f, 4326)
        AND ST_Intersects(z.geom, ST_Transform(frame.f, 4326))) z
    WHERE NOT ST_IsEmpty(z.piece)), '[]'::json)
)
"""

ZONE_POINT_SQL = """
SELECT ST_AsGeoJSON(ST_PointOnSurface(geom), 7)::json, status FROM publish.zones WHERE id = %s
"""


def zone_point(zone_id: int) -> tuple[dict, str]:
    """A point inside a published zone (GeoJSON, CRS84) and the zone's plan status."""
    with db.pool().connection() as conn:
        row = conn.execute(ZONE_POINT_SQL, [zone_id]).fetchone()
    if row is None:
        raise Refused(ERR_ZONE.format(id=zone_id), code="zone_not_published", status=404)
    return row[0], row[1]


def note_data(*, geometry: dict, crs: str | None = None, plan: str | None = None) -> dict:
    """The lookup at a place, plus its commune and the map extract of the plan shown.

    `plan` keeps the zones of one status only ('approved' or 'draft'); without it, every
    published plan that covers the place is given, the approved one first.
    """
    try:
        result = lookup(geometry, crs)
    except ValueError as err:
        raise Refused(str(err), code="bad_geometry") from None
    zones = [z for z in result["zones"] if plan is None or z["legal_status"]["status"] == plan]
    if not zones:
        where = json.dumps(geometry.get("coordinates"))[:120]
        which = f" (plan: {plan})" if plan else ""
        raise Refused(ERR_NOTHING.format(plan=which, where=where), code="not_covered", status=404)
    out = output_crs(crs_uri(crs))
    params = {
        "geometry": json.dumps(geometry),
        "srid": out.srid,
        "flip": out.flip,
        "map_srid": MAP_SRID,
        "ratio": MAP_H / MAP_W,
        "min_hw": MIN_HALF_WIDTH_M,
        "margin": MARGIN_M,
        "status": zones[0]["legal_status"]["status"],
    }
    with db.pool().connection() as conn:
        extract = conn.execute(EXTRACT_SQL, params).fetchone()[0]
    return {**result, "zones": zones, **extract}


# --- formatting -----------------------------------------------------------------------------


def _number(value: float, digits: int = 2) -> str:
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"
    return text.replace(",", "\u202f").replace(".", ",")


def _date(value: str | None) -> str:
    if not value:
        return "—"
    if "T" in value:
        moment = datetime.fromisoformat(value)
        return timezone.localtime(moment).strftime("%d/%m/%Y")
    return date.fromisoformat(value).strftime("%d/%m/%Y")


def rule_rows(rules: dict, lang: str) -> list[tuple[str, str]]:
    """(label, value) of each building rule, 'not regulated' where the plan sets none."""
    none = TEXTS[lang]["none"]
    unit = UNITS[lang]
    values = {
        "max_levels": f"R+{rules['max_levels']}" if rules["max_levels"] is not None else None,
        "max_height_m": rules["max_height_m"],
        "ground_coverage_max": rules["ground_coverage_max"],
        "floor_area_ratio_max": rules["floor_area_ratio_max"],
        "min_lot_area_m2": rules["min_lot_area_m2"],
        "setback_road_m": rules["setback_road_m"],
        "setback_neighbour_m": rules["setback_neighbour_m"],
    }
    rows = []
    for key, label in RULES[lang].items():
        value = values[key]
        if value is None:
            text = none
        elif key == "max_levels":
            text = value
        elif key == "min_lot_area_m2":
            text = unit["m2"].format(v=_number(float(value), digits=0))
        elif key.endswith("_m"):
            text = unit["m"].format(v=_number(float(value)))
        elif key == "ground_coverage_max":
            text = f"{_number(float(value))} ({_number(float(value) * 100, digits=0)} %)"
        else:
            text = _number(float(value))
        rows.append((label, text))
    return rows


def legal_lines(zone: dict, lang: str) -> list[str]:
    """The legal status of the zone's plan version: approved with its decree, or draft."""
    t = TEXTS[lang]
    version = zone["plan_version"] or {}
    lines = [zone["legal_status"][lang]]
    if zone["legal_status"]["status"] == "approved":
        if version.get("approved_on"):
            lines.append(t["approved_on"].format(date=_date(version["approved_on"])))
        if version.get("decree_reference"):
            lines.append(t["decree"].format(ref=version["decree_reference"]))
        if version.get("bulletin_officiel_date"):
            lines.append(t["bo"].format(date=_date(version["bulletin_officiel_date"])))
    elif version.get("inquiry_opens_at"):
        lines.append(
            t["inquiry"].format(
                opens=_date(version["inquiry_opens_at"]),
                closes=_date(version.get("inquiry_closes_at")),
            )
        )
    return lines


def _localized(obj: dict, base: str, lang: str) -> str:
    order = ("ar", "fr") if lang == "ar" else ("fr", "ar")
    for suffix in order:
        if obj.get(f"{base}_{suffix}"):
            return obj[f"{base}_{suffix}"]
    return ""


# --- the PDF --------------------------------------------------------------------------------


class NotePDF(FPDF):
    """A4 pages, in French (left to right) or Arabic (right to left), Noto fonts."""

    def __init__(self, lang: str, footer_text: str) -> None:
        super().__init__(format="A4")
        self.lang = lang
        self.footer_text = footer_text
        self.align = "R" if lang == "ar" else "L"
        for (family, style), name in FONTS.items():
            path = FONT_DIR / name
            if not path.is_file():
                raise FileNotFoundError(ERR_FONTS.format(dir=FONT_DIR))
            self.add_font(family, style, str(path))
        # Arabic text is shaped (harfbuzz) and laid out right to left by fpdf2's bidi support.
        self.main_font = "NotoSansArabic" if lang == "ar" else "NotoSans"
        other = "NotoSans" if lang == "ar" else "NotoSansArabic"
        self.set_fallback_fonts([other])
        self.set_text_shaping(True)
        self.set_auto_page_break(True, margin=16)
        self.set_creator("e-urbanisme")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.main_font, size=7)
        self.set_text_color(90)
        self.cell(0, 5, f"{self.footer_text} — {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def para(self, text: str, size: float = 9.5, style: str = "", height: float = 5.2) -> None:
        """A paragraph in the reading direction of the note."""
        self.set_font(self.main_font, style, size)
        self.multi_cell(0, height, text, align=self.align, new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str, size: float = 11.5) -> None:
        """A section heading, with a rule under it."""
        self.ln(2)
        self.set_text_color(11, 79, 108)
        self.para(text, size=size, style="B", height=6.5)
        self.set_text_color(0)
        self.set_draw_color(11, 79, 108)
        self.set_line_width(0.3)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)

    def fact(self, label: str, value: str) -> None:
        """`label` and its `value` side by side (label first in the reading direction), kept
        together on one page."""
        label_w = 70.0
        value_w = self.epw - label_w - 2
        self.set_font(self.main_font, "B", 9.5)
        label_h = self.multi_cell(label_w, 5.2, label, dry_run=True, output="HEIGHT")
        self.set_font(self.main_font, "", 9.5)
        value_h = self.multi_cell(value_w, 5.2, value, dry_run=True, output="HEIGHT")
        height = max(label_h, value_h)
        if self.will_page_break(height):
            self.add_page()
        y = self.get_y()
        if self.lang == "ar":
            label_x, value_x = self.l_margin + value_w + 2, self.l_margin
        else:
            label_x, value_x = self.l_margin, self.l_margin + label_w + 2
        self.set_xy(label_x, y)
        self.set_font(self.main_font, "B", 9.5)
        self.multi_cell(label_w, 5.2, label, align=self.align)
        self.set_xy(value_x, y)
        self.set_font(self.main_font, "", 9.5)
        self.multi_cell(value_w, 5.2, value, align=self.align)
        self.set_xy(self.l_margin, y + height)


def _draw_extract(pdf: NotePDF, data: dict) -> int:
    """The zones around the place, their codes, the place in red; returns the scale's
    denominator."""
    xmin, ymin, xmax, ymax = data["frame"]
    scale = MAP_W / (xmax - xmin)  # mm per metre
    left = pdf.l_margin + (pdf.w - pdf.l_margin - pdf.r_margin - MAP_W) / 2
    top = pdf.get_y() + 1

    def at(x: float, y: float) -> tuple[float, float]:
        return left + (x - xmin) * scale, top + (ymax - y) * scale

    def polygons(geojson: dict) -> list:
        if geojson["type"] == "Polygon":
            return [geojson["coordinates"]]
        if geojson["type"] == "MultiPolygon":
            return geojson["coordinates"]
        return []

    pdf.set_fill_color(243, 240, 232)
    pdf.rect(left, top, MAP_W, MAP_H, style="F")
    pdf.set_line_width(0.2)
    pdf.set_draw_color(74, 64, 54)
    for zone in data["zones_extract"]:
        r, g, b = FAMILY_RGB.get(zone["family"], (204, 204, 204))
        # The family's colour lightened, as on the web map's fill (opacity ~0.6).
        pdf.set_fill_color(*(round(c * 0.6 + 255 * 0.4) for c in (r, g, b)))
        for polygon in polygons(zone["shape"]):
            pdf.polygon([at(x, y) for x, y in polygon[0]], style="DF")
            for hole in polygon[1:]:
                pdf.set_fill_color(243, 240, 232)
                pdf.polygon([at(x, y) for x, y in hole], style="DF")
                pdf.set_fill_color(*(round(c * 0.6 + 255 * 0.4) for c in (r, g, b)))
    pdf.set_font("NotoSans", "B", 7.5)
    pdf.set_text_color(26)
    for zone in data["zones_extract"]:
        if zone["area"] * scale * scale < MIN_LABEL_MM2:
            continue
        x, y = at(*zone["label_at"]["coordinates"])
        width = pdf.get_string_width(zone["code"]) + 2
        pdf.set_fill_color(255, 255, 255)
        pdf.set_xy(x - width / 2, y - 2)
        pdf.cell(width, 4, zone["code"], align="C", fill=True)

    place = data["place"]
    pdf.set_draw_color(*POINT_RGB)
    pdf.set_fill_color(*POINT_RGB)
    if place["type"] == "Point":
        cx, cy = at(*place["coordinates"])
        pdf.set_line_width(0.5)
        pdf.set_draw_color(255, 255, 255)
        pdf.circle(x=cx, y=cy, radius=1.8, style="DF")
        pdf.set_draw_color(*POINT_RGB)
        pdf.line(cx - 4, cy, cx - 2.2, cy)
        pdf.line(cx + 2.2, cy, cx + 4, cy)
        pdf.line(cx, cy - 4, cx, cy - 2.2)
        pdf.line(cx, cy + 2.2, cx, cy + 4)
    else:
        pdf.set_line_width(0.8)
        for polygon in polygons(place):
            for ring in polygon:
                pdf.polygon([at(x, y) for x, y in ring], style="D")

    # Frame, north arrow and scale bar.
    pdf.set_draw_color(60)
    pdf.set_line_width(0.3)
    pdf.rect(left, top, MAP_W, MAP_H, style="D")
    pdf.set_fill_color(40)
    nx, ny = left + MAP_W - 8, top + 4
    pdf.polygon([(nx, ny), (nx - 2, ny + 6), (nx + 2, ny + 6)], style="F")
    pdf.set_text_color(40)
    pdf.set_font("NotoSans", "B", 7)
    pdf.set_xy(nx - 3, ny + 6.3)
    pdf.cell(6, 3.5, "N", align="C")
    bar_m = _round_length(0.25 * (xmax - xmin))
    bar_mm = bar_m * scale
    bx, by = left + 5, top + MAP_H - 6
    pdf.set_font("NotoSans", size=7)
    bar_text = f"0 — {bar_m:g} m"
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(bx - 2, by - 4.5, max(bar_mm, pdf.get_string_width(bar_text)) + 4, 7, style="F")
    pdf.set_fill_color(40)
    pdf.rect(bx, by, bar_mm, 1.2, style="F")
    pdf.set_xy(bx, by - 4)
    pdf.cell(bar_mm, 3.5, bar_text, align="L")
    pdf.set_text_color(0)
    pdf.set_y(top + MAP_H + 1.5)
    return round(1000 / scale, -1)


def _round_length(metres: float) -> float:
    """A round length (1, 2 or 5 times a power of ten) not longer than `metres`."""
    power = 10 ** math.floor(math.log10(metres))
    return max(step * power for step in (1, 2, 5) if step * power <= metres)


def note_pdf(data: dict[str, Any], lang: str) -> bytes:
    """The note as PDF bytes, in French ('fr') or Arabic ('ar')."""
    t = TEXTS[lang]
    issued = timezone.localtime(db_now())
    pdf = NotePDF(lang, f"{t['title']} — {issued:%d/%m/%Y %H:%M}")
    pdf.set_title(t["title"])
    pdf.set_lang(lang)
    pdf.add_page()
    pdf.set_text_color(11, 79, 108)
    pdf.para(t["title"], size=16, style="B", height=8)
    pdf.set_text_color(90)
    pdf.para(t["subtitle"], size=9)
    pdf.para(t["issued"].format(date=f"{issued:%d/%m/%Y %H:%M}"), size=9)
    pdf.set_text_color(0)

    pdf.heading(t["place"])
    lon, lat = data["point"]
    pdf.fact(t["coordinates"], f"{lat:.6f} N, {abs(lon):.6f} {'W' if lon < 0 else 'E'}")
    if data.get("commune"):
        commune = data["commune"]
        pdf.fact(t["commune"], f"{_localized(commune, 'name', lang)} ({commune['code']})")
    if data.get("area_m2"):
        pdf.fact(t["parcel_area"], UNITS[lang]["m2"].format(v=_number(data["area_m2"], digits=0)))

    for zone in data["zones"]:
        version = zone["plan_version"] or {}
        pdf.heading(t["zone"].format(code=zone["code"]), size=13)
        label = _localized(zone, "label", lang)
        if label:
            pdf.para(label, style="B")
        pdf.fact(t["family"], FAMILIES[lang].get(zone["family"], zone["family"]))
        title = (version.get("title_ar") if lang == "ar" else None) or version.get("title", "")
        pdf.fact(t["plan"], f"{title} ({version.get('document_code', '')})")
        pdf.fact(t["legal"], "\n".join(legal_lines(zone, lang)))
        if zone.get("overlap_m2") is not None:
            overlap = _number(zone["overlap_m2"], digits=0)
            pdf.fact(t["overlap"], UNITS[lang]["m2"].format(v=overlap))

        pdf.heading(t["rules"], size=10.5)
        for label_text, value in rule_rows(zone["rules"], lang):
            pdf.fact(label_text, value)
        for key in ("allowed", "prohibited"):
            uses = zone["rules"].get(f"{key}_uses")
            if uses:
                pdf.fact(t[key], SEPARATOR[lang].join(USES[lang].get(u, u) for u in uses))

        pdf.heading(t["prescriptions"], size=10.5)
        if not zone["prescriptions"]:
            pdf.para(t["no_prescription"])
        for p in zone["prescriptions"]:
            text = KINDS[lang].get(p["kind"], p["kind"])
            label = _localized(p, "label", lang)
            if label:
                text += f" : {label}" if lang == "fr" else f": {label}"
            if p.get("expires_on"):
                text += f" ({t['expires'].format(date=_date(p['expires_on']))})"
            pdf.para(f"• {text}")

        if zone["articles"]:
            pdf.heading(t["articles"], size=10.5)
            for article in zone["articles"]:
                title = _localized(article, "title", lang)
                number = str(article["number"]).removeprefix("Art.").strip()
                head = t["article"].format(n=number)
                pdf.para(f"{head} — {title}" if title else head, style="B", size=9)
                body = _localized(article, "body", lang)
                if body:
                    pdf.para(body, size=8.5, height=4.6)

    if pdf.get_y() + MAP_H + 20 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.heading(t["map"])
    denominator = _draw_extract(pdf, data)
    pdf.set_text_color(90)
    pdf.para(t["map_note"].format(scale=_number(denominator, digits=0)), size=8)
    pdf.set_text_color(0)

    pdf.ln(3)
    pdf.set_fill_color(245, 245, 245)
    pdf.set_font(pdf.main_font, "", 8.5)
    box = {"align": pdf.align, "fill": True, "padding": 2}
    height = pdf.multi_cell(0, 4.6, t["disclaimer"], dry_run=True, output="HEIGHT", **box)
    if pdf.will_page_break(height):
        pdf.add_page()
    pdf.multi_cell(0, 4.6, t["disclaimer"], new_x="LMARGIN", new_y="NEXT", **box)
    return bytes(pdf.output())
