"""The commission's workspace in real headless Chromium: sign in, read, answer, hide."""

from __future__ import annotations

import json
import urllib.request

import pytest
from chromium_helpers import chromium
from inquiry_helpers import purge_entries

from web.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
BODY = "Workspace test: the new road cuts the souk off from the bus stop."


def test_the_workspace_page_is_for_the_inquiry_commission(
    client, open_inquiry, commission_member, other_commission_member, agency_planner
):
    # Runs before the browser starts (module order); it also makes pytest-django create the
    # test database when this module runs on its own.
    url = f"/commission/enquetes/{open_inquiry.pk}/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/connexion/?next=")
    for outsider in (agency_planner, other_commission_member):
        client.force_login(outsider)
        assert client.get(url).status_code == 403
    client.force_login(commission_member)
    page = client.get(url)
    assert page.status_code == 200 and b'id="com-entries"' in page.content
    assert "csrftoken" in page.cookies


def _api(url: str, payload: dict | None = None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode() if payload is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def entry(live_url, django_db_blocker):
    """A citizen's entry of the demo's open inquiry, submitted through the public API."""
    inquiry = next(i for i in _api(f"{live_url}/api/v1/inquiries/") if i["status"] == "open")
    receipt = _api(
        f"{live_url}/api/v1/inquiries/{inquiry['id']}/observations/",
        {
            "theme": "roads",
            "body": BODY,
            "author_name": "Hamid Berrada",
            "author_email": "h.berrada@example.ma",
            "consent_publication": True,
        },
    )
    yield inquiry["id"], receipt["register_number"]
    with django_db_blocker.unblock():
        purge_entries([receipt["receipt"]])


@pytest.fixture(scope="module")
def browser(live_url, entry):
    with chromium() as browser:
        yield browser


def test_a_commission_member_answers_and_hides_an_entry(browser, live_url, entry):
    inquiry_id, number = entry
    context = browser.new_context(viewport=DESKTOP)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept("Propos injurieux envers un voisin"))
    try:
        # Signing in: the workspace sends an anonymous visitor to the login page and back.
        page.goto(f"{live_url}/commission/enquetes/{inquiry_id}/")
        assert "/connexion/" in page.url
        page.fill("#id_username", "commission")
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        page.wait_for_function("() => window.euCommissionMap?.loaded()", timeout=60_000)
        assert page.locator("#com-by-theme li").count() >= 2
        assert page.locator("[data-transition=close]").count() == 1

        # The commission sees identities; it finds the entry by its text.
        page.fill("#com-filters input[name=q]", "souk off")
        page.wait_for_function(
            "() => document.querySelectorAll('#com-entries > li').length === 1", timeout=10_000
        )
        item = page.locator(f'#com-entries li[data-number="{number}"]')
        assert "h.berrada@example.ma" in item.text_content()

        item.locator("textarea").fill("La commission demande un passage piéton.")
        item.locator(".com-answer button").click()
        answered = "(n) => document.querySelector(`[data-number='${n}'] textarea`)?.value"
        page.wait_for_function(f"{answered}.includes('piéton')", arg=number, timeout=10_000)
        item.locator(".com-danger").click()
        page.locator(f'#com-entries li.is-hidden[data-number="{number}"]').wait_for(timeout=10_000)
        assert "Propos injurieux" in page.locator(f'li[data-number="{number}"]').text_content()

        # In Arabic, the workspace reads right to left.
        page.click(".lang-switch [data-lang=ar]")
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.text_content("#com-stats-title") == "إحصائيات"
    finally:
        context.close()
    assert not errors, errors

    # Hidden from the public, kept (with its answer) in the register.
    published = _api(f"{live_url}/api/v1/inquiries/{inquiry_id}/observations/")
    assert number not in [f["properties"]["register_number"] for f in published["features"]]


def test_the_workspace_is_refused_to_a_planner(browser, live_url, entry):
    inquiry_id, _ = entry
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{live_url}/connexion/")
        page.fill("#id_username", "planner")
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        response = page.goto(f"{live_url}/commission/enquetes/{inquiry_id}/")
        assert response.status == 403
        assert "commission" in page.text_content("body")
    finally:
        context.close()
