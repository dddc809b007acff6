"""Planning documents, their versions, zones, prescriptions, règlement articles and files."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator

from common.fields import web_mercator_copy


class DocumentType(models.TextChoices):
    SDAU = "SDAU", "Schéma directeur d'aménagement urbain"
    PA = "PA", "Plan d'aménagement"
    PZ = "PZ", "Plan de zonage"
    PDAR = "PDAR", "Plan de développement d'agglomération rurale"


class DocumentStatus(models.TextChoices):
    """Status codes after the CNIG ETAT list, so exports map one to one."""

    IN_PROGRESS = "01", "En cours d'élaboration"
    DECIDED = "02", "Soumis à enquête publique"
    IN_FORCE = "03", "Opposable (en vigueur)"
    ANNULLED = "04", "Annulé"
    REPLACED = "05", "Remplacé"
    REPEALED = "06", "Abrogé"
    APPROVED = "07", "Approuvé (non encore publié)"
    PARTLY_ANNULLED = "08", "Partiellement annulé"
    LAPSED = "09", "Caduc"


# The allowed status transitions of a planning document; planning.services enforces them.
DOCUMENT_TRANSITIONS: dict[str, set[str]] = {
    DocumentStatus.IN_PROGRESS: {DocumentStatus.DECIDED, DocumentStatus.ANNULLED},
    DocumentStatus.DECIDED: {DocumentStatus.APPROVED, DocumentStatus.IN_PROGRESS},
    DocumentStatus.APPROVED: {DocumentStatus.IN_FORCE, DocumentStatus.ANNULLED},
    DocumentStatus.IN_FORCE: {
        DocumentStatus.REPLACED,
        DocumentStatus.REPEALED,
        DocumentStatus.ANNULLED,
        DocumentStatus.PARTLY_ANNULLED,
        DocumentStatus.LAPSED,
    },
    DocumentStatus.PARTLY_ANNULLED: {DocumentStatus.REPLACED, DocumentStatus.REPEALED},
    DocumentStatus.ANNULLED: set(),
    DocumentStatus.REPLACED: set(),
    DocumentStatus.REPEALED: set(),
    DocumentStatus.LAPSED: set(),
}


class PlanningDocument(models.Model):
    """A planning document (SDAU, PA, plan de zonage, PDAR) of an agency."""

    code = models.CharField(max_length=40, unique=True)
    doc_type = models.CharField(max_length=8, choices=DocumentType.choices)
    name_fr = models.CharField(max_length=300)
    name_ar = models.CharField(max_length=300)
    agency = models.ForeignKey(
        "territory.Agency", on_delete=models.PROTECT, related_name="documents"
    )
    communes = models.ManyToManyField("territory.Commune", related_name="documents")
    status = models.CharField(
        max_length=2, choices=DocumentStatus.choices, default=DocumentStatus.IN_PROGRESS
    )
    perimeter = models.MultiPolygonField(srid=4326)
    approved_on = models.DateField(null=True, blank=True)
    decree_reference = models.CharField(max_length=100, blank=True)
    bulletin_officiel_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.doc_type} {self.name_fr}"


class VersionStage(models.TextChoices):
    STUDY = "study", "Étude"
    INQUIRY = "inquiry", "Version enquête publique"
    APPROVED = "approved", "Version homologuée"
    SUPERSEDED = "superseded", "Remplacée"
    ABANDONED = "abandoned", "Abandonnée"


VERSION_TRANSITIONS: dict[str, set[str]] = {
    VersionStage.STUDY: {VersionStage.INQUIRY, VersionStage.ABANDONED},
    VersionStage.INQUIRY: {VersionStage.APPROVED, VersionStage.ABANDONED},
    VersionStage.APPROVED: {VersionStage.SUPERSEDED},
    VersionStage.SUPERSEDED: set(),
    VersionStage.ABANDONED: set(),
}


class PlanVersion(models.Model):
    """One version of a document's plan; frozen (read-only) once submitted to inquiry."""

    document = models.ForeignKey(
        PlanningDocument, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=200)
    stage = models.CharField(
        max_length=16, choices=VersionStage.choices, default=VersionStage.STUDY
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    frozen_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the version is submitted to inquiry."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document.code} v{self.number} ({self.get_stage_display()})"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class ZoneFamily(models.TextChoices):
    DENSE_HOUSING = "dense_housing", "Habitat dense (immeubles)"
    VILLAS = "villas", "Villas"
    MIXED = "mixed", "Zone mixte"
    ECONOMIC = "economic", "Activités économiques"
    EQUIPMENT = "equipment", "Équipements"
    GREEN = "green", "Espaces verts"
    NO_BUILD = "no_build", "Non aedificandi"
    RURAL = "rural", "Zone rurale"
    TOURISM = "tourism", "Zone touristique"


def _ratio() -> list:
    return [MinValueValidator(0), MaxValueValidator(10)]


class Zone(models.Model):
    """A zone of a plan version and its rules, each rule a distinct field (DOMAIN.md)."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="zones")
    key = models.CharField(
        max_length=64, help_text="Stable identifier of the zone across versions, for diffs."
    )
    code = models.CharField(max_length=16, db_index=True)
    label_fr = models.CharField(max_length=200)
    label_ar = models.CharField(max_length=200)
    family = models.CharField(max_length=16, choices=ZoneFamily.choices)
    max_height_m = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    max_levels = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="n in R+n: levels above the ground floor."
    )
    # Moroccan COS: share of the lot that may be built on (emprise au sol), 0..1.
    ground_coverage_max = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    # Moroccan CUS: floor area / lot area.
    floor_area_ratio_max = models.FloatField(null=True, blank=True, validators=_ratio())
    min_lot_area_m2 = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    setback_road_m = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    setback_neighbour_m = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0)]
    )
    allowed_uses = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    prohibited_uses = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    geom = models.MultiPolygonField(srid=4326)
    geom_3857 = web_mercator_copy(models.MultiPolygonField)
    # Bumped by every edit: the ETag of the zone, for optimistic concurrency (If-Match).
    revision = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        ordering = ["version", "code", "key"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="zone_key_unique_in_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label_fr}"


class ZoneCode(models.Model):
    """The code list of a document's règlement: each code's family and the limits of its rules."""

    document = models.ForeignKey(PlanningDocument, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=16)
    family = models.CharField(max_length=16, choices=ZoneFamily.choices)
    label_fr = models.CharField(max_length=200)
    label_ar = models.CharField(max_length=200, blank=True)
    max_levels_limit = models.PositiveSmallIntegerField(null=True, blank=True)
    max_height_m_limit = models.FloatField(null=True, blank=True)
    ground_coverage_limit = models.FloatField(null=True, blank=True)
    floor_area_ratio_limit = models.FloatField(null=True, blank=True)
    min_lot_area_m2_floor = models.FloatField(
        null=True, blank=True, help_text="The minimum lot size may not go below this."
    )

    class Meta:
        ordering = ["document", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "code"], name="zone_code_unique_in_document"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label_fr}"


# A zone's descriptive and rule attributes, in one order for the API, imports and exports.
ZONE_ATTRIBUTES = [
    "code",
    "label_fr",
    "label_ar",
    "family",
    "max_height_m",
    "max_levels",
    "ground_coverage_max",
    "floor_area_ratio_max",
    "min_lot_area_m2",
    "setback_road_m",
    "setback_neighbour_m",
    "allowed_uses",
    "prohibited_uses",
]


class PrescriptionKind(models.TextChoices):
    EQUIPMENT_RESERVATION = "equipment_reservation", "Réservation pour équipement public"
    ROAD_RESERVATION = "road_reservation", "Emprise de voirie projetée"
    GREEN_RESERVATION = "green_reservation", "Réservation d'espace vert"
    EASEMENT = "easement", "Servitude"
    NO_BUILD_AREA = "no_build_area", "Zone non aedificandi"


class Prescription(models.Model):
    """A reservation, easement or no-build area: a point, line or polygon."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="prescriptions")
    key = models.CharField(max_length=64)
    kind = models.CharField(max_length=32, choices=PrescriptionKind.choices)
    label_fr = models.CharField(max_length=200)
    label_ar = models.CharField(max_length=200)
    equipment_type = models.CharField(max_length=32, blank=True)
    width_m = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    # Approval is a declaration of public utility whose effect lapses (10 years, DOMAIN.md).
    expires_on = models.DateField(null=True, blank=True)
    geom = models.GeometryField(srid=4326)
    geom_3857 = web_mercator_copy(models.GeometryField)
    revision = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        ordering = ["version", "kind", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "key"], name="prescription_key_unique_in_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label_fr}"


class RegulationArticle(models.Model):
    """An article of the règlement d'aménagement of a version, for one zone code or general."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="articles")
    zone_code = models.CharField(max_length=16, blank=True, db_index=True)
    number = models.CharField(max_length=20)
    position = models.PositiveIntegerField(default=0)
    title_fr = models.CharField(max_length=300)
    title_ar = models.CharField(max_length=300, blank=True)
    body_fr = models.TextField()
    body_ar = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "zone_code", "position"]

    def __str__(self) -> str:
        return f"{self.number} {self.title_fr}"


def document_upload_to(instance: AttachedFile, filename: str) -> str:
    return f"documents/{instance.document.code}/{filename}"


class AttachedFile(models.Model):
    """A file of the dossier (PDF of the règlement, plans, notes), with its SHA-256."""

    document = models.ForeignKey(PlanningDocument, on_delete=models.CASCADE, related_name="files")
    version = models.ForeignKey(
        PlanVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    title = models.CharField(max_length=300)
    file = models.FileField(upload_to=document_upload_to)
    content_type = models.CharField(max_length=100, default="application/pdf")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class PlanningEvent(models.Model):
    """The history of every planning write: who, when, what changed."""

    document = models.ForeignKey(PlanningDocument, on_delete=models.CASCADE, related_name="events")
    version = models.ForeignKey(
        PlanVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=40)
    payload = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    SUCCEEDED = "succeeded", "Terminé"
    FAILED = "failed", "Échoué"


# The allowed moves of an import job; planning.jobs enforces them.
IMPORT_JOB_TRANSITIONS: dict[str, set[str]] = {
    ImportJobStatus.QUEUED: {ImportJobStatus.RUNNING, ImportJobStatus.FAILED},
    ImportJobStatus.RUNNING: {ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED},
    ImportJobStatus.SUCCEEDED: set(),
    ImportJobStatus.FAILED: set(),
}


def import_upload_to(instance: ImportJob, filename: str) -> str:
    return f"imports/version-{instance.version_id}/{filename}"


class ImportJob(models.Model):
    """A zone import sent from the web, run in the background; its progress is polled."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(
        max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    upload = models.FileField(upload_to=import_upload_to)
    filename = models.CharField(max_length=255)
    options = models.JSONField(default=dict, blank=True)
    phase = models.CharField(max_length=32, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    error = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.filename} → {self.version} ({self.status})"
