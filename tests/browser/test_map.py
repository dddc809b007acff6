"""The citizen web map in real headless Chromium: zones render, cards open, FR/AR, phone size.

Every test also checks that the page asked nothing of any host but the system itself.
Screenshots land in /tmp (map-fr.png, map-ar.png, map-phone.png) for a person to look at.
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.browser

APPROVED_LAYER = "zones-approved-fill"
DRAFT_LAYER = "zones-draft-fill"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}
# Families whose zones carry building rules (R+n, height), preferred when picking one to click.
BUILT_FAMILIES = ["dense_housing", "mixed", "villas", "economic", "tourism"]

WAIT_ZONES = """(layer) => !!window.euMap && window.euMap.isStyleLoaded()
    && window.euMap.getLayer(layer) !== undefined
    && window.euMap.queryRenderedFeatures({layers: [layer]}).length > 0"""

WAIT_IDLE = """() => new Promise((resolve) => {
    const map = window.euMap;
    map.once('idle', resolve);
    map.triggerRepaint();
})"""

# A point well inside a rendered zone: a grid over the map, keeping points whose neighbours
# 8 px away hit the same zone (so not on a border), preferring zones with building rules.
PICK_ZONE = """([layer, families, y0, y1]) => {
    const map = window.euMap;
    const rect = map.getContainer().getBoundingClientRect();
    const at = (x, y) => map.queryRenderedFeatures([x, y], {layers: [layer]});
    let fallback = null;
    for (let j = 0; j <= 16; j++) {
        for (let i = 0; i <= 16; i++) {
            const x = rect.width * (0.15 + 0.7 * i / 16);
            const y = rect.height * (y0 + (y1 - y0) * j / 16);
            const hit = at(x, y);
            if (!hit.length) continue;
            const id = hit[0].properties.id;
            const inside = [[-8, 0], [8, 0], [0, -8], [0, 8]].every(([dx, dy]) => {
                const h = at(x + dx, y + dy);
                return h.length > 0 && h[0].properties.id === id;
            });
            if (!inside) continue;
            const props = hit[0].properties;
            const zone = {x: rect.left + x, y: rect.top + y, id, code: String(props.code),
                          family: props.family};
            if (families.includes(zone.family)) return zone;
            fallback = fallback || zone;
        }
    }
    return fallback;
}"""


# When zones are too small to hit safely (a phone showing the whole agglomeration), zoom in
# on one that is rendered in the searched band.
ZOOM_ON_A_ZONE = """([layer, y0, y1]) => {
    const map = window.euMap;
    const rect = map.getContainer().getBoundingClientRect();
    for (let j = 0; j <= 16; j++) {
        for (let i = 0; i <= 16; i++) {
            const x = rect.width * (0.15 + 0.7 * i / 16);
            const y = rect.height * (y0 + (y1 - y0) * j / 16);
            if (map.queryRenderedFeatures([x, y], {layers: [layer]}).length) {
                map.jumpTo({center: map.unproject([x, y]), zoom: map.getZoom() + 1.5});
                return true;
            }
        }
    }
    return false;
}"""


class Page:
    """A page in its own context that records every URL it (or its workers) requests."""

    def __init__(self, browser, live_url: str, viewport: dict, **context_args):
        self.live_url = live_url
        self.context = browser.new_context(viewport=viewport, **context_args)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path: str = "/", layer: str = APPROVED_LAYER):
        self.page.goto(self.live_url + path)
        self.page.wait_for_function(WAIT_ZONES, arg=layer, timeout=60_000)
        return self.page

    def idle(self):
        self.page.evaluate(WAIT_IDLE)
        self.page.evaluate("() => document.fonts.ready.then(() => true)")

    def pick_zone(self, layer: str = APPROVED_LAYER, y0: float = 0.15, y1: float = 0.85) -> dict:
        for _ in range(4):
            zone = self.page.evaluate(PICK_ZONE, [layer, BUILT_FAMILIES, y0, y1])
            if zone:
                return zone
            assert self.page.evaluate(ZOOM_ON_A_ZONE, [layer, y0, y1]), "no zone rendered"
            self.idle()
            self.page.wait_for_function(WAIT_ZONES, arg=layer, timeout=30_000)
        raise AssertionError("no rendered zone large enough to click")

    def close(self):
        self.context.close()

    def assert_stayed_local(self):
        assert not self.errors, f"uncaught errors in the page: {self.errors}"
        outside = [
            url
            for url in self.requests
            if not (url.startswith(self.live_url + "/") or url.startswith(("data:", "blob:")))
        ]
        assert not outside, f"requests outside the system: {outside}"
        # The recording does see the worker's tile and glyph fetches.
        assert any("/tiles/zones/" in url for url in self.requests), self.requests


def api_zone(live_url: str, zone_id) -> dict:
    with urllib.request.urlopen(f"{live_url}/api/v1/zones/{zone_id}/", timeout=10) as response:
        return json.load(response)["properties"]


@pytest.fixture
def desktop(browser, live_url):
    page = Page(browser, live_url, DESKTOP, locale="fr-FR")
    yield page
    page.close()


@pytest.fixture
def phone(browser, live_url):
    page = Page(
        browser,
        live_url,
        PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
    )
    yield page
    page.close()


def test_clicking_a_zone_opens_its_card_with_its_rules(desktop, live_url):
    page = desktop.open()
    zone = desktop.pick_zone()
    page.mouse.click(zone["x"], zone["y"])

    card = page.locator("#zone-card")
    card.wait_for(state="visible")
    title = page.locator("#card-title")
    title.filter(has_text=zone["code"]).wait_for()
    rules = api_zone(live_url, zone["id"])
    text = card.inner_text()
    if rules["max_levels"] is not None:
        assert f"R+{rules['max_levels']}" in text
    else:
        assert "Non réglementé" in text
    assert "Hauteur maximale" in text
    # COS is the ground coverage, CUS the floor-area ratio (DOMAIN.md), both labelled so.
    assert "Coefficient d’occupation du sol (emprise)" in text
    assert "Coefficient d’utilisation du sol — CUS" in text
    desktop.idle()
    page.screenshot(path="/tmp/map-fr.png")

    page.keyboard.press("Escape")
    card.wait_for(state="hidden")
    assert page.evaluate("() => document.activeElement === window.euMap.getCanvas()")
    desktop.assert_stayed_local()


def test_a_click_gives_the_lookup_and_its_note_as_a_pdf(desktop):
    page = desktop.open()
    zone = desktop.pick_zone()
    page.mouse.click(zone["x"], zone["y"])
    page.locator("#card-title").filter(has_text=zone["code"]).wait_for()
    body = page.locator("#card-body")
    assert "Plan approuvé, opposable aux tiers" in body.inner_text()
    assert "Prescriptions à cet endroit" in body.inner_text()

    link = page.get_by_role("link", name="Télécharger la note (PDF)")
    assert "lang=fr" in link.get_attribute("href")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"note-renseignements-{zone['code']}-fr.pdf"
    pdf = PdfReader(download.path())
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert f"Zone {zone['code']}" in text and "Extrait du plan" in text

    # In Arabic the card offers the Arabic note.
    page.get_by_role("button", name="عربي").click()
    link = page.get_by_role("link", name="تحميل مذكرة المعلومات (PDF)")
    assert "lang=ar" in link.get_attribute("href")
    desktop.assert_stayed_local()


def test_the_keyboard_reaches_zones_through_the_list(desktop):
    page = desktop.open()
    # The skip link is the first stop of the tab order, and leads to the map.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#map"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement === window.euMap.getCanvas()")

    page.locator("#zone-list button").first.wait_for()
    first = page.locator("#zone-list button").first
    code = first.locator(".zone-code").inner_text()
    first.focus()
    page.keyboard.press("Enter")
    page.locator("#card-title").filter(has_text=code).wait_for()
    assert page.evaluate("() => document.activeElement.id") == "card-title"

    page.keyboard.press("Escape")
    page.locator("#zone-card").wait_for(state="hidden")
    assert page.evaluate("() => document.activeElement.classList.contains('zone-item')")
    desktop.assert_stayed_local()


def test_arabic_mirrors_the_page_and_labels_the_map_in_arabic(desktop):
    page = desktop.open()
    page.get_by_role("button", name="عربي").click()

    assert page.evaluate("() => document.documentElement.dir") == "rtl"
    assert page.evaluate("() => document.documentElement.lang") == "ar"
    page.get_by_text("التصميم المصادق عليه", exact=True).first.wait_for(state="visible")
    assert page.locator("h1").inner_text() == "تصميم التهيئة"
    # The labels follow once the style in Arabic has been fetched (asynchronously).
    label = "JSON.stringify(euMap.getLayoutProperty('territories-commune-label', 'text-field'))"
    arabic_first = "f => f.indexOf('name_ar') < f.indexOf('name_fr')"
    page.wait_for_function(f"() => ({arabic_first})({label})")
    label_field = page.evaluate(f"() => {label}")
    assert label_field.index("name_ar") < label_field.index("name_fr")
    # Mirrored: the side panel now sits on the right.
    sidebar = page.locator(".sidebar").bounding_box()
    assert sidebar["x"] > DESKTOP["width"] / 2

    zone = desktop.pick_zone()
    page.mouse.click(zone["x"], zone["y"])
    page.locator("#card-title").filter(has_text=zone["code"]).wait_for()
    assert "عدد الطوابق" in page.locator("#zone-card").inner_text()
    desktop.idle()
    page.screenshot(path="/tmp/map-ar.png")

    # The choice is remembered, and ?lang= wins over it.
    page.reload()
    page.wait_for_function(WAIT_ZONES, arg=APPROVED_LAYER, timeout=60_000)
    assert page.evaluate("() => document.documentElement.dir") == "rtl"
    desktop.open("/?lang=fr")
    assert page.evaluate("() => document.documentElement.dir") == "ltr"
    assert page.locator("h1").inner_text() == "Plan d'aménagement"
    desktop.assert_stayed_local()


def test_the_plan_switch_shows_the_draft_under_inquiry(desktop, live_url):
    page = desktop.open()
    page.get_by_role("radio", name="Projet soumis à enquête").check()
    visibility = page.evaluate(
        """() => [window.euMap.getLayoutProperty('zones-approved-fill', 'visibility'),
                  window.euMap.getLayoutProperty('zones-draft-fill', 'visibility')]"""
    )
    assert visibility == ["none", "visible"]
    assert page.locator("#draft-notice").is_visible()
    with urllib.request.urlopen(f"{live_url}/api/v1/plans/", timeout=10) as response:
        plans = json.load(response)
    if any(plan["status"] == "draft" for plan in plans):
        page.wait_for_function(WAIT_ZONES, arg=DRAFT_LAYER, timeout=30_000)
        zone = desktop.pick_zone(DRAFT_LAYER)
        page.mouse.click(zone["x"], zone["y"])
        page.locator("#card-title").filter(has_text=zone["code"]).wait_for()
        assert "Projet soumis à enquête" in page.locator("#card-body").inner_text()
    page.get_by_role("radio", name="Plan approuvé").check()
    assert (
        page.evaluate("() => window.euMap.getLayoutProperty('zones-approved-fill', 'visibility')")
        == "visible"
    )
    desktop.assert_stayed_local()


def test_an_unknown_zone_gets_a_friendly_message(desktop):
    page = desktop.open()
    page.route(
        re.compile(r".*/api/v1/lookup/\?.*"),
        lambda route: route.fulfill(
            status=404, content_type="application/json", body='{"detail": "Not found."}'
        ),
    )
    zone = desktop.pick_zone()
    page.mouse.click(zone["x"], zone["y"])
    message = page.locator("#card-body [role=alert]")
    message.wait_for()
    assert "n’est pas (ou plus) publiée" in message.inner_text()
    desktop.assert_stayed_local()


def test_the_phone_layout_keeps_card_and_legend_usable(phone):
    page = phone.open()
    legend = page.locator("#legend-panel")
    assert legend.get_attribute("open") is None  # folded at first, the map gets the screen
    page.locator("#legend-panel summary").tap()
    page.locator("#legend .legend-list").first.wait_for(state="visible")
    box = page.locator("#legend-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    page.locator("#legend-panel summary").tap()

    zone = phone.pick_zone(y0=0.1, y1=0.6)
    page.touchscreen.tap(zone["x"], zone["y"])
    page.locator("#card-title").filter(has_text=zone["code"]).wait_for()
    card = page.locator("#zone-card").bounding_box()
    assert card["width"] == pytest.approx(PHONE["width"], abs=1)
    assert card["y"] >= PHONE["height"] * 0.3 and card["y"] + card["height"] <= PHONE["height"] + 1
    body = page.locator("#card-body").inner_text()
    assert "R+" in body or "Non réglementé" in body
    phone.idle()
    page.screenshot(path="/tmp/map-phone.png")

    page.locator("#card-close").tap()
    page.locator("#zone-card").wait_for(state="hidden")
    phone.assert_stayed_local()
