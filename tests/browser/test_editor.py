"""The zoning editor in real headless Chromium: a planner draws a zone over a neighbour, sees
the overlap on the map, fixes it, saves, and finds the change in the zone's history."""

from __future__ import annotations

import math

import pytest
from chromium_helpers import chromium
from django.db import connection

from web.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

# A small desktop: SwiftShader paints every pixel on the CPU.
DESKTOP = {"width": 1100, "height": 760}


def test_the_editor_page_is_for_the_planners_of_the_agency(client, demo_document):
    # Runs before the browser starts (module order); it also makes pytest-django create the
    # test database when this module runs on its own.
    from planning.models import VersionStage

    version = demo_document.versions.get(stage=VersionStage.APPROVED)
    url = f"/planning/versions/{version.pk}/editer/"
    assert client.get(url).status_code == 302
    client.login(username="planner_other", password=DEMO_PASSWORD)
    assert client.get(url).status_code == 403
    client.login(username="planner", password=DEMO_PASSWORD)
    assert client.get(url).status_code == 200


def _target(version_id: int, rank: int = 0) -> dict:
    """An inner zone of the study version, its largest inscribed circle, and the direction
    from the circle's centre to the nearest edge (beyond which lies a neighbour)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT z.id, z.code, ST_X(c.center), ST_Y(c.center), c.radius,
                   ST_MaxDistance(z.geom, c.center),
                   ST_X(ST_ClosestPoint(ST_Boundary(z.geom), c.center)),
                   ST_Y(ST_ClosestPoint(ST_Boundary(z.geom), c.center))
            FROM planning_zone z
            JOIN planning_planversion v ON v.id = z.version_id
            JOIN planning_planningdocument d ON d.id = v.document_id,
                 LATERAL ST_MaximumInscribedCircle(z.geom) c
            WHERE z.version_id = %s AND ST_NumGeometries(z.geom) = 1
              AND ST_Area(z.geom::geography) BETWEEN 8000 AND 60000
              AND ST_Within(ST_Buffer(z.geom::geography, 300)::geometry, d.perimeter)
            ORDER BY c.radius DESC, z.id LIMIT 1 OFFSET %s
            """,
            [version_id, rank],
        )
        zone_id, code, cx, cy, r, reach, px, py = cursor.fetchone()
    length = math.hypot(px - cx, py - cy)
    d = ((px - cx) / length, (py - cy) / length)
    return {"id": zone_id, "code": code, "c": (cx, cy), "r": r, "reach": reach, "d": d}


@pytest.fixture(scope="module")
def study(live_url, django_db_blocker):
    """A study version cloned from the approved plan (deleted, with its history, afterwards)."""
    from accounts.models import User
    from planning import services
    from planning.models import PlanningDocument, PlanVersion, VersionStage

    with django_db_blocker.unblock():
        approved = PlanningDocument.objects.get().versions.get(stage=VersionStage.APPROVED)
        planner = User.objects.get(username="planner")
        version = services.version_clone(version=approved, label="Étude éditeur", by=planner)
        target = _target(version.pk)
        other = _target(version.pk, rank=20)
    yield version.pk, target, other
    with django_db_blocker.unblock():
        PlanVersion.objects.filter(pk=version.pk).delete()


@pytest.fixture(scope="module")
def browser(live_url, study):
    with chromium() as browser:
        yield browser


def _at(target: dict, along: float, across: float) -> list[float]:
    """A point at `along`·r towards the nearest edge and `across`·r to its side."""
    (cx, cy), r, (dx, dy) = target["c"], target["r"], target["d"]
    return [cx + r * (along * dx - across * dy), cy + r * (along * dy + across * dx)]


def _pixel(page, lnglat: list[float]) -> tuple[float, float]:
    box = page.locator("#ed-map canvas").bounding_box()
    point = page.evaluate("(p) => euEditorMap.project(p)", lnglat)
    return box["x"] + point["x"], box["y"] + point["y"]


def _wait_idle(page) -> None:
    page.wait_for_function("() => euEditorMap.loaded() && !euEditorMap.isMoving()", timeout=30_000)


def test_a_planner_draws_over_a_neighbour_fixes_it_and_finds_it_in_history(
    browser, live_url, study
):
    version_id, target, _ = study
    context = browser.new_context(viewport=DESKTOP)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        page.goto(f"{live_url}/planning/versions/{version_id}/editer/")
        assert "/connexion/" in page.url
        page.fill("#id_username", "planner")
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)

        # Go to the zone by its number, then delete it: a hole to draw the new zone in.
        page.fill("#ed-find-input", f"#{target['id']}")
        page.press("#ed-find-input", "Enter")
        page.wait_for_function(
            "(id) => document.querySelector('#ed-zone-state').textContent.includes(`n° ${id}`)",
            arg=target["id"],
            timeout=10_000,
        )
        (cx, cy), r = target["c"], target["r"]
        page.evaluate(
            "([w, s, e, n]) => euEditorMap.fitBounds([[w, s], [e, n]], {duration: 0})",
            [cx - 3 * r, cy - 3 * r, cx + 3 * r, cy + 3 * r],
        )
        _wait_idle(page)
        page.click("[data-command=remove]")
        page.wait_for_function(
            "() => document.querySelector('#ed-status').textContent.includes('supprimée')",
            timeout=10_000,
        )

        # Draw a kite whose tip reaches into the neighbour, with the keyboard shortcut N.
        page.locator("#ed-map canvas").focus()
        page.keyboard.press("n")
        tip = _at(target, 2.2, 0)
        for lnglat in (_at(target, 0, 0.5), tip, _at(target, 0, -0.5), _at(target, -0.5, 0)):
            page.mouse.click(*_pixel(page, lnglat))
            page.wait_for_timeout(150)
        page.keyboard.press("Enter")
        page.wait_for_function(
            "() => euEditorDraw.getSnapshot().some((f) => f.properties.mode === 'polygon')",
            timeout=10_000,
        )
        page.select_option("#f-code", target["code"])
        page.keyboard.press("Control+s")

        # The overlap is listed, and shown on the map where it is.
        page.locator("#ed-problems li[data-code=overlap]").first.wait_for(timeout=15_000)
        assert "chevauche" in page.text_content("#ed-problems")
        page.wait_for_function(
            "() => euEditorMap.queryRenderedFeatures({layers: ['ed-problems']}).length > 0",
            timeout=10_000,
        )

        # Fix it: drag the tip back inside the hole, then save again.
        start, end = _pixel(page, tip), _pixel(page, _at(target, 0.3, 0))
        page.mouse.move(*start)
        page.mouse.down()
        for step in range(1, 11):
            page.mouse.move(
                start[0] + (end[0] - start[0]) * step / 10,
                start[1] + (end[1] - start[1]) * step / 10,
            )
        page.mouse.up()
        page.click("[data-command=save]")
        page.wait_for_function(
            "() => document.querySelector('#ed-status').textContent.includes('enregistrée')",
            timeout=15_000,
        )
        assert page.locator("#ed-problems").is_hidden()
        page.locator("#ed-history li[data-action=zone_create]").wait_for(timeout=10_000)
        assert "planner" in page.text_content("#ed-history")

        # Change a rule: the history shows who changed what.
        page.fill("#f-max_height_m", "6")
        page.click("[data-command=save]")
        page.locator("#ed-history li[data-action=zone_update]").wait_for(timeout=10_000)
        assert "Hauteur maximale" in page.text_content("#ed-history li[data-action=zone_update]")

        # In Arabic, the editor reads right to left.
        page.click(".lang-switch [data-lang=ar]")
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.text_content("#ed-history-title") == "سجل المنطقة"
    finally:
        context.close()
    assert not errors, errors


def _sign_in(page, url: str) -> None:
    page.goto(url)
    page.fill("#id_username", "planner")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)


def _status_says(page, text: str) -> None:
    page.wait_for_function(
        "(text) => document.querySelector('#ed-status').textContent.includes(text)",
        arg=text,
        timeout=15_000,
    )


def _zone_at(page, lnglat: list[float]) -> int | None:
    return page.evaluate(
        "(p) => euEditorMap.queryRenderedFeatures(euEditorMap.project(p), "
        "{layers: ['ed-zones-fill']})[0]?.id ?? null",
        lnglat,
    )


def test_a_planner_splits_merges_compares_and_recovers_from_a_conflict(browser, live_url, study):
    version_id, _, target = study
    context = browser.new_context(viewport=DESKTOP)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        _sign_in(page, f"{live_url}/planning/versions/{version_id}/editer/")
        page.fill("#ed-find-input", f"#{target['id']}")
        page.press("#ed-find-input", "Enter")
        _status_says(page, "choisie")
        (cx, cy), reach = target["c"], target["reach"]
        page.evaluate(
            "([w, s, e, n]) => euEditorMap.fitBounds([[w, s], [e, n]], {duration: 0})",
            [cx - 1.5 * reach, cy - 1.5 * reach, cx + 1.5 * reach, cy + 1.5 * reach],
        )
        _wait_idle(page)

        # Reshape (E) puts the zone's own polygon in terra-draw's select mode.
        page.locator("#ed-map canvas").focus()
        page.keyboard.press("e")
        _status_says(page, "Glissez les sommets")
        page.keyboard.press("Escape")

        # Split along a line across the zone (S, two clicks, Enter).
        across = 1.3 * reach / target["r"]
        page.locator("#ed-map canvas").focus()
        page.keyboard.press("s")
        for lnglat in (_at(target, 0, -across), _at(target, 0, across)):
            page.mouse.click(*_pixel(page, lnglat))
            page.wait_for_timeout(150)
        page.keyboard.press("Enter")
        _status_says(page, "découpée en 2")
        _wait_idle(page)
        sides = {_zone_at(page, _at(target, 0.5, 0)), _zone_at(page, _at(target, -0.5, 0))}
        assert target["id"] in sides and len(sides) == 2

        # Merge the two halves back (M, then click the other half).
        other_half = _at(target, 0.5, 0)
        if _zone_at(page, other_half) == target["id"]:
            other_half = _at(target, -0.5, 0)
        page.keyboard.press("m")
        page.mouse.click(*_pixel(page, other_half))
        _status_says(page, "fusionnées")
        _wait_idle(page)
        assert _zone_at(page, other_half) == target["id"]

        # The diff with the approved plan, as a coloured layer with its legend.
        page.click("#ed-diff button[type=submit]")
        page.locator("#ed-diff-legend li").first.wait_for(timeout=10_000)
        assert "modifiée" in page.text_content("#ed-diff-summary")

        # Someone else saves the zone meanwhile: the stale save gets the current state.
        page.evaluate(
            """async (id) => {
                const url = `/api/v1/planning/zones/${id}/`;
                const zone = await (await fetch(url)).json();
                const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
                await fetch(url, {method: 'PATCH', headers: {'Content-Type': 'application/json',
                  'X-CSRFToken': csrf, 'If-Match': `"zone-${id}-r${zone.revision}"`},
                  body: JSON.stringify({label_fr: 'Changé par une collègue'})});
            }""",
            target["id"],
        )
        page.fill("#f-max_height_m", "6")
        page.click("[data-command=save]")
        page.locator("#ed-conflict #ed-reload").wait_for(timeout=10_000)
        assert "Changé par une collègue" in page.text_content("#ed-conflict")
        page.click("#ed-reload")
        _status_says(page, "rechargée")
        assert page.input_value("#f-label_fr") == "Changé par une collègue"
        page.fill("#f-max_height_m", "6")
        page.click("[data-command=save]")
        _status_says(page, "enregistrée")

        # A dry-run import of the version's own export runs in the background, with progress.
        export = page.request.get(
            f"{live_url}/api/v1/planning/versions/{version_id}/export.geojson"
        )
        assert export.ok
        page.set_input_files(
            "#ed-import-file",
            files=[
                {"name": "zones.geojson", "mimeType": "application/json", "buffer": export.body()}
            ],
        )
        page.click("#ed-import button[type=submit]")
        page.wait_for_selector("#ed-import-state[data-status=succeeded]", timeout=60_000)
        assert page.get_attribute("#ed-import-progress", "value") == "100"
        assert "Rien n’a été écrit" in page.text_content("#ed-import-state")
    finally:
        context.close()
    assert not errors, errors
