"""The inquiry API: thin views over inquiry.services and inquiry.selectors."""

from __future__ import annotations

from django.db import connection
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from common.api import OneRenderer, reused
from common.audit import audit
from common.db import db_now
from common.errors import Refused
from common.parsers import MultiPartParser

from . import certified, exports, selectors, services, synthesis
from .conf import limit
from .models import Attachment, Inquiry, InquiryStatus, Observation
from .serializers import (
    HideSerializer,
    InquirySerializer,
    ReceiptSerializer,
    RegisterEntrySerializer,
    SubmitSerializer,
    TranscribeSerializer,
    TransitionSerializer,
)

ERR_NOT_PUBLIC = "No public inquiry {pk}."
ERR_NO_USER = "No user {username!r}."
ERR_UNKNOWN_TRANSITION = "Unknown transition {name!r}: use one of {choices}."
ERR_MISSING = "This transition needs {fields}."
ERR_NOT_RUNNER = (
    "Only planners of the agency in charge of the plan (or administrators) run the inquiry's "
    "procedure; the members of its commission may also open, extend, close it and start the "
    "synthesis."
)
MSG_CHECK_EMAIL = (
    "Almost done: open the link we have emailed you before {expires} (Casablanca time) to put "
    "your observation in the register."
)
ERR_INTEGER = "The parameter {name}={value!r} must be a whole number."
ERR_EXPORT_FORMAT = "Unknown export format {fmt!r}: use one of {choices}."
ERR_CORRECTS_UNKNOWN = "No register entry with that receipt or number in this inquiry."


def is_commission_of(user, inquiry_id: int | None) -> bool:
    """Members of this inquiry's commission, moderators and administrators."""
    if not (user and user.is_authenticated):
        return False
    if user.is_superuser or user.role in (Role.MODERATOR, Role.ADMIN):
        return True
    return (
        user.role == Role.COMMISSION
        and Inquiry.commission.through.objects.filter(
            inquiry_id=inquiry_id, user_id=user.pk
        ).exists()
    )


class IsCommission(BasePermission):
    """The members of the inquiry's commission, moderators and administrators."""

    message = (
        "Only the members of this inquiry's commission, moderators and administrators may do this."
    )

    def has_permission(self, request, view) -> bool:
        return is_commission_of(request.user, view.kwargs.get("pk"))


# In the model's order of fields, as Model.from_db takes them.
LIGHT_FIELDS = ["id", "version_id", "title_fr", "title_ar", "status"]
LIGHT_INQUIRY = (
    "SELECT id, version_id, title_fr, title_ar, status FROM inquiry_inquiry"
    " WHERE id = %s AND status <> %s"
)


def _public_inquiry(pk: int, *, light: bool = False) -> Inquiry:
    """A public inquiry; `light`: its own row only (what a submission needs)."""
    if light:
        # A prepared statement: nothing to compile or plan on the path of every submission;
        # the other fields load on use.
        row = services.prepared_row(LIGHT_INQUIRY, [pk, InquiryStatus.DRAFT])
        inquiry = row and Inquiry.from_db(connection.alias, LIGHT_FIELDS, row)
    else:
        inquiry = selectors.public_inquiries().filter(pk=pk).first()
    if inquiry is None:
        raise Refused(ERR_NOT_PUBLIC.format(pk=pk), code="not_found", status=404)
    return inquiry


def _uploads(files, *, is_scan: bool = False) -> list[services.Upload]:
    return [services.Upload(name=f.name, content=f.read(), is_scan=is_scan) for f in files]


def _integer(request, name: str, default: int) -> int:
    raw = request.query_params.get(name) or default
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise Refused(ERR_INTEGER.format(name=name, value=raw), code="invalid_parameter") from exc


def _client_ip(request) -> str | None:
    # REMOTE_ADDR only: a forwarded header is the client's word, not a fact.
    return request.META.get("REMOTE_ADDR") or None


class InquiryList(APIView):
    """Public inquiries, newest first; the status is judged on the database clock."""

    permission_classes = [AllowAny]

    @extend_schema(responses=InquirySerializer(many=True))
    def get(self, request):
        context = {"now": db_now(), "request": request}
        return Response(
            InquirySerializer(selectors.public_inquiries(), many=True, context=context).data
        )


class InquiryDetail(APIView):
    """One public inquiry, with its dossier, places and hours."""

    permission_classes = [AllowAny]

    @extend_schema(responses=InquirySerializer)
    def get(self, request, pk: int):
        context = {"now": db_now(), "request": request}
        return Response(InquirySerializer(_public_inquiry(pk), context=context).data)


class InquiryObservations(APIView):
    """Published observations (GET, GeoJSON) and the digital register (POST, a citizen's entry)."""

    permission_classes = [AllowAny]
    # Citizens have no account: no session, hence no CSRF token to ask for.
    authentication_classes: list = []
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    # JSON only: no browsable page to negotiate on every submission.
    renderer_classes = [JSONRenderer]
    content_negotiation_class = OneRenderer

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, description="At most 500."),
            OpenApiParameter("offset", int),
        ],
        responses={200: dict},
    )
    def get(self, request, pk: int):
        _public_inquiry(pk)
        limit = max(1, min(_integer(request, "limit", 500), 500))
        offset = max(0, _integer(request, "offset", 0))
        return Response(selectors.published_observations(inquiry_id=pk, limit=limit, offset=offset))

    @extend_schema(request=SubmitSerializer, responses={201: ReceiptSerializer})
    def post(self, request, pk: int):
        inquiry = _public_inquiry(pk, light=True)
        data = request.data
        if hasattr(data, "getlist"):
            data = data.dict() | {"attachments": request.FILES.getlist("attachments")}
        v = reused(SubmitSerializer).run_validation(data)
        corrects = None
        if v.get("corrects"):
            corrects = Observation.objects.filter(
                inquiry=inquiry, receipt_token=v["corrects"]
            ).first()
            if corrects is None:
                raise Refused(ERR_CORRECTS_UNKNOWN, code="corrects_unknown", status=404)
        submission = dict(
            inquiry=inquiry,
            theme=v["theme"],
            body=v["body"],
            author_name=v["author_name"],
            author_email=v["author_email"],
            author_id_number=v.get("author_id_number", ""),
            publish_named=v["publish_named"],
            consent_publication=v["consent_publication"],
            geometry=v.get("geometry"),
            attachments=_uploads(v["attachments"]),
            ip=_client_ip(request),
            honeypot=v["website"],
            corrects=corrects,
        )
        if limit("EU_INQUIRY_VERIFY_EMAIL"):
            link = request.build_absolute_uri(f"/enquete/{inquiry.pk}/")
            pending = services.observation_hold(link=link, **submission)
            return Response(
                {
                    "status": "pending",
                    "detail": MSG_CHECK_EMAIL.format(
                        expires=services.wall_clock(pending.expires_at)
                    ),
                    "expires_at": pending.expires_at,
                },
                status=status.HTTP_202_ACCEPTED,
            )
        observation = services.observation_submit(**submission)
        receipt = reused(ReceiptSerializer).to_representation(observation)
        return Response(receipt, status=status.HTTP_201_CREATED)


class Confirm(APIView):
    """The link of the verification email: the held entry goes into the register."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=None, responses={201: ReceiptSerializer})
    def post(self, request, token):
        observation = services.observation_confirm(token=token)
        return Response(ReceiptSerializer(observation).data, status=status.HTTP_201_CREATED)


class Receipt(APIView):
    """The receipt of an entry, for whoever holds its token."""

    permission_classes = [AllowAny]

    @extend_schema(responses=ReceiptSerializer)
    def get(self, request, token):
        observation = get_object_or_404(
            Observation.objects.select_related("inquiry").prefetch_related(
                Prefetch("attachments", queryset=Attachment.objects.defer("content"))
            ),
            receipt_token=token,
        )
        return Response(ReceiptSerializer(observation).data)


class Gazetteer(APIView):
    """Places (communes, districts) by name, from the system's own data."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True),
            OpenApiParameter("inquiry", int, description="Only places the inquiry's plan covers."),
        ],
        responses={200: dict},
    )
    def get(self, request):
        q = request.query_params.get("q", "").strip()[:80]
        inquiry = request.query_params.get("inquiry")
        if len(q) < 2:
            return Response({"results": []})
        inquiry_id = int(inquiry) if inquiry and inquiry.isdigit() else None
        return Response({"results": selectors.gazetteer(q=q, inquiry_id=inquiry_id)})


# ---------------------------------------------------------------------------------------------
# Commission workspace


def _entry(pk: int, number: int) -> Observation:
    return get_object_or_404(Observation, inquiry_id=pk, register_number=number)


class Register(APIView):
    """The whole register (hidden entries included) and staff transcription of paper and email."""

    permission_classes = [IsCommission]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str)
            for name in (
                "theme",
                "channel",
                "hidden",
                "tag",
                "assigned_to",
                "answered",
                "zone_code",
                "commune",
                "q",
            )
        ],
        responses=RegisterEntrySerializer(many=True),
    )
    def get(self, request, pk: int):
        inquiry = get_object_or_404(Inquiry, pk=pk)
        entries = selectors.register(inquiry=inquiry, filters=request.query_params)
        return Response(RegisterEntrySerializer(entries, many=True).data)

    @extend_schema(request=TranscribeSerializer, responses={201: RegisterEntrySerializer})
    def post(self, request, pk: int):
        inquiry = get_object_or_404(Inquiry, pk=pk)
        data = request.data
        if hasattr(data, "getlist"):
            data = data.dict() | {
                "attachments": request.FILES.getlist("attachments"),
                "scans": request.FILES.getlist("scans"),
            }
        form = TranscribeSerializer(data=data)
        form.is_valid(raise_exception=True)
        v = form.validated_data
        corrects = None
        if v.get("corrects_number"):
            corrects = Observation.objects.filter(
                inquiry=inquiry, register_number=v["corrects_number"]
            ).first()
            if corrects is None:
                raise Refused(ERR_CORRECTS_UNKNOWN, code="corrects_unknown", status=404)
        observation = services.observation_submit(
            inquiry=inquiry,
            channel=v["channel"],
            theme=v["theme"],
            body=v["body"],
            author_name=v["author_name"],
            author_email=v.get("author_email", ""),
            author_id_number=v.get("author_id_number", ""),
            publish_named=v["publish_named"],
            consent_publication=v["consent_publication"],
            geometry=v.get("geometry"),
            attachments=_uploads(v["scans"], is_scan=True) + _uploads(v["attachments"]),
            corrects=corrects,
            by=request.user,
        )
        return Response(RegisterEntrySerializer(observation).data, status=status.HTTP_201_CREATED)


class RegisterEntry(APIView):
    """One entry of the register, for the commission."""

    permission_classes = [IsCommission]

    @extend_schema(responses=RegisterEntrySerializer)
    def get(self, request, pk: int, number: int):
        return Response(RegisterEntrySerializer(_entry(pk, number)).data)


class RegisterAttachment(APIView):
    """Download one attachment of an entry (the commission only: scans carry identities)."""

    permission_classes = [IsCommission]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, pk: int, number: int, position: int):
        attachment = get_object_or_404(_entry(pk, number).attachments, position=position)
        response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
        response["Content-Disposition"] = f'attachment; filename="{attachment.name}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class EntryAction(APIView):
    """Moderation and the commission's work on one entry: hide, unhide, tag, assign, answer."""

    permission_classes = [IsCommission]
    action: str = ""
    serializer_class = HideSerializer

    def post(self, request, pk: int, number: int):
        observation = _entry(pk, number)
        form = self.serializer_class(data=request.data)
        form.is_valid(raise_exception=True)
        v = form.validated_data
        if self.action == "hide":
            observation = services.observation_hide(
                observation=observation, reason=v["reason"], by=request.user
            )
        elif self.action == "unhide":
            observation = services.observation_unhide(observation=observation, by=request.user)
        elif self.action == "tag":
            observation = services.observation_tag(
                observation=observation, tags=v["tags"], by=request.user
            )
        elif self.action == "assign":
            assignee = None
            if v.get("username"):
                assignee = User.objects.filter(username=v["username"]).first()
                if assignee is None:
                    raise Refused(
                        ERR_NO_USER.format(username=v["username"]), code="not_found", status=404
                    )
            observation = services.observation_assign(
                observation=observation, assignee=assignee, by=request.user
            )
        elif self.action == "answer":
            observation = services.observation_answer(
                observation=observation, answer=v["answer"], by=request.user
            )
        return Response(RegisterEntrySerializer(observation).data)


def entry_action(action: str, serializer):
    """A view class for one entry action, so each has its own request schema."""
    return type(
        f"Entry{action.title()}",
        (EntryAction,),
        {
            "action": action,
            "serializer_class": serializer,
            "post": extend_schema(request=serializer, responses=RegisterEntrySerializer)(
                EntryAction.post
            ),
            "__doc__": f"{action.title()} an entry of the register (commission, moderators).",
        },
    ).as_view()


class NoInput(serializers.Serializer):
    """No parameters."""


class RegisterExport(APIView):
    """The register as CSV, GeoPackage or certified PDF, hidden entries included (commission),
    and the draft synthesis report (PDF)."""

    permission_classes = [IsCommission]
    FORMATS = {
        "csv": (exports.register_csv, "text/csv; charset=utf-8", "registre", "csv"),
        "gpkg": (
            exports.register_geopackage,
            "application/geopackage+sqlite3",
            "registre",
            "gpkg",
        ),
        "pdf": (certified.register_pdf, "application/pdf", "registre", "pdf"),
        "synthesis": (synthesis.synthesis_pdf, "application/pdf", "synthese", "pdf"),
    }

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, pk: int, fmt: str):
        if fmt not in self.FORMATS:
            raise Refused(
                ERR_EXPORT_FORMAT.format(fmt=fmt, choices=", ".join(self.FORMATS)),
                code="not_found",
                status=404,
            )
        inquiry = get_object_or_404(Inquiry, pk=pk)
        build, content_type, stem, extension = self.FORMATS[fmt]
        audit("personal_data_export", actor=request.user, inquiry_id=inquiry.pk, format=fmt)
        response = HttpResponse(build(inquiry), content_type=content_type)
        name = f"{stem}-enquete-{inquiry.pk}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        # The digest of the register as exported, to compare with the certified PDF's.
        response["X-Register-SHA256"] = exports.register_digest(exports.register_rows(inquiry))
        return response


class Stats(APIView):
    """Counts of the register by theme, zone, commune and channel."""

    permission_classes = [IsCommission]

    @extend_schema(responses={200: dict})
    def get(self, request, pk: int):
        return Response(selectors.register_stats(inquiry=get_object_or_404(Inquiry, pk=pk)))


TRANSITIONS = {
    "schedule": InquiryStatus.SCHEDULED,
    "open": InquiryStatus.OPEN,
    "close": InquiryStatus.CLOSED,
    "extend": None,
    "synthesis": InquiryStatus.SYNTHESIS,
    "deliberation": InquiryStatus.DELIBERATED,
    "approve": InquiryStatus.APPROVED,
    "abandon": InquiryStatus.ABANDONED,
}


# The conduct of the inquiry, which its commission runs too; the rest of the procedure (opening
# order, deliberation, approval, abandon) belongs to the agency in charge of the plan.
COMMISSION_TRANSITIONS = {"open", "close", "extend", "synthesis"}


def _require(v: dict, *fields: str) -> None:
    if any(not v.get(f) for f in fields):
        raise Refused(ERR_MISSING.format(fields=", ".join(fields)), code="missing")


class Transition(APIView):
    """Move an inquiry along its procedure (the agency in charge; its commission for the inquiry
    itself: open, extend, close, synthesis)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=TransitionSerializer, responses=InquirySerializer)
    def post(self, request, pk: int, name: str):
        if name not in TRANSITIONS:
            raise Refused(
                ERR_UNKNOWN_TRANSITION.format(name=name, choices=", ".join(TRANSITIONS)),
                code="not_found",
                status=404,
            )
        inquiry = get_object_or_404(Inquiry.objects.select_related("version__document"), pk=pk)
        user = request.user
        agency_id = inquiry.version.document.agency_id
        runs_procedure = user.is_superuser or (
            user.role in (Role.PLANNER, Role.ADMIN)
            and (user.role == Role.ADMIN or user.agency_id == agency_id)
        )
        runs_inquiry = name in COMMISSION_TRANSITIONS and is_commission_of(user, inquiry.pk)
        if not (runs_procedure or runs_inquiry):
            raise Refused(ERR_NOT_RUNNER, code="forbidden", status=403)
        form = TransitionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        v = form.validated_data
        by = user
        if name == "schedule":
            members = list(User.objects.filter(username__in=v.get("commission", [])))
            inquiry = services.inquiry_schedule(
                inquiry=inquiry,
                opens_at=v.get("opens_at"),
                closes_at=v.get("closes_at"),
                places=v.get("places"),
                order_reference=v["order_reference"],
                commission=members if "commission" in v else None,
                by=by,
            )
        elif name == "open":
            inquiry = services.inquiry_open(inquiry=inquiry, by=by)
        elif name == "close":
            inquiry = services.inquiry_close(inquiry=inquiry, by=by)
        elif name == "extend":
            _require(v, "closes_at", "reason")
            inquiry = services.inquiry_extend(
                inquiry=inquiry, closes_at=v["closes_at"], reason=v["reason"], by=by
            )
        elif name == "synthesis":
            inquiry = services.inquiry_start_synthesis(inquiry=inquiry, by=by)
        elif name == "deliberation":
            _require(v, "reference", "date")
            inquiry = services.inquiry_record_deliberation(
                inquiry=inquiry, reference=v["reference"], deliberated_on=v["date"], by=by
            )
        elif name == "approve":
            _require(v, "decree_reference", "bulletin_officiel_date")
            inquiry = services.inquiry_approve(
                inquiry=inquiry,
                decree_reference=v["decree_reference"],
                bulletin_officiel_date=v["bulletin_officiel_date"],
                by=by,
            )
        elif name == "abandon":
            inquiry = services.inquiry_abandon(inquiry=inquiry, reason=v["reason"], by=by)
        return Response(InquirySerializer(inquiry, context={"now": db_now()}).data)
