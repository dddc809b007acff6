"""Public inquiries on a plan version, their regimes, and the register of observations."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField

from common.fields import web_mercator_copy


class InquiryStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    SCHEDULED = "scheduled", "Arrêtée (ouverture programmée)"
    OPEN = "open", "Ouverte"
    CLOSED = "closed", "Close"
    SYNTHESIS = "synthesis", "Synthèse"
    DELIBERATED = "deliberated", "Délibération du conseil enregistrée"
    APPROVED = "approved", "Approuvée"
    ABANDONED = "abandoned", "Abandonnée"


S = InquiryStatus
# The allowed transitions of an inquiry; inquiry.services holds one service per transition.
INQUIRY_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SCHEDULED, S.ABANDONED},
    S.SCHEDULED: {S.OPEN, S.ABANDONED},
    S.OPEN: {S.CLOSED, S.ABANDONED},
    S.CLOSED: {S.SYNTHESIS, S.ABANDONED},
    S.SYNTHESIS: {S.DELIBERATED, S.ABANDONED},
    S.DELIBERATED: {S.APPROVED, S.ABANDONED},
    S.APPROVED: set(),
    S.ABANDONED: set(),
}


class Regime(models.Model):
    """The legal rules of one kind of inquiry: every legal number lives here, not in the code."""

    code = models.SlugField(max_length=40, unique=True)
    name_fr = models.CharField(max_length=200)
    name_ar = models.CharField(max_length=200, blank=True)
    notice_days = models.PositiveIntegerField(
        help_text="Minimum days between the opening order and the opening."
    )
    min_duration_days = models.PositiveIntegerField()
    max_duration_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: no maximum (extensions aside)."
    )
    max_extension_days = models.PositiveIntegerField(default=0)
    legal_basis = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_fr


class Inquiry(models.Model):
    """A public inquiry on one plan version; its dates are enforced on the database clock."""

    version = models.ForeignKey(
        "planning.PlanVersion", on_delete=models.PROTECT, related_name="inquiries"
    )
    regime = models.ForeignKey(
        Regime, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries"
    )
    title_fr = models.CharField(max_length=300)
    title_ar = models.CharField(max_length=300)
    status = models.CharField(
        max_length=16, choices=InquiryStatus.choices, default=InquiryStatus.DRAFT
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    # The closing date of the opening order, before any extension: extensions are bounded by it.
    scheduled_closes_at = models.DateTimeField(null=True, blank=True)
    order_reference = models.CharField(max_length=200, blank=True, help_text="Arrêté d'ouverture.")
    places = models.JSONField(
        default=list, blank=True, help_text="Places and hours: [{name, address, hours}]."
    )
    commission = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="inquiry_commissions"
    )
    deliberation_reference = models.CharField(max_length=200, blank=True)
    deliberation_date = models.DateField(null=True, blank=True)
    decree_reference = models.CharField(max_length=200, blank=True)
    bulletin_officiel_date = models.DateField(null=True, blank=True)
    closing_note = models.TextField(blank=True, help_text="Why the inquiry was abandoned.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "inquiries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="inquiry_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return self.title_fr


class InquiryEvent(models.Model):
    """One row per inquiry transition (and per extension)."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class Channel(models.TextChoices):
    WEB = "web", "Registre numérique"
    EMAIL = "email", "Courriel (transcrit)"
    PAPER = "paper", "Registre papier ou courrier (transcrit)"


class Theme(models.TextChoices):
    ZONING = "zoning", "Zonage, destination des sols"
    DENSITY = "density", "Hauteurs et densités"
    EQUIPMENT = "equipment", "Équipements publics et réservations"
    ROADS = "roads", "Voirie et déplacements"
    GREEN = "green", "Espaces verts et environnement"
    HERITAGE = "heritage", "Patrimoine"
    RISKS = "risks", "Risques et servitudes"
    OTHER = "other", "Autre"


# The columns of the legal record: a database trigger refuses to change them once written.
LEGAL_FIELDS = [
    "inquiry_id",
    "register_number",
    "channel",
    "theme",
    "body",
    "geom",
    "author_name",
    "author_email",
    "author_id_number",
    "publish_named",
    "consent_publication",
    "submitted_at",
    "content_sha256",
    "corrects_id",
    "transcribed_by_id",
]


class Observation(models.Model):
    """One entry of an inquiry's register: numbered without gaps, immutable once written."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="observations")
    register_number = models.PositiveIntegerField()
    receipt_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    theme = models.CharField(max_length=16, choices=Theme.choices)
    body = models.TextField()
    geom = models.GeometryField(srid=4326, null=True, blank=True)
    geom_3857 = web_mercator_copy(models.GeometryField)
    # What lies under the geometry on the plan under inquiry, attached at submission.
    zone = models.ForeignKey(
        "planning.Zone", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    commune = models.ForeignKey(
        "territory.Commune", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    context = models.JSONField(default=dict, blank=True)
    # Identity: private, never in a publish view, the public API or a page.
    author_name = models.CharField(max_length=200)
    author_email = models.EmailField(blank=True)
    author_id_number = models.CharField(max_length=40, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    publish_named = models.BooleanField(default=False)
    consent_publication = models.BooleanField()
    submitted_at = models.DateTimeField()
    content_sha256 = models.CharField(max_length=64)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    transcribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Moderation and the commission's work: these may change, each change an event row.
    hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=300, blank=True)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["inquiry", "register_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["inquiry", "register_number"], name="observation_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(register_number__gte=1), name="observation_number_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["ip", "submitted_at"], name="observation_ip_time"),
            models.Index(fields=["author_email", "submitted_at"], name="observation_email_time"),
        ]

    def __str__(self) -> str:
        return f"n° {self.register_number}"


class Attachment(models.Model):
    """A file of an observation (or the scan of a paper one), kept in the database with it."""

    observation = models.ForeignKey(
        Observation, on_delete=models.PROTECT, related_name="attachments"
    )
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # In the database, so an observation and its files commit or roll back together.
    content = models.BinaryField()
    is_scan = models.BooleanField(default=False)

    class Meta:
        ordering = ["observation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["observation", "position"], name="attachment_position_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ObservationEvent(models.Model):
    """Moderation and the commission's work on an entry: who, when, what."""

    observation = models.ForeignKey(Observation, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=20)
    payload = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class PendingObservation(models.Model):
    """A web submission waiting for its author to confirm their email (when that is switched on).

    Not part of the register: it gets a number only once confirmed, so the register stays
    gap-free. Its copy of the submission is erased on confirmation and on expiry.
    """

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="+")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The arguments of inquiry.services.observation_submit, files base64-encoded.
    submission = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    observation = models.OneToOneField(
        Observation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"pending {self.token}"
