"""Production defaults: a CSP on every page, no third-party assets, tokens for API clients."""

from __future__ import annotations

import re

from rest_framework.authtoken.models import Token


def test_pages_carry_a_csp_that_lets_the_map_workers_run(client, db):
    policy = client.get("/healthz")["Content-Security-Policy"]
    assert (
        "script-src 'self';" in policy
        and "unsafe-inline' " not in policy.split("script-src")[1][:30]
    )
    assert "worker-src 'self' blob:" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    admin = client.get("/admin/login/")["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in admin  # GeoDjango's map widget


def test_https_responses_carry_hsts_plain_http_ones_do_not(client, db):
    assert client.get("/healthz", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/healthz")


def test_the_api_docs_load_nothing_from_another_host(client, db):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
    assert sources and all(not s.startswith(("http://", "https://", "//")) for s in sources), (
        sources
    )


def test_api_clients_authenticate_with_a_token(client, agency_planner, draft):
    url = f"/api/v1/planning/versions/{draft.pk}/zones/"
    assert client.post(url, {}, content_type="application/json").status_code == 403
    token = Token.objects.create(user=agency_planner)
    response = client.post(
        url, {}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    # Authenticated (a 400 for the empty body, not a 403): the token stood for the planner.
    assert response.status_code == 400, response.content
