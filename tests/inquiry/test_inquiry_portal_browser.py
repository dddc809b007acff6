"""The citizen's journey on a phone, in French and Arabic, in real headless Chromium.

Open the inquiry, find a district, draw a polygon, submit with an attachment, get the receipt,
see the observation published; nothing is asked of any host but the system itself.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from chromium_helpers import chromium
from inquiry_helpers import PDF, purge_entries

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# French and Arabic names of a commune the demo plan covers.
PLACES = {"fr": "Bouskoura", "ar": "بوسكورة"}
RECEIPT_TITLE = {"fr": "Accusé de réception", "ar": "وصل الإيداع"}


def test_the_portal_page_is_served_for_public_inquiries_only(client, open_inquiry, draft_inquiry):
    # Runs before the browser starts (module order); it also makes pytest-django create the
    # test database when this module runs on its own.
    page = client.get(f"/enquete/{open_inquiry.pk}/")
    assert page.status_code == 200
    assert b'id="inq-form"' in page.content and b"fz.bennani" not in page.content
    assert client.get(f"/enquete/{draft_inquiry.pk}/").status_code == 404


@pytest.fixture(scope="module")
def browser(live_url, created_entries):
    """Debian's Chromium; module scope, after live_url (see tests/browser/conftest.py).

    It needs created_entries so that their purge runs after Playwright stops (Django refuses
    ORM calls while Playwright's loop runs).
    """
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def demo_inquiry_id(live_url) -> int:
    with urllib.request.urlopen(f"{live_url}/api/v1/inquiries/", timeout=10) as response:
        return next(i["id"] for i in json.load(response) if i["status"] == "open")


@pytest.fixture(scope="module")
def created_entries(django_db_blocker):
    """Receipt tokens of what the journeys submit, purged from the register afterwards."""
    tokens: list[str] = []
    yield tokens
    with django_db_blocker.unblock():
        purge_entries(tokens)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_citizen_submits_an_observation_from_a_phone(
    browser, live_url, demo_inquiry_id, created_entries, lang, tmp_path
):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    requests: list[str] = []
    errors: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # 1. Open the inquiry.
        page.goto(f"{live_url}/enquete/{demo_inquiry_id}/?lang={lang}")
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        page.wait_for_function("() => window.euInquiryMap?.loaded()", timeout=60_000)
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        assert page.locator("#inq-docs a").count() >= 1

        # 2. Find your district (the gazetteer), and the map goes there.
        page.fill("#inq-search-input", PLACES[lang])
        page.locator("#inq-search-results button").first.click()
        page.wait_for_function("() => window.euInquiryMap.getZoom() > 11", timeout=10_000)

        # 3. Draw a polygon with four taps and a closing tap.
        page.click("[data-draw=polygon]")
        box = page.locator("#inq-map").bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        corners = [(cx - 30, cy - 30), (cx + 30, cy - 30), (cx + 30, cy + 30), (cx - 30, cy + 30)]
        for x, y in [*corners, corners[0]]:
            page.mouse.click(x, y)
            page.wait_for_timeout(150)
        drawn = page.evaluate(
            "() => window.euInquiryDraw.getSnapshot().map((f) => f.geometry.type)"
        )
        assert drawn == ["Polygon"]

        # 4. Submit, with an attachment.
        body = f"Observation ({lang}) : garder le terrain de sport."
        email = f"journey-{lang}@example.ma"
        page.select_option("#f-theme", "green")
        page.fill("#f-body", body)
        page.fill("#f-name", "Salma Idrissi")
        page.fill("#f-email", email)
        pdf = tmp_path / "plan.pdf"
        pdf.write_bytes(PDF)
        page.set_input_files("#f-files", str(pdf))
        page.check("#f-consent")
        page.click("#inq-submit")

        # 5. The receipt: register number, timestamp, SHA-256.
        page.wait_for_selector("#inq-receipt:not([hidden])", timeout=20_000)
        assert page.text_content("#receipt-title") == RECEIPT_TITLE[lang]
        number = int(page.text_content("#r-number"))
        sha = page.text_content("#r-hash")
        token = page.evaluate("() => new URLSearchParams(location.search).get('receipt')")
        created_entries.append(token)
        assert len(sha) == 64

        # 6. The observation is published, anonymously, without the email anywhere.
        item = page.locator(f'#inq-published li[data-number="{number}"]')
        item.wait_for(timeout=10_000)
        assert body in item.text_content()
        html = page.content()
        assert email not in html and "Salma" not in html

        with urllib.request.urlopen(f"{live_url}/api/v1/inquiries/receipts/{token}/") as r:
            receipt = json.load(r)
        assert (receipt["register_number"], receipt["content_sha256"]) == (number, sha)
        assert receipt["attachments"][0]["name"] == "plan.pdf"
    finally:
        context.close()
    assert not errors, errors
    outside = [
        url
        for url in requests
        if not (url.startswith(live_url + "/") or url.startswith(("data:", "blob:")))
    ]
    assert not outside, outside
    assert any("/tiles/zones/" in url for url in requests)
