"""Login throttling and the audit of authentication and role changes."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone

from common.audit import audit, pseudonym
from eurbanisme.env import envint

from .models import LoginFailure, User

MAX_FAILURES = envint("EU_LOGIN_MAX_FAILURES", 5)
WINDOW = timedelta(minutes=envint("EU_LOGIN_WINDOW_MINUTES", 15))
ERR_THROTTLED = (
    "Too many failed sign-ins for this account: try again in {minutes} minutes, or ask an "
    "administrator to reset your password. / Trop d'échecs de connexion pour ce compte : "
    "réessayez dans {minutes} minutes."
)


def minutes_blocked(username: str) -> int:
    """Minutes before this username may try again (0: it may now)."""
    since = timezone.now() - WINDOW
    failures = LoginFailure.objects.filter(key=pseudonym(username), at__gte=since)
    times = list(failures.order_by("-at").values_list("at", flat=True)[:MAX_FAILURES])
    if len(times) < MAX_FAILURES:
        return 0
    free_at = times[-1] + WINDOW
    return max(1, int((free_at - timezone.now()).total_seconds() // 60) + 1)


class ThrottledLogin:
    """Refuse a sign-in, before the password is even checked, while its username is blocked."""

    def clean(self):
        minutes = minutes_blocked(self.data.get("username", ""))
        if minutes:
            audit("login_throttled", username_key=pseudonym(self.data.get("username", "")))
            raise forms.ValidationError(ERR_THROTTLED.format(minutes=minutes), code="throttled")
        return super().clean()


class ThrottledAuthenticationForm(ThrottledLogin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLogin, AdminAuthenticationForm):
    pass


@receiver(user_login_failed)
def _failed(sender, credentials, request=None, **kwargs):
    key = pseudonym(credentials.get("username", ""))
    LoginFailure.objects.create(key=key)
    audit("login_failed", username_key=key)


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    LoginFailure.objects.filter(key=pseudonym(user.get_username())).delete()
    audit("login", actor=user)


@receiver(pre_save, sender=User)
def _role_change(sender, instance: User, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    before = User.objects.filter(pk=instance.pk).values("role", "is_superuser", "is_staff").first()
    after = {
        "role": instance.role,
        "is_superuser": instance.is_superuser,
        "is_staff": instance.is_staff,
    }
    if before and before != after:
        audit("role_change", subject_id=instance.pk, before=before, after=after)
