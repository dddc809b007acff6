"""Input and output shapes of the inquiry API; no rules here (they live in services)."""

from __future__ import annotations

import json

from django.contrib.gis.geos import GEOSGeometry
from rest_framework import serializers

from common.api import GeoJSONGeometryField, parse_srid

from .models import Channel, Inquiry, Observation, Regime, Theme

ERR_GEOMETRY_JSON = "The geometry is not valid JSON: {error}."


class RegimeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Regime
        fields = [
            "code",
            "name_fr",
            "name_ar",
            "notice_days",
            "min_duration_days",
            "max_duration_days",
            "max_extension_days",
        ]


class InquirySerializer(serializers.ModelSerializer):
    """An inquiry as the public sees it (status as the database clock has it)."""

    status = serializers.SerializerMethodField()
    regime = RegimeSerializer(read_only=True)
    document = serializers.SerializerMethodField()
    dossier = serializers.SerializerMethodField()
    portal_url = serializers.SerializerMethodField()
    compare_with = serializers.SerializerMethodField()

    class Meta:
        model = Inquiry
        fields = [
            "id",
            "title_fr",
            "title_ar",
            "status",
            "opens_at",
            "closes_at",
            "regime",
            "order_reference",
            "places",
            "version",
            "document",
            "dossier",
            "portal_url",
            "compare_with",
        ]

    def get_status(self, obj: Inquiry) -> str:
        from .selectors import effective_status

        return effective_status(obj, self.context["now"])

    def get_document(self, obj: Inquiry) -> dict:
        d = obj.version.document
        return {"code": d.code, "name_fr": d.name_fr, "name_ar": d.name_ar, "type": d.doc_type}

    def get_dossier(self, obj: Inquiry) -> list[dict]:
        files = obj.version.document.files.filter(version=obj.version)
        return [
            {"title": f.title, "url": f.file.url, "size": f.size, "sha256": f.sha256} for f in files
        ]

    def get_portal_url(self, obj: Inquiry) -> str:
        return f"/enquete/{obj.pk}/"

    def get_compare_with(self, obj: Inquiry) -> int | None:
        """The approved version the draft revises, for "what changes here?"."""
        parent = obj.version.parent
        return parent.pk if parent is not None and parent.stage == "approved" else None


class BooleanText(serializers.BooleanField):
    """A checkbox in a multipart form ('on', 'true', '1') or a JSON boolean."""

    TRUE_VALUES = serializers.BooleanField.TRUE_VALUES | {"on"}
    FALSE_VALUES = serializers.BooleanField.FALSE_VALUES | {""}


class GeometryInput(GeoJSONGeometryField):
    """GeoJSON geometry, as an object (JSON body) or a string (multipart form)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise serializers.ValidationError(ERR_GEOMETRY_JSON.format(error=exc)) from exc
        return super().to_internal_value(data)


class SubmitSerializer(serializers.Serializer):
    """An observation from the digital register."""

    theme = serializers.ChoiceField(choices=Theme.choices)
    body = serializers.CharField(trim_whitespace=True, allow_blank=True)
    author_name = serializers.CharField(max_length=200, allow_blank=True)
    author_email = serializers.CharField(max_length=254, allow_blank=True)
    author_id_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    publish_named = BooleanText(required=False, default=False)
    consent_publication = BooleanText(required=False, default=False)
    geometry = GeometryInput(required=False, allow_null=True)
    crs = serializers.CharField(required=False, default="EPSG:4326")
    corrects = serializers.UUIDField(
        required=False, allow_null=True, help_text="Receipt token of the entry this corrects."
    )
    # Honeypot: hidden from people by the page, filled in by naive bots.
    website = serializers.CharField(required=False, allow_blank=True, default="")
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)

    def validate(self, attrs):
        geometry: GEOSGeometry | None = attrs.get("geometry")
        if geometry is not None:
            geometry.srid = parse_srid(attrs["crs"])
        return attrs


class TranscribeSerializer(SubmitSerializer):
    """A paper or email observation, transcribed by staff (a scan of the original attached)."""

    channel = serializers.ChoiceField(choices=[Channel.PAPER, Channel.EMAIL])
    author_email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    corrects_number = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    scans = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ReceiptSerializer(serializers.Serializer):
    """Proof of deposit: number, instant and SHA-256 of the content. No personal data.

    Fields declared one by one rather than read from the model: it answers every submission,
    and a ModelSerializer builds its fields from the model on each use (~1 ms).
    """

    receipt = serializers.UUIDField(source="receipt_token")
    inquiry = serializers.IntegerField(source="inquiry_id")
    inquiry_title_fr = serializers.CharField(source="inquiry.title_fr")
    inquiry_title_ar = serializers.CharField(source="inquiry.title_ar")
    register_number = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    content_sha256 = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    theme = serializers.ChoiceField(choices=Theme.choices)
    attachments = serializers.SerializerMethodField()
    published = serializers.SerializerMethodField()

    def get_attachments(self, obj: Observation) -> list[dict]:
        files = getattr(obj, "stored_attachments", None)  # set by observation_submit
        if files is None:
            files = obj.attachments.all()
        return [{"name": a.name, "size": a.size, "sha256": a.sha256} for a in files]

    def get_published(self, obj: Observation) -> bool:
        return obj.consent_publication and not obj.hidden


class RegisterEntrySerializer(serializers.ModelSerializer):
    """An entry as the commission sees it: everything, identity included."""

    zone_code = serializers.CharField(source="zone.code", default=None)
    commune = serializers.CharField(source="commune.name_fr", default=None)
    assigned_to = serializers.CharField(source="assigned_to.username", default=None)
    corrects_number = serializers.IntegerField(source="corrects.register_number", default=None)
    geometry = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Observation
        fields = [
            "id",
            "register_number",
            "channel",
            "theme",
            "body",
            "geometry",
            "zone_code",
            "commune",
            "author_name",
            "author_email",
            "author_id_number",
            "publish_named",
            "consent_publication",
            "submitted_at",
            "content_sha256",
            "corrects_number",
            "hidden",
            "hidden_reason",
            "tags",
            "assigned_to",
            "answer",
            "answered_at",
            "attachments",
        ]

    def get_geometry(self, obj: Observation) -> dict | None:
        return json.loads(obj.geom.geojson) if obj.geom else None

    def get_attachments(self, obj: Observation) -> list[dict]:
        return [
            {
                "position": a.position,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "is_scan": a.is_scan,
            }
            for a in obj.attachments.all()
        ]


class HideSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class TagSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=60), max_length=20)


class AssignSerializer(serializers.Serializer):
    username = serializers.CharField(allow_null=True, required=False)


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField()


class TransitionSerializer(serializers.Serializer):
    """The parameters of a transition; each transition reads the ones it needs."""

    opens_at = serializers.DateTimeField(required=False)
    closes_at = serializers.DateTimeField(required=False)
    places = serializers.ListField(child=serializers.DictField(), required=False)
    order_reference = serializers.CharField(required=False, default="")
    commission = serializers.ListField(child=serializers.CharField(), required=False)
    reason = serializers.CharField(required=False, default="")
    reference = serializers.CharField(required=False, default="")
    date = serializers.DateField(required=False)
    decree_reference = serializers.CharField(required=False, default="")
    bulletin_officiel_date = serializers.DateField(required=False)
