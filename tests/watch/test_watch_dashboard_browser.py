"""The urban-watch dashboard in real headless Chromium, in French and Arabic: the choropleth
and the LISA map render, the legend has the server's classes, the charts are drawn."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1400, "height": 1000}
TITLES = {"fr": "Observatoire urbain", "ar": "المرصد الحضري"}


def test_the_dashboard_page_is_served(client, db):
    # Before the browser starts (module order): the page is the built Vite page.
    page = client.get("/observatoire/")
    assert page.status_code == 200
    assert b'id="dash-map"' in page.content


def test_the_map_renders_and_the_charts_are_drawn_in_french_then_arabic(browser, live_url):
    lang = "fr"
    with urllib.request.urlopen(
        f"{live_url}/api/v1/watch/indicators/density/values/?level=district&k=5", timeout=30
    ) as response:
        values = json.load(response)
    context = browser.new_context(viewport=DESKTOP)
    requests: list[str] = []
    errors: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{live_url}/observatoire/?lang={lang}")
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        assert TITLES[lang] in page.text_content("h1")
        # The choropleth and the LISA map draw the units (rendered features, not just data).
        for key in ("choropleth", "lisa"):
            page.wait_for_function(
                f"() => {{ const m = window.euDashboardMaps?.{key}; return m && m.loaded() &&"
                " m.queryRenderedFeatures({layers: ['units-fill']}).length > 0; }",
                timeout=60_000,
            )
        # The legend shows the server's class breaks, one row per class.
        legend = page.locator("#dash-legend .dash-legend-row")
        assert legend.count() == len(values["breaks"]["bins"])
        # Lorenz curve, Moran scatterplot (one point per unit), measures, priority, exports.
        assert page.locator("#dash-lorenz path.lorenz").count() >= 1
        assert page.get_attribute("#dash-lorenz path.lorenz", "d").startswith("M0.0,240.0")
        assert page.locator("#dash-moran circle").count() == len(values["features"])
        assert page.locator("#dash-moran path.slope").count() == 1
        assert "Gini" in page.text_content("#dash-measures")
        assert page.locator("#dash-priority tr").count() > 1
        assert "export.gpkg" in page.get_attribute("#x-gpkg", "href")
        # A unit's profile, from a click on the map; the comparison table fills.
        box = page.locator("#dash-map canvas").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.locator("#dash-profile h3").wait_for(timeout=30_000)
        page.locator("#dash-compare tr").nth(2).wait_for(timeout=30_000)
        # A time series: switch to permits (one value a year).
        page.select_option("#f-indicator", "permits_count")
        page.wait_for_function(
            "() => document.querySelectorAll('#dash-series circle').length >= 5", timeout=60_000
        )
        # Arabic: right to left, translated, the charts still there.
        page.click(".lang-switch button[data-lang=ar]")
        assert page.get_attribute("html", "dir") == "rtl"
        assert TITLES["ar"] in page.text_content("h1")
        assert page.locator("#dash-lorenz path.lorenz").count() >= 1
        assert "معامل الاختلاف" in page.text_content("#dash-measures")
        assert not errors, errors
        origin = urlparse(live_url).netloc
        foreign = [
            u
            for u in requests
            if urlparse(u).netloc not in (origin, "") and not u.startswith(("data:", "blob:"))
        ]
        assert not foreign, foreign
    finally:
        context.close()
