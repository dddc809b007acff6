"""Users and their role. Citizens do not need an account."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    PLANNER = "planner", "Urbaniste (agence)"
    COMMISSION = "commission", "Membre de la commission d'enquête"
    MODERATOR = "moderator", "Modérateur"
    ANALYST = "analyst", "Analyste SIG"
    ADMIN = "admin", "Administrateur"


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    agency = models.ForeignKey(
        "territory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )


class LoginFailure(models.Model):
    """A failed sign-in, by a keyed hash of the username tried (never the name itself)."""

    key = models.CharField(max_length=16, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.key} at {self.at:%Y-%m-%d %H:%M}"
