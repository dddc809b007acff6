"""Public inquiries on a plan version. The full workflow and the register come with issue 4."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class InquiryStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    SCHEDULED = "scheduled", "Arrêtée (ouverture programmée)"
    OPEN = "open", "Ouverte"
    CLOSED = "closed", "Close"
    SYNTHESIS = "synthesis", "Synthèse"
    DELIBERATED = "deliberated", "Délibération du conseil enregistrée"
    APPROVED = "approved", "Approuvée"
    ABANDONED = "abandoned", "Abandonnée"


class Inquiry(models.Model):
    """A public inquiry on one plan version; its dates are enforced on the database clock."""

    version = models.ForeignKey(
        "planning.PlanVersion", on_delete=models.PROTECT, related_name="inquiries"
    )
    title_fr = models.CharField(max_length=300)
    title_ar = models.CharField(max_length=300)
    status = models.CharField(
        max_length=16, choices=InquiryStatus.choices, default=InquiryStatus.DRAFT
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
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
    """One row per inquiry transition."""

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
