"""The permissions matrix (tests/security/permissions.py), enumerated and enforced.

1. Every route that Django, pygeoapi (/ogc/) and the tile service (/tiles/) declare has a rule,
   and every rule names a route that exists: a new endpoint without a rule fails the suite.
2. Each rule's request is made as each role, against real objects of agency A, and the status
   must be the table's. Each role's request runs in its own savepoint, rolled back, so a write
   by one role does not change what the next one sees.
"""

from __future__ import annotations

import json
import math
import uuid

import pytest
import requests
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.urls import URLResolver, get_resolver
from permissions import (
    ADMIN_EXPECT,
    ADMIN_PREFIX,
    DJANGO_RULES,
    OGC_RULES,
    OGC_UNCONFIGURED,
    ROLES,
    TILES_RULES,
    Rule,
)

from accounts.models import Role
from inquiry import services as inquiry_services
from inquiry.models import (
    Attachment,
    Inquiry,
    InquiryStatus,
    Observation,
    ObservationEvent,
    PendingObservation,
)
from planning import prescriptions as prescription_services
from planning import services as planning_services
from planning.models import (
    ImportJob,
    PlanningDocument,
    PlanningEvent,
    Prescription,
    VersionStage,
    Zone,
)

PASSWORD = "a-matrix-password-42"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# -------------------------------------------------------------------------------------------
# Enumeration


def django_routes() -> list[str]:
    """Every URL pattern Django resolves, admin and included apps included, as declared."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return list(walk(get_resolver().url_patterns))


def starlette_routes(routes, prefix: str = "") -> list[str]:
    """The paths of a Starlette app's routes, through its mounted routers (not static files)."""
    found = []
    for route in routes:
        inner = getattr(route, "routes", None)
        if inner is not None and type(route).__name__ == "Mount":
            found += starlette_routes(inner, prefix + route.path)
        elif hasattr(route, "methods"):
            found.append(prefix + route.path)
    return found


def ogc_routes() -> list[str]:
    from publish.ogc import files
    from publish.ogc.mount import load_app

    # The mount serves the catalogue's files itself, before pygeoapi.
    return starlette_routes(load_app().routes) + [files.PREFIX + "{path}"]


def tile_routes() -> list[str]:
    from tiles.app import create_app

    return starlette_routes(create_app().routes)


def _missing_and_stale(declared: list[str], rules: list[str]) -> tuple[list[str], list[str]]:
    return sorted(set(declared) - set(rules)), sorted(set(rules) - set(declared))


def test_every_django_route_has_a_rule():
    routes = django_routes()
    admin = [r for r in routes if r.startswith(ADMIN_PREFIX)]
    assert len(admin) > 50, "the admin's routes are enumerated too"
    others = [r for r in routes if not r.startswith(ADMIN_PREFIX)]
    missing, stale = _missing_and_stale(others, [rule.route for rule in DJANGO_RULES])
    assert not missing, f"routes without a rule in tests/security/permissions.py: {missing}"
    assert not stale, f"rules for routes that no longer exist: {stale}"


def test_every_ogc_route_has_a_rule():
    ruled = [r.route for r in OGC_RULES] + OGC_UNCONFIGURED
    missing, stale = _missing_and_stale(ogc_routes(), ruled)
    assert not missing, f"/ogc/ routes without a rule in tests/security/permissions.py: {missing}"
    assert not stale, f"rules for /ogc/ routes that no longer exist: {stale}"


def test_every_tile_route_has_a_rule():
    missing, stale = _missing_and_stale(tile_routes(), [r.route for r in TILES_RULES])
    assert not missing, f"/tiles/ routes without a rule in tests/security/permissions.py: {missing}"
    assert not stale, f"rules for /tiles/ routes that no longer exist: {stale}"


# -------------------------------------------------------------------------------------------
# The world: agency A's objects and one user per role


def make_users(prefix: str) -> dict[str, object]:
    """One user per role (none for the anonymous citizen)."""
    from territory.models import Agency

    User = get_user_model()
    auc, auej = Agency.objects.get(code="AUC"), Agency.objects.get(code="AUEJ")
    specs = {
        "planner_a": {"role": Role.PLANNER, "agency": auc},
        "planner_b": {"role": Role.PLANNER, "agency": auej},
        "commission": {"role": Role.COMMISSION},
        "moderator": {"role": Role.MODERATOR},
        "analyst": {"role": Role.ANALYST},
        "admin": {"role": Role.ADMIN, "is_staff": True, "is_superuser": True},
    }
    return {
        role: User.objects.create_user(f"{prefix}_{role}", password=PASSWORD, **extra)
        for role, extra in specs.items()
    }


def _tile_at(lon: float, lat: float, z: int = 14) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def _build_world(users: dict) -> dict:
    """Agency A's objects: a private draft with an edited zone and prescription, the open
    inquiry with register entries (one with an attachment, one hidden, one held), a draft
    inquiry, an import job and an analysis run."""
    from territory.models import Commune
    from watch.models import AnalysisRun, Indicator

    planner_a = users["planner_a"]
    document = PlanningDocument.objects.get()
    approved = document.versions.get(stage=VersionStage.APPROVED)
    inquiry = Inquiry.objects.get(status=InquiryStatus.OPEN)
    inquiry.commission.add(users["commission"])
    study = planning_services.version_clone(version=approved, label="Étude privée", by=planner_a)
    zone = study.zones.order_by("id").first()
    zone = planning_services.zone_update(
        zone=zone, changes={"label_fr": "Avant la restauration"}, by=planner_a
    )
    zone_event = PlanningEvent.objects.filter(version=study, payload__key=zone.key).latest("id")
    prescription = study.prescriptions.order_by("id").first()
    prescription = prescription_services.prescription_update(
        prescription=prescription, changes={"label_fr": "Avant"}, by=planner_a
    )
    prescription_event = PlanningEvent.objects.filter(
        version=study, payload__prescription_key=prescription.key
    ).latest("id")
    citizen = {"inquiry": inquiry, "theme": "zoning", "consent_publication": True}
    entry = inquiry_services.observation_submit(
        **citizen,
        body="Ma parcelle, mon nom et mon courriel sont dans le registre.",
        author_name="Najat Personne",
        author_email="najat.personne@example.ma",
        geometry=inquiry.version.zones.order_by("id").first().geom.point_on_surface,
        attachments=[inquiry_services.Upload(name="plan.pdf", content=PDF)],
        ip="192.0.2.50",
    )
    hidden = inquiry_services.observation_submit(
        **citizen,
        body="Une observation masquée par la modération.",
        author_name="Anonyme",
        author_email="masque@example.ma",
        ip="192.0.2.51",
    )
    inquiry_services.observation_hide(observation=hidden, reason="Injurieux", by=users["moderator"])
    pending = inquiry_services.observation_hold(
        link="http://testserver/enquete/",
        **citizen,
        body="En attente de confirmation par courriel.",
        author_name="Hamid",
        author_email="hamid.attente@example.ma",
        ip="192.0.2.52",
    )
    draft_inquiry = inquiry_services.inquiry_create(
        version=study,
        regime=inquiry.regime,
        title_fr="Enquête en préparation",
        title_ar="بحث قيد الإعداد",
        opens_at=inquiry.opens_at,
        closes_at=inquiry.closes_at,
        by=planner_a,
    )
    job = ImportJob.objects.create(
        version=study, created_by=planner_a, upload="imports/z.geojson", filename="z.geojson"
    )
    indicator = Indicator.objects.get(code="population")
    run = AnalysisRun.objects.create(
        indicator=indicator, level="commune", period="2024", seed=1, method_version="test"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT substr(l->>'href', length('/ogc/files/') + 1) "
            "FROM publish.plan_documents d, json_array_elements(d.links) l "
            "WHERE l->>'href' LIKE '/ogc/files/%' LIMIT 1"
        )
        listed = cursor.fetchone()
    from publish.ogc import files

    if listed and not (files.media_root() / listed[0]).is_file():
        listed = None  # listed, but this session's files are elsewhere
    point = zone.geom.point_on_surface
    lon, lat = point.coords
    z, x, y = _tile_at(lon, lat)
    w, s, e, n = zone.geom.extent
    values = {
        "S": study.pk,
        "P": approved.pk,
        "Q": inquiry.version_id,
        "zs": zone.pk,
        "zp": approved.zones.order_by("id").first().pk,
        "ps": prescription.pk,
        "pp": approved.prescriptions.order_by("id").first().pk,
        "zone_event": zone_event.pk,
        "prescription_event": prescription_event.pk,
        "I": inquiry.pk,
        "D": draft_inquiry.pk,
        "number": entry.register_number,
        "hidden": hidden.register_number,
        "receipt": entry.receipt_token,
        "confirm": pending.token,
        "job": job.pk,
        "run": run.pk,
        "indicator": indicator.code,
        "commune": Commune.objects.order_by("code").first().code,
        "lon": lon,
        "lat": lat,
        "bbox": f"{w},{s},{e},{n}",
        "z": z,
        "x": x,
        "y": y,
        "listed_file": listed[0] if listed else "none",
    }
    return {
        "users": users,
        "values": values,
        "zone": zone,
        "prescription": prescription,
        "cleanup": {
            "inquiry": inquiry,
            "entries": [entry.pk, hidden.pk],
            "pending": pending.pk,
            "draft_inquiry": draft_inquiry,
            "study": study,
            "job": job,
            "run": run,
        },
    }


def _tear_down_world(world: dict) -> None:
    """Remove what the world committed, register entries included (the purge switch)."""
    c = world["cleanup"]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL eurbanisme.register_purge = 'on'")
        PendingObservation.objects.filter(pk=c["pending"]).delete()
        ObservationEvent.objects.filter(observation_id__in=c["entries"]).delete()
        Attachment.objects.filter(observation_id__in=c["entries"]).delete()
        Observation.objects.filter(pk__in=c["entries"]).delete()
    c["inquiry"].commission.remove(world["users"]["commission"])
    c["draft_inquiry"].delete()
    c["job"].delete()
    c["run"].delete()
    PlanningEvent.objects.filter(version=c["study"]).delete()
    c["study"].delete()
    for user in world["users"].values():
        user.delete()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, committed once for the module (requests as each role are rolled back)."""
    with django_db_blocker.unblock():
        built = _build_world(make_users(f"matrix_{uuid.uuid4().hex[:6]}"))
    yield built
    with django_db_blocker.unblock():
        _tear_down_world(built)


def _body(name: str | None, values: dict, role: str):
    """The request body a rule names, as (data, content_type)."""
    if name is None:
        return None, None
    if name == "no_file":
        return {"dry_run": "true"}, "multipart"
    if name == "observation":
        data = {
            "theme": "zoning",
            "body": "Une observation ordinaire.",
            "author_name": "Citoyen",
            "author_email": f"{role}@example.ma",
            "consent_publication": "on",
        }
        return data, "multipart"
    bodies = {
        "empty": {},
        "clone": {"label": "Révision"},
        "label": {"label_fr": "Nouveau libellé"},
        "hide": {"reason": "Propos injurieux"},
        "tag": {"tags": ["voirie"]},
        "assign": {"username": None},
        "answer": {"answer": "La commission a pris note."},
        "abandon": {"reason": "Procédure reprise"},
    }
    return json.dumps(bodies[name]), "application/json"


ETAG_KINDS = {"z": ("zone", Zone), "p": ("prescription", Prescription)}


def _request(client: Client, rule: Rule, world: dict, role: str):
    values = world["values"]
    url = rule.url.format(**values)
    data, content_type = _body(rule.body, values, role)
    headers = {}
    if rule.if_match:
        kind, model = ETAG_KINDS[rule.if_match[0]]
        item = model.objects.get(pk=values[rule.if_match])
        headers["HTTP_IF_MATCH"] = f'"{kind}-{item.pk}-r{item.revision}"'
    method = getattr(client, rule.method.lower())
    if content_type == "multipart":
        return method(url, data, **headers)
    if data is None:
        return method(url, **headers)
    return method(url, data, content_type=content_type, **headers)


def _as_each_role(rule: Rule, world: dict, request) -> dict[str, tuple[int, str]]:
    """The status each role gets (and a bit of the body, to explain a mismatch)."""
    got = {}
    client = Client()  # one client: its handler scans the static files once
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(world["users"][role])
        try:
            with transaction.atomic():
                response = request(client, rule, world, role)
                got[role] = (response.status_code, response.content[:200].decode(errors="replace"))
                transaction.set_rollback(True)
        finally:
            world["zone"].refresh_from_db()
            world["prescription"].refresh_from_db()
    return got


def _mismatches(rule: Rule, got: dict) -> dict:
    return {
        role: {"expected": rule.expect[role], "got": status, "body": body}
        for role, (status, body) in got.items()
        if status != rule.expect[role]
    }


def _rule_id(rule: Rule) -> str:
    return f"{rule.method} {rule.url}"


@pytest.mark.parametrize("rule", DJANGO_RULES, ids=_rule_id)
def test_django_route_as_each_role(rule: Rule, world, db):
    if "frontend" in rule.tags:
        from django.conf import settings

        if not (settings.FRONTEND_DIST / "index.html").is_file():
            pytest.skip("frontend/dist is not built (a rebuild in progress?)")
    mismatches = _mismatches(rule, _as_each_role(rule, world, _request))
    assert not mismatches, json.dumps(mismatches, indent=1, ensure_ascii=False)


def admin_changelists() -> list[str]:
    from django.contrib import admin

    return [
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in admin.site._registry
    ]


@pytest.mark.parametrize("url", ["/admin/", *admin_changelists()])
def test_admin_route_as_each_role(url, world, db):
    rule = Rule(ADMIN_PREFIX, "GET", url, ADMIN_EXPECT)
    got = _as_each_role(rule, world, lambda client, r, w, role: client.get(r.url))
    mismatches = _mismatches(rule, got)
    assert not mismatches, json.dumps(mismatches, indent=1, ensure_ascii=False)


# -------------------------------------------------------------------------------------------
# /ogc/ and /tiles/ on the live server: committed users, real session cookies


@pytest.fixture(scope="module")
def live_world(live_url, world, django_db_blocker):
    """Session cookies of the world's users, for requests to the live server."""
    cookies = {"anonymous": {}}
    with django_db_blocker.unblock():
        for role, user in world["users"].items():
            client = Client()
            client.force_login(user)
            cookies[role] = {"sessionid": client.cookies["sessionid"].value}
    return {"url": live_url, "cookies": cookies, "values": world["values"]}


def _asgi_body(rule: Rule, values: dict):
    if rule.body == "cql2_json":
        return {"op": "=", "args": [{"property": "code"}, "__none__"]}
    if rule.body == "lookup":
        return {
            "inputs": {"geometry": {"type": "Point", "coordinates": [values["lon"], values["lat"]]}}
        }
    if rule.body == "feature":
        return {"type": "Feature", "geometry": None, "properties": {"code": "X"}}
    return None


def _comparable(response) -> bytes | dict:
    """The body, without pygeoapi's response time stamp."""
    if response.headers.get("content-type", "").startswith(("application/json", "application/geo")):
        data = response.json()
        if isinstance(data, dict):
            data.pop("timeStamp", None)
        return data
    return response.content


def _volatile(rule: Rule) -> bool:
    # Metrics count requests, health reports timings: their bodies differ by design.
    return rule.route in ("/metrics", "/healthz") or rule.method != "GET"


@pytest.mark.parametrize("rule", OGC_RULES + TILES_RULES, ids=_rule_id)
def test_ogc_and_tile_route_as_each_role(rule: Rule, live_world):
    values = live_world["values"]
    if "files" in rule.tags and values["listed_file"] == "none":
        pytest.skip("the demo lists no file")
    url = live_world["url"] + rule.url.format(**values)
    body = _asgi_body(rule, values)
    got, bodies = {}, {}
    for role in ROLES:
        response = requests.request(
            rule.method,
            url,
            json=body,
            cookies=live_world["cookies"][role],
            timeout=60,
            allow_redirects=False,
        )
        got[role] = (response.status_code, response.text[:200])
        bodies[role] = _comparable(response)
    mismatches = _mismatches(rule, got)
    assert not mismatches, json.dumps(mismatches, indent=1, ensure_ascii=False)
    if not _volatile(rule):
        # Credentials change nothing: a planner's session sees what an anonymous visitor sees.
        assert all(b == bodies["anonymous"] for b in bodies.values()), rule.url


@pytest.mark.parametrize("route", OGC_UNCONFIGURED)
def test_unconfigured_ogc_route_refuses_everyone_alike(route, live_world):
    url = live_world["url"] + "/ogc" + _fill(route) + "?f=json"
    statuses = {
        role: requests.get(url, cookies=live_world["cookies"][role], timeout=60).status_code
        for role in ROLES
    }
    assert len(set(statuses.values())) == 1, statuses
    assert statuses["anonymous"] < 500, statuses


def _fill(route: str) -> str:
    """A concrete path for a pygeoapi route template, on the zones collection."""
    import re

    filled = route.replace("{collection_id:path}", "zones")
    return re.sub(r"\{[^}]+\}", "x", filled)
