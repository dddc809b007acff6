"""The draft synthesis report: counts, themes, a map and a summary per zone, for the commission."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from common.db import db_now

from .certified import _draw_map, _local, _pdf
from .exports import register_digest, register_rows
from .models import Channel, Inquiry, Theme

BAR_MAX_MM = 110.0
BAR_H_MM = 5.0
THEME_RGB = (194, 65, 12)


def synthesis_data(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of the report, from the register rows (hidden entries counted, as in law)."""
    zones: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        zones[row["zone_code"] or "—"].append(row)
    return {
        "total": len(rows),
        "hidden": sum(r["hidden"] for r in rows),
        "answered": sum(bool(r["answer"]) for r in rows),
        "corrections": sum(r["corrects_number"] is not None for r in rows),
        "by_channel": Counter(r["channel"] for r in rows),
        "by_theme": Counter(r["theme"] for r in rows),
        "by_zone": {
            code: {
                "count": len(entries),
                "themes": Counter(e["theme"] for e in entries),
                "answered": sum(bool(e["answer"]) for e in entries),
                "numbers": [e["register_number"] for e in entries],
            }
            for code, entries in sorted(zones.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        },
    }


def _theme_chart(pdf, by_theme: Counter) -> None:
    """Horizontal bars, one per theme, longest first: where the public spoke."""
    top = max(by_theme.values(), default=0)
    for theme, count in by_theme.most_common():
        pdf.set_font("NotoSans", size=9)
        pdf.cell(62, BAR_H_MM, Theme(theme).label)
        width = BAR_MAX_MM * count / top if top else 0
        x, y = pdf.get_x(), pdf.get_y()
        pdf.set_fill_color(*THEME_RGB)
        pdf.rect(x, y + 0.8, max(width, 0.5), BAR_H_MM - 1.6, style="F")
        pdf.set_x(x + width + 2)
        pdf.cell(0, BAR_H_MM, str(count), new_x="LMARGIN", new_y="NEXT")


def _heading(pdf, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("NotoSans", "B", 11)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")


def synthesis_pdf(inquiry: Inquiry) -> bytes:
    """The draft synthesis report of an inquiry as PDF bytes, for the commission to complete."""
    rows = register_rows(inquiry)
    data = synthesis_data(rows)
    pdf = _pdf(inquiry, register_digest(rows))
    pdf.title_text = f"Projet de rapport de synthèse, enquête n° {inquiry.pk}"
    pdf.add_page()
    pdf.set_font("NotoSans", "B", 15)
    pdf.multi_cell(0, 8, "Projet de rapport de synthèse", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", size=10)
    pdf.multi_cell(0, 6, inquiry.title_fr, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, inquiry.title_ar, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", size=9)
    channels = ", ".join(f"{Channel(k).label}: {v}" for k, v in sorted(data["by_channel"].items()))
    pdf.multi_cell(
        0,
        5,
        f"Enquête du {_local(inquiry.opens_at)} au {_local(inquiry.closes_at)} — "
        f"document établi le {_local(db_now())} (heure de Casablanca). Projet à compléter par la "
        "commission : les chiffres sont ceux du registre à cette date.\n"
        f"{data['total']} observations ({channels}); {data['corrections']} corrections; "
        f"{data['hidden']} masquées au public; {data['answered']} avec une réponse.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _heading(pdf, "Thèmes")
    _theme_chart(pdf, data["by_theme"])
    _heading(pdf, "Localisation des observations")
    _draw_map(pdf, inquiry, rows)

    pdf.add_page()
    _heading(pdf, "Synthèse par zone du projet")
    for code, zone in data["by_zone"].items():
        pdf.set_font("NotoSans", "B", 9)
        pdf.multi_cell(
            0,
            5,
            f"Zone {code} — {zone['count']} observation(s), {zone['answered']} avec réponse",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("NotoSans", size=8)
        themes = ", ".join(f"{Theme(t).label}: {n}" for t, n in zone["themes"].most_common())
        numbers = ", ".join(str(n) for n in zone["numbers"])
        pdf.multi_cell(
            0,
            4.5,
            f"Thèmes : {themes}\nInscriptions n° {numbers}\nAvis de la commission : …",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(1.5)
    return bytes(pdf.output())
