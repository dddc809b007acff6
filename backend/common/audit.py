"""The security audit log: who (an account id and role, never a name), did what, to what.

One JSON line per event on the logger `eurbanisme.audit`. Personal data never goes there: people
are account ids, and a failed login's username is a keyed hash (the same one every time, so
repeated attempts can be told apart without writing the name down).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from django.conf import settings

log = logging.getLogger("eurbanisme.audit")


def pseudonym(value: str) -> str:
    """A keyed hash of an identifier (a username): stable, not reversible without the key."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


def audit(event: str, *, actor: Any = None, **fields: Any) -> None:
    """Log one security event; `fields` must hold ids and codes, never personal data."""
    record = {"event": event}
    if actor is not None and getattr(actor, "is_authenticated", False):
        record |= {"actor_id": actor.pk, "actor_role": actor.role or "none"}
    record |= fields
    log.info(json.dumps(record, sort_keys=True, default=str))
