"""The permissions matrix: every route of the system, what each role gets from it.

One table for Django (REST API, pages, admin), the OGC API at /ogc/ and the tile service at
/tiles/. `test_permissions_matrix.py` enumerates the routes of the three applications and fails
on any route without a rule here, then makes each request as each role against real objects of
agency A (the demo's Agence urbaine de Casablanca) and compares the status with the table.

The objects (see `world` in the test): S, a private study draft of agency A (no public inquiry:
it exists only for A's planners and administrators); P, A's approved version (public); I, A's
inquiry, open, whose commission includes the `commission` user; its register entry 1 carries a
PDF attachment and personal data. Agency B's planner is the outsider.

Statuses: 200/201/204 done; 302 sent to a sign-in page; 400 past the permission check, stopped
by validation (the request was deliberately incomplete: the role may do it); 403 refused;
404 the object does not exist for that role (to the public, a private draft does not exist;
staff are told whose it is, 403); 405 method not
allowed; 409 refused by the state of the object (a frozen version).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("planner_a", "planner_b", "commission", "moderator", "analyst", "anonymous", "admin")


def everyone(status: int) -> dict[str, int]:
    """The same answer for every role: a public route, or one that ignores credentials."""
    return dict.fromkeys(ROLES, status)


def only(roles: tuple[str, ...], ok: int, *, others: int = 403, anonymous: int | None = None):
    """`roles` get `ok`; the other signed-in roles `others`; anonymous visitors `anonymous`."""
    table = {role: (ok if role in roles else others) for role in ROLES}
    table["anonymous"] = anonymous if anonymous is not None else others
    if "anonymous" in roles:
        table["anonymous"] = ok
    return table


SIGNED_IN = ("planner_a", "planner_b", "commission", "moderator", "analyst", "admin")
AGENCY_A = ("planner_a", "admin")  # planners of the document's agency, administrators
COMMISSION = ("commission", "moderator", "admin")  # of the inquiry; moderators; administrators


def agency_a_private(ok: int) -> dict[str, int]:
    """On S, the private draft: agency A's planners and admins; 403 to every other role."""
    return only(AGENCY_A, ok, others=403)


def agency_a_public(ok: int) -> dict[str, int]:
    """On P, a public version: only agency A edits it; others may read it, not write: 403."""
    return only(AGENCY_A, ok, others=403)


@dataclass(frozen=True)
class Rule:
    """One request and what each role gets from it."""

    route: str  # the route as its application declares it (Django pattern or Starlette path)
    method: str
    url: str  # with {placeholders} filled from the test's objects
    expect: dict[str, int]
    body: str | None = None  # the name of a body built by the test (see BODIES there)
    if_match: str | None = None  # a placeholder naming a zone or prescription: send its ETag
    note: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)


P = "api/v1/planning/"
INQ = "api/v1/inquiries/"
ENTRY = INQ + "<int:pk>/register/<int:number>/"
W = "api/v1/watch/"

DJANGO_RULES = [
    # -- sign-in, schema, home, health --------------------------------------------------------
    Rule("connexion/", "GET", "/connexion/", everyone(200)),
    Rule("deconnexion/", "POST", "/deconnexion/", everyone(200), note="the signed-out page"),
    Rule("deconnexion/", "GET", "/deconnexion/", everyone(405), note="logout only by POST"),
    Rule("api/v1/schema/", "GET", "/api/v1/schema/", everyone(200)),
    Rule("api/v1/docs/", "GET", "/api/v1/docs/", everyone(200)),
    Rule("", "GET", "/", everyone(200)),
    Rule("healthz", "GET", "/healthz", everyone(200)),
    # -- planning: the editing API ------------------------------------------------------------
    Rule(P + "versions/<int:version_id>/", "GET", "/" + P + "versions/{S}/", agency_a_private(200)),
    Rule(
        P + "versions/<int:version_id>/",
        "GET",
        "/" + P + "versions/{P}/",
        only(SIGNED_IN, 200),
        note="a public version's editor context (read-only for other roles)",
    ),
    Rule(
        P + "versions/<int:version_id>/zones.geojson",
        "GET",
        "/" + P + "versions/{S}/zones.geojson?bbox={bbox}",
        agency_a_private(200),
    ),
    Rule(
        P + "versions/<int:version_id>/zones.geojson",
        "GET",
        "/" + P + "versions/{P}/zones.geojson?bbox={bbox}",
        only(SIGNED_IN, 200),
    ),
    Rule(
        P + "versions/<int:version_id>/report/",
        "GET",
        "/" + P + "versions/{S}/report/",
        agency_a_private(200),
    ),
    Rule(
        P + "versions/<int:version_id>/report/",
        "GET",
        "/" + P + "versions/{P}/report/",
        only(SIGNED_IN, 200),
    ),
    Rule(
        P + "versions/<int:version_id>/zones/",
        "POST",
        "/" + P + "versions/{S}/zones/",
        agency_a_private(400),
        body="empty",
    ),
    Rule(
        P + "versions/<int:version_id>/zones/",
        "POST",
        "/" + P + "versions/{P}/zones/",
        agency_a_public(400),
        body="empty",
    ),
    Rule(
        P + "versions/<int:version_id>/clone/",
        "POST",
        "/" + P + "versions/{S}/clone/",
        agency_a_private(201),
        body="clone",
    ),
    Rule(
        P + "versions/<int:version_id>/clone/",
        "POST",
        "/" + P + "versions/{P}/clone/",
        agency_a_public(201),
        body="clone",
        note="another agency cannot start a revision of A's plan",
    ),
    Rule(
        P + "versions/<int:version_id>/import/",
        "POST",
        "/" + P + "versions/{S}/import/",
        agency_a_private(400),
        body="no_file",
        note="refused before the upload is read",
    ),
    Rule(
        P + "versions/<int:version_id>/import/",
        "POST",
        "/" + P + "versions/{P}/import/",
        agency_a_public(400),
        body="no_file",
    ),
    Rule(
        P + "versions/<int:version_id>/import-jobs/",
        "POST",
        "/" + P + "versions/{S}/import-jobs/",
        agency_a_private(400),
        body="no_file",
    ),
    Rule(
        P + "import-jobs/<int:pk>/",
        "GET",
        "/" + P + "import-jobs/{job}/",
        only(AGENCY_A, 200),
    ),
    Rule(
        P + "versions/<int:version_id>/export.<str:fmt>",
        "GET",
        "/" + P + "versions/{S}/export.geojson",
        only(AGENCY_A, 200, others=403, anonymous=404),
        note="a private draft is exported to no one else, signed in or not",
    ),
    Rule(
        P + "versions/<int:version_id>/export.<str:fmt>",
        "GET",
        "/" + P + "versions/{P}/export.csv",
        everyone(200),
    ),
    Rule(
        P + "versions/<int:old_id>/diff/<int:new_id>/",
        "GET",
        "/" + P + "versions/{P}/diff/{S}/",
        only(AGENCY_A, 200, others=403, anonymous=404),
    ),
    Rule(
        P + "versions/<int:old_id>/diff/<int:new_id>/",
        "GET",
        "/" + P + "versions/{P}/diff/{Q}/",
        everyone(200),
        note="the approved plan against the draft under inquiry: public",
    ),
    Rule(
        P + "versions/<int:old_id>/diff/<int:new_id>/at/",
        "GET",
        "/" + P + "versions/{P}/diff/{S}/at/?lon={lon}&lat={lat}",
        only(AGENCY_A, 200, others=403, anonymous=404),
    ),
    Rule(
        P + "versions/<int:old_id>/diff/<int:new_id>/at/",
        "GET",
        "/" + P + "versions/{P}/diff/{Q}/at/?lon={lon}&lat={lat}",
        everyone(200),
    ),
    Rule(P + "zones/<int:pk>/", "GET", "/" + P + "zones/{zs}/", agency_a_private(200)),
    Rule(P + "zones/<int:pk>/", "GET", "/" + P + "zones/{zp}/", only(SIGNED_IN, 200)),
    Rule(
        P + "zones/<int:pk>/",
        "PATCH",
        "/" + P + "zones/{zs}/",
        agency_a_private(200),
        body="label",
        if_match="zs",
    ),
    Rule(
        P + "zones/<int:pk>/",
        "PATCH",
        "/" + P + "zones/{zp}/",
        agency_a_public(409),
        body="label",
        if_match="zp",
        note="A's own approved version is frozen: 409, not 403",
    ),
    Rule(
        P + "zones/<int:pk>/",
        "DELETE",
        "/" + P + "zones/{zs}/",
        agency_a_private(204),
        if_match="zs",
    ),
    Rule(
        P + "zones/<int:pk>/history/", "GET", "/" + P + "zones/{zs}/history/", agency_a_private(200)
    ),
    Rule(
        P + "zones/<int:pk>/history/",
        "GET",
        "/" + P + "zones/{zp}/history/",
        agency_a_public(200),
        note="the history shows a draft's states before they were public: editors only",
    ),
    Rule(
        P + "zones/<int:pk>/restore/<int:event_id>/",
        "POST",
        "/" + P + "zones/{zs}/restore/{zone_event}/",
        agency_a_private(200),
    ),
    Rule(
        P + "zones/<int:pk>/split/",
        "POST",
        "/" + P + "zones/{zs}/split/",
        agency_a_private(400),
        body="empty",
        if_match="zs",
    ),
    Rule(
        P + "zones/<int:pk>/merge/",
        "POST",
        "/" + P + "zones/{zs}/merge/",
        agency_a_private(400),
        body="empty",
        if_match="zs",
    ),
    Rule(
        P + "versions/<int:version_id>/prescriptions/",
        "POST",
        "/" + P + "versions/{S}/prescriptions/",
        agency_a_private(400),
        body="empty",
    ),
    Rule(
        P + "prescriptions/<int:pk>/", "GET", "/" + P + "prescriptions/{ps}/", agency_a_private(200)
    ),
    Rule(
        P + "prescriptions/<int:pk>/",
        "PATCH",
        "/" + P + "prescriptions/{ps}/",
        agency_a_private(200),
        body="label",
        if_match="ps",
    ),
    Rule(
        P + "prescriptions/<int:pk>/",
        "PATCH",
        "/" + P + "prescriptions/{pp}/",
        agency_a_public(409),
        body="label",
        if_match="pp",
    ),
    Rule(
        P + "prescriptions/<int:pk>/",
        "DELETE",
        "/" + P + "prescriptions/{ps}/",
        agency_a_private(204),
        if_match="ps",
    ),
    Rule(
        P + "prescriptions/<int:pk>/history/",
        "GET",
        "/" + P + "prescriptions/{ps}/history/",
        agency_a_private(200),
    ),
    Rule(
        P + "prescriptions/<int:pk>/restore/<int:event_id>/",
        "POST",
        "/" + P + "prescriptions/{ps}/restore/{prescription_event}/",
        agency_a_private(200),
    ),
    # -- planning pages -----------------------------------------------------------------------
    Rule(
        "planning/versions/<int:version_id>/report/",
        "GET",
        "/planning/versions/{S}/report/",
        only(AGENCY_A, 200, others=403, anonymous=302),
    ),
    Rule(
        "planning/versions/<int:version_id>/editer/",
        "GET",
        "/planning/versions/{S}/editer/",
        only(AGENCY_A, 200, others=403, anonymous=302),
        tags=("frontend",),
    ),
    # -- the public REST API on the publish views -----------------------------------------------
    Rule("api/v1/zones/<int:pk>/", "GET", "/api/v1/zones/{zp}/", everyone(200)),
    Rule(
        "api/v1/zones/<int:pk>/",
        "GET",
        "/api/v1/zones/{zs}/",
        everyone(404),
        note="a private draft's zone is not in publish.zones, whoever asks",
    ),
    Rule("api/v1/plans/", "GET", "/api/v1/plans/", everyone(200)),
    Rule("api/v1/lookup/", "GET", "/api/v1/lookup/?zone={zp}", everyone(200)),
    Rule(
        "api/v1/lookup/",
        "GET",
        "/api/v1/lookup/?zone={zs}",
        everyone(404),
        note="a private draft's zone is not published: no lookup by its id",
    ),
    Rule(
        "api/v1/lookup/note.pdf",
        "GET",
        "/api/v1/lookup/note.pdf?zone={zp}",
        everyone(200),
        tags=("frontend",),  # the PDF's fonts come from frontend/dist
    ),
    Rule("api/v1/lookup/note.pdf", "GET", "/api/v1/lookup/note.pdf?zone={zs}", everyone(404)),
    # -- the inquiry: public side -------------------------------------------------------------
    Rule(INQ, "GET", "/" + INQ, everyone(200)),
    Rule(INQ + "gazetteer/", "GET", "/" + INQ + "gazetteer/?q=Casa", everyone(200)),
    Rule(INQ + "receipts/<uuid:token>/", "GET", "/" + INQ + "receipts/{receipt}/", everyone(200)),
    Rule(
        INQ + "confirm/<uuid:token>/",
        "POST",
        "/" + INQ + "confirm/{confirm}/",
        everyone(201),
        note="whoever holds the emailed link; credentials play no part",
    ),
    Rule(INQ + "<int:pk>/", "GET", "/" + INQ + "{I}/", everyone(200)),
    Rule(INQ + "<int:pk>/", "GET", "/" + INQ + "{D}/", everyone(404), note="a draft inquiry"),
    Rule(INQ + "<int:pk>/observations/", "GET", "/" + INQ + "{I}/observations/", everyone(200)),
    Rule(
        INQ + "<int:pk>/observations/",
        "POST",
        "/" + INQ + "{I}/observations/",
        everyone(201),
        body="observation",
        note="anyone may write in the register of an open inquiry",
    ),
    Rule(
        INQ + "<int:pk>/observations/",
        "POST",
        "/" + INQ + "{D}/observations/",
        everyone(404),
        body="observation",
    ),
    Rule("enquete/<int:pk>/", "GET", "/enquete/{I}/", everyone(200), tags=("frontend",)),
    Rule("enquete/<int:pk>/", "GET", "/enquete/{D}/", everyone(404)),
    # -- the inquiry: the commission's side (personal data) -----------------------------------
    Rule(INQ + "<int:pk>/register/", "GET", "/" + INQ + "{I}/register/", only(COMMISSION, 200)),
    Rule(
        INQ + "<int:pk>/register/",
        "POST",
        "/" + INQ + "{I}/register/",
        only(COMMISSION, 400),
        body="empty",
        note="transcription of paper letters",
    ),
    Rule(INQ + "<int:pk>/stats/", "GET", "/" + INQ + "{I}/stats/", only(COMMISSION, 200)),
    Rule(
        INQ + "<int:pk>/export/<slug:fmt>/",
        "GET",
        "/" + INQ + "{I}/export/csv/",
        only(COMMISSION, 200),
        note="the register with names and emails",
    ),
    Rule(
        INQ + "<int:pk>/export/<slug:fmt>/",
        "GET",
        "/" + INQ + "{I}/export/gpkg/",
        only(COMMISSION, 200),
    ),
    Rule(
        INQ + "<int:pk>/transitions/<slug:name>/",
        "POST",
        "/" + INQ + "{I}/transitions/extend/",
        only(("planner_a", *COMMISSION), 400),
        body="empty",
        note="A's planners run the procedure; the commission the inquiry itself",
    ),
    Rule(
        INQ + "<int:pk>/transitions/<slug:name>/",
        "POST",
        "/" + INQ + "{I}/transitions/abandon/",
        only(AGENCY_A, 200),
        body="abandon",
        note="the procedure belongs to the agency in charge, not to the commission",
    ),
    Rule(ENTRY, "GET", "/" + INQ + "{I}/register/{number}/", only(COMMISSION, 200)),
    Rule(
        ENTRY + "attachments/<int:position>/",
        "GET",
        "/" + INQ + "{I}/register/{number}/attachments/1/",
        only(COMMISSION, 200),
    ),
    Rule(
        ENTRY + "hide/",
        "POST",
        "/" + INQ + "{I}/register/{number}/hide/",
        only(COMMISSION, 200),
        body="hide",
    ),
    Rule(
        ENTRY + "unhide/",
        "POST",
        "/" + INQ + "{I}/register/{hidden}/unhide/",
        only(COMMISSION, 200),
        body="empty",
    ),
    Rule(
        ENTRY + "tag/",
        "POST",
        "/" + INQ + "{I}/register/{number}/tag/",
        only(COMMISSION, 200),
        body="tag",
    ),
    Rule(
        ENTRY + "assign/",
        "POST",
        "/" + INQ + "{I}/register/{number}/assign/",
        only(COMMISSION, 200),
        body="assign",
    ),
    Rule(
        ENTRY + "answer/",
        "POST",
        "/" + INQ + "{I}/register/{number}/answer/",
        only(COMMISSION, 200),
        body="answer",
    ),
    Rule(
        "commission/enquetes/<int:pk>/",
        "GET",
        "/commission/enquetes/{I}/",
        only(COMMISSION, 200, anonymous=302),
        tags=("frontend",),
    ),
    # -- urban watch: public data, public analyses --------------------------------------------
    Rule(W + "indicators/", "GET", "/" + W + "indicators/", everyone(200)),
    Rule(
        W + "indicators/<slug:code>/values/",
        "GET",
        "/" + W + "indicators/{indicator}/values/?level=commune",
        everyone(200),
    ),
    Rule(W + "analysis/", "GET", "/" + W + "analysis/", everyone(400), note="what to send"),
    Rule(W + "analysis/", "POST", "/" + W + "analysis/", everyone(400), body="empty"),
    Rule(W + "runs/", "POST", "/" + W + "runs/", everyone(400), body="empty"),
    Rule(W + "runs/<int:pk>/", "GET", "/" + W + "runs/{run}/", everyone(200)),
    Rule(
        W + "units/<slug:level>/<str:code>/",
        "GET",
        "/" + W + "units/commune/{commune}/",
        everyone(200),
    ),
    Rule(W + "compare/", "GET", "/" + W + "compare/", everyone(400)),
    Rule(
        W + "export.<slug:fmt>",
        "GET",
        "/" + W + "export.csv?indicator={indicator}&level=commune",
        everyone(200),
    ),
    Rule("observatoire/", "GET", "/observatoire/", everyone(200), tags=("frontend",)),
]

# Everything under /admin/ (119 routes: one per model and action): staff administrators only;
# everyone else is sent to the admin's sign-in. Each registered model's list is requested.
ADMIN_PREFIX = "admin/"
ADMIN_EXPECT = only(("admin",), 200, others=302)

# The OGC API (pygeoapi) at /ogc/ and the tile service at /tiles/ read only the `publish` views,
# through a role that cannot read anything else; they look at no credentials, so every role gets
# the same answer (the test also checks that the bodies are identical).
OGC = "/ogc"
OGC_RULES = [
    Rule("/", "GET", "/ogc/?f=json", everyone(200)),
    Rule("/openapi", "GET", "/ogc/openapi?f=json", everyone(200)),
    Rule("/conformance", "GET", "/ogc/conformance?f=json", everyone(200)),
    Rule("/TileMatrixSets", "GET", "/ogc/TileMatrixSets?f=json", everyone(200)),
    Rule(
        "/TileMatrixSets/{tileMatrixSetId}",
        "GET",
        "/ogc/TileMatrixSets/WebMercatorQuad?f=json",
        everyone(200),
    ),
    Rule("/collections", "GET", "/ogc/collections?f=json", everyone(200)),
    Rule(
        "/collections/{collection_id:path}", "GET", "/ogc/collections/zones?f=json", everyone(200)
    ),
    Rule(
        "/collections/{collection_id:path}/schema",
        "GET",
        "/ogc/collections/zones/schema?f=json",
        everyone(200),
    ),
    Rule(
        "/collections/{collection_id:path}/queryables",
        "GET",
        "/ogc/collections/zones/queryables?f=json",
        everyone(200),
    ),
    Rule(
        "/collections/{collection_id:path}/items",
        "GET",
        "/ogc/collections/zones/items?f=json&limit=2",
        everyone(200),
    ),
    Rule(
        "/collections/{collection_id}/items",
        "GET",
        "/ogc/collections/prescriptions/items?f=json&limit=2",
        everyone(200),
        note="the same endpoint, tried first for ids without '/' (publish.ogc.mount)",
    ),
    Rule(
        "/collections/{collection_id:path}/items",
        "POST",
        "/ogc/collections/zones/items?f=json&limit=2",
        everyone(200),
        body="cql2_json",
        note="a CQL2 JSON filter in the body (a query, not a write)",
    ),
    Rule(
        "/collections/{collection_id:path}/items",
        "GET",
        "/ogc/collections/observations/items?f=json&limit=2",
        everyone(200),
        note="the moderated, anonymised view only",
    ),
    Rule(
        "/collections/{collection_id:path}/items/{item_id:path}",
        "GET",
        "/ogc/collections/zones/items/{zp}?f=json",
        everyone(200),
    ),
    Rule(
        "/collections/{collection_id:path}/items/{item_id:path}",
        "GET",
        "/ogc/collections/zones/items/{zs}?f=json",
        everyone(404),
        note="a private draft's zone is not in publish.zones",
    ),
    Rule(
        "/collections/{collection_id:path}/items/{item_id:path}",
        "PUT",
        "/ogc/collections/zones/items/{zp}",
        everyone(400),
        body="feature",
        note="no transactions: the OGC API is read-only ('Collection is not editable')",
    ),
    Rule(
        "/collections/{collection_id:path}/items/{item_id:path}",
        "DELETE",
        "/ogc/collections/zones/items/{zp}",
        everyone(400),
    ),
    Rule("/processes", "GET", "/ogc/processes?f=json", everyone(200)),
    Rule("/processes/{process_id}", "GET", "/ogc/processes/zoning-lookup?f=json", everyone(200)),
    Rule(
        "/processes/{process_id}/execution",
        "POST",
        "/ogc/processes/zoning-lookup/execution",
        everyone(200),
        body="lookup",
    ),
    Rule("/jobs", "GET", "/ogc/jobs?f=json", everyone(200)),
    Rule("/jobs/{job_id}", "GET", "/ogc/jobs/no-such-job?f=json", everyone(404)),
    Rule(
        "/jobs/{job_id}",
        "DELETE",
        "/ogc/jobs/no-such-job",
        everyone(405),
        note="jobs cannot be dismissed, by anyone",
    ),
    Rule("/jobs/{job_id}/results", "GET", "/ogc/jobs/no-such-job/results?f=json", everyone(404)),
    Rule("/files/{path}", "GET", "/ogc/files/{listed_file}", everyone(200), tags=("files",)),
    Rule(
        "/files/{path}",
        "GET",
        "/ogc/files/../../../etc/passwd",
        everyone(404),
        note="only listed files are served",
    ),
]
# pygeoapi routes for resources this deployment has none of (tiles of collections, coverages,
# maps, EDR queries, STAC): every role gets the same answer (a refusal, or STAC's empty
# catalogue), tested on the zones collection.
OGC_UNCONFIGURED = [
    "/collections/{collection_id:path}/tiles",
    "/collections/{collection_id:path}/tiles/{tileMatrixSetId}",
    "/collections/{collection_id:path}/tiles/{tileMatrixSetId}/metadata",
    "/collections/{collection_id:path}/tiles/{tileMatrixSetId}/{tile_matrix}/{tileRow}/{tileCol}",
    "/collections/{collection_id:path}/coverage",
    "/collections/{collection_id:path}/map",
    "/collections/{collection_id:path}/styles/{style_id:path}/map",
    "/collections/{collection_id:path}/position",
    "/collections/{collection_id:path}/area",
    "/collections/{collection_id:path}/cube",
    "/collections/{collection_id:path}/radius",
    "/collections/{collection_id:path}/trajectory",
    "/collections/{collection_id:path}/corridor",
    "/collections/{collection_id:path}/locations",
    "/collections/{collection_id:path}/locations/{location_id}",
    "/collections/{collection_id:path}/instances",
    "/collections/{collection_id:path}/instances/{instance_id}",
    "/collections/{collection_id:path}/instances/{instance_id}/position",
    "/collections/{collection_id:path}/instances/{instance_id}/area",
    "/collections/{collection_id:path}/instances/{instance_id}/cube",
    "/collections/{collection_id:path}/instances/{instance_id}/radius",
    "/collections/{collection_id:path}/instances/{instance_id}/trajectory",
    "/collections/{collection_id:path}/instances/{instance_id}/corridor",
    "/collections/{collection_id:path}/instances/{instance_id}/locations",
    "/collections/{collection_id:path}/instances/{instance_id}/locations/{location_id}",
    "/stac",
    "/stac/{path:path}",
]

TILES = "/tiles"
TILES_RULES = [
    Rule("/healthz", "GET", "/tiles/healthz", everyone(200)),
    Rule("/metrics", "GET", "/tiles/metrics", everyone(200)),
    Rule("/style.json", "GET", "/tiles/style.json", everyone(200)),
    Rule("/ogc/tilesets", "GET", "/tiles/ogc/tilesets", everyone(200)),
    Rule("/ogc/tilesets/{layer:str}", "GET", "/tiles/ogc/tilesets/zones", everyone(200)),
    Rule(
        "/ogc/tilesets/{layer:str}/tiles/{tms:str}/{z:int}/{y:int}/{x:int}",
        "GET",
        "/tiles/ogc/tilesets/zones/tiles/WebMercatorQuad/{z}/{y}/{x}",
        everyone(200),
    ),
    Rule("/{layer:str}.json", "GET", "/tiles/zones.json", everyone(200)),
    Rule(
        "/{layer:str}/{z:int}/{x:int}/{y:int}.pbf",
        "GET",
        "/tiles/zones/{z}/{x}/{y}.pbf",
        everyone(200),
    ),
    Rule(
        "/{layer:str}/{z:int}/{x:int}/{y:int}.pbf",
        "GET",
        "/tiles/observations/{z}/{x}/{y}.pbf",
        everyone(200),
    ),
    Rule(
        "/{layer:str}/{z:int}/{x:int}/{y:int}.pbf",
        "POST",
        "/tiles/zones/{z}/{x}/{y}.pbf",
        everyone(405),
    ),
]
