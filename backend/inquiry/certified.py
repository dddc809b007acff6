"""The certified register: a PDF of every entry with its SHA-256, a map, and the register digest."""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from fpdf import FPDF
from shapely import wkb

from common.db import db_now

from .exports import register_digest, register_rows
from .models import Channel, Inquiry, Theme

FONT_DIR = Path(getattr(settings, "EU_FONT_DIR", "/usr/share/fonts/truetype/noto"))
FONTS = {
    ("NotoSans", ""): "NotoSans-Regular.ttf",
    ("NotoSans", "B"): "NotoSans-Bold.ttf",
    ("NotoSansArabic", ""): "NotoSansArabic-Regular.ttf",
    ("NotoSansArabic", "B"): "NotoSansArabic-Bold.ttf",
}
ERR_FONTS = "The Noto fonts are missing from {dir} (apt-get install fonts-noto-core)."
MAP_W, MAP_H = 180.0, 150.0  # mm
# fontTools reports every subsetting step at INFO level.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M:%S")


class RegisterPDF(FPDF):
    """A4 pages with the register's digest in every footer."""

    digest = ""
    title_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("NotoSans", size=7)
        self.set_text_color(90)
        self.cell(
            0,
            5,
            f"{self.title_text} — empreinte du registre {self.digest[:16]}… — "
            f"page {self.page_no()}/{{nb}}",
            align="C",
        )
        self.set_text_color(0)


def _pdf(inquiry: Inquiry, digest: str) -> RegisterPDF:
    pdf = RegisterPDF(format="A4")
    for (family, style), name in FONTS.items():
        path = FONT_DIR / name
        if not path.is_file():
            raise FileNotFoundError(ERR_FONTS.format(dir=FONT_DIR))
        pdf.add_font(family, style, str(path))
    # Arabic text is shaped (harfbuzz) and drawn from the Arabic font when Noto Sans lacks it.
    pdf.set_fallback_fonts(["NotoSansArabic"])
    pdf.set_text_shaping(True)
    pdf.set_auto_page_break(True, margin=16)
    pdf.digest = digest
    pdf.title_text = f"Registre d'enquête n° {inquiry.pk}"
    pdf.set_title(pdf.title_text)
    pdf.set_creator("e-urbanisme")
    return pdf


def _perimeter(inquiry: Inquiry) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsGeoJSON(ST_SimplifyPreserveTopology(d.perimeter, 0.0005)) "
            "FROM planning_planversion v JOIN planning_planningdocument d ON d.id = v.document_id "
            "WHERE v.id = %s",
            [inquiry.version_id],
        )
        return json.loads(cursor.fetchone()[0])


def _draw_map(pdf: RegisterPDF, inquiry: Inquiry, rows: list[dict]) -> None:
    """The plan's perimeter and every located entry (hidden ones in grey), to scale."""
    perimeter = _perimeter(inquiry)
    polygons = perimeter["coordinates"]
    if perimeter["type"] == "Polygon":
        polygons = [polygons]
    rings = [ring for polygon in polygons for ring in polygon]
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    kx = math.cos(math.radians((min(ys) + max(ys)) / 2))
    scale = min(MAP_W / ((max(xs) - min(xs)) * kx), MAP_H / (max(ys) - min(ys)))
    left, top = pdf.l_margin, pdf.get_y() + 2

    def at(x: float, y: float) -> tuple[float, float]:
        return left + (x - min(xs)) * kx * scale, top + (max(ys) - y) * scale

    pdf.set_draw_color(11, 79, 108)
    pdf.set_line_width(0.4)
    for ring in rings:
        pdf.polygon([at(x, y) for x, y in ring], style="D")
    for row in rows:
        if row["geom"] is None:
            continue
        centre = wkb.loads(row["geom"]).representative_point()
        cx, cy = at(centre.x, centre.y)
        pdf.set_fill_color(*((150, 150, 150) if row["hidden"] else (194, 65, 12)))
        pdf.circle(x=cx, y=cy, radius=1.2, style="F")
    pdf.set_y(top + MAP_H + 4)


def register_pdf(inquiry: Inquiry) -> bytes:
    """The certified register of an inquiry as PDF bytes."""
    rows = register_rows(inquiry)
    digest = register_digest(rows)
    pdf = _pdf(inquiry, digest)
    document = inquiry.version.document
    pdf.add_page()
    pdf.set_font("NotoSans", "B", 15)
    pdf.multi_cell(
        0,
        8,
        "Registre d'enquête publique — extrait certifié conforme",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("NotoSans", size=10)
    pdf.multi_cell(0, 6, inquiry.title_fr, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, inquiry.title_ar, align="R", new_x="LMARGIN", new_y="NEXT")
    facts = [
        ("Document", f"{document.doc_type} {document.name_fr} ({document.code})"),
        ("Version soumise", f"v{inquiry.version.number} — {inquiry.version.label}"),
        ("Régime", str(inquiry.regime or "—")),
        ("Ouverture", _local(inquiry.opens_at)),
        ("Clôture", _local(inquiry.closes_at)),
        ("Statut", inquiry.get_status_display()),
        ("Édité le", f"{_local(db_now())} (heure de Casablanca, horloge de la base)"),
        ("Inscriptions", str(len(rows))),
    ]
    channels = Counter(r["channel"] for r in rows)
    facts.append(
        ("Par canal", ", ".join(f"{Channel(k).label}: {v}" for k, v in sorted(channels.items())))
    )
    facts.append(("Masquées (modération)", str(sum(r["hidden"] for r in rows))))
    for label, value in facts:
        pdf.set_font("NotoSans", "B", 9)
        pdf.cell(48, 5.5, label)
        pdf.set_font("NotoSans", size=9)
        pdf.multi_cell(0, 5.5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("NotoSans", "B", 9)
    pdf.multi_cell(
        0,
        5,
        "Empreinte SHA-256 du registre (chaînage des empreintes des inscriptions) :",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("NotoSans", size=8)
    pdf.multi_cell(0, 5, digest, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _draw_map(pdf, inquiry, rows)

    pdf.add_page()
    for row in rows:
        head = (
            f"N° {row['register_number']} — {row['submitted_at'][:19].replace('T', ' ')} — "
            f"{Channel(row['channel']).label} — {Theme(row['theme']).label}"
        )
        pdf.set_font("NotoSans", "B", 9)
        pdf.multi_cell(0, 5, head, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("NotoSans", size=8)
        details = [
            f"Auteur : {row['author_name']}"
            + (" (publication nominative)" if row["publish_named"] else " (publication anonyme)"),
            f"Zone : {row['zone_code'] or '—'} ; commune : {row['commune'] or '—'}",
        ]
        if row["corrects_number"]:
            details.append(f"Corrige l'inscription n° {row['corrects_number']}")
        if not row["consent_publication"]:
            details.append("Non publiée (pas d'accord de publication)")
        if row["hidden"]:
            details.append(f"Masquée au public : {row['hidden_reason']}")
        if row["attachments"]:
            details.append(f"Pièces : {row['attachments']}")
        details.append(f"SHA-256 : {row['content_sha256']}")
        pdf.multi_cell(0, 4.5, "\n".join(details), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("NotoSans", size=9)
        pdf.multi_cell(0, 5, row["body"], new_x="LMARGIN", new_y="NEXT")
        if row["answer"]:
            pdf.set_font("NotoSans", "B", 8)
            pdf.multi_cell(
                0, 4.5, f"Réponse de la commission : {row['answer']}", new_x="LMARGIN", new_y="NEXT"
            )
        pdf.ln(3)
    return bytes(pdf.output())
