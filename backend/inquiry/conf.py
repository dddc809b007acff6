"""The register's limits, from the environment; a Django setting of the same name overrides."""

from __future__ import annotations

from django.conf import settings

from eurbanisme.env import envbool, envint

DEFAULTS: dict[str, int | bool] = {
    # Anti-abuse: accepted submissions per hour, per IP address and per email address.
    "EU_INQUIRY_RATE_PER_IP_HOUR": envint("EU_INQUIRY_RATE_PER_IP_HOUR", 30),
    "EU_INQUIRY_RATE_PER_EMAIL_HOUR": envint("EU_INQUIRY_RATE_PER_EMAIL_HOUR", 5),
    "EU_INQUIRY_MAX_BODY_CHARS": envint("EU_INQUIRY_MAX_BODY_CHARS", 20000),
    "EU_INQUIRY_MAX_ATTACHMENTS": envint("EU_INQUIRY_MAX_ATTACHMENTS", 3),
    "EU_INQUIRY_MAX_ATTACHMENT_BYTES": envint("EU_INQUIRY_MAX_ATTACHMENT_BYTES", 5 * 1024 * 1024),
    "EU_INQUIRY_MAX_VERTICES": envint("EU_INQUIRY_MAX_VERTICES", 1000),
    # Web entries enter the register only once their author follows a link sent by email.
    "EU_INQUIRY_VERIFY_EMAIL": envbool("EU_INQUIRY_VERIFY_EMAIL", False),
    "EU_INQUIRY_CONFIRM_HOURS": envint("EU_INQUIRY_CONFIRM_HOURS", 24),
    # Emails the receipt on commit (needs Django's EMAIL_* settings).
    "EU_INQUIRY_SEND_RECEIPTS": envbool("EU_INQUIRY_SEND_RECEIPTS", False),
}


def limit(name: str):
    """The value of one limit, read at call time so tests and settings can change it."""
    return getattr(settings, name, DEFAULTS[name])
