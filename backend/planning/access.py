"""Who may read and who may edit a plan version: one place, used by the API and the pages."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from common.errors import Refused

from .models import PlanVersion

ERR_NOT_YOURS = "Only the planners of {agency} and administrators may do this."


def user_may_edit(user, version: PlanVersion) -> bool:
    """Planners of the document's agency and administrators may edit (the services re-check)."""
    return bool(
        user.is_authenticated
        and (user.is_superuser or user.agency_id == version.document.agency_id)
    )


def user_may_read(user, version: PlanVersion) -> bool:
    """Everyone may read what the public sees (publish.plan_versions); a private draft only
    those who may edit it: another agency's planner, an analyst or a commission member may not."""
    if user_may_edit(user, version):
        return True
    from publish.models import PublishedPlanVersion

    return PublishedPlanVersion.objects.filter(pk=version.pk).exists()


def _refuse_reading(user, version: PlanVersion):
    # To the public a private draft does not exist; staff are told whose it is.
    if not user.is_authenticated:
        return Http404()
    return Refused(
        ERR_NOT_YOURS.format(agency=version.document.agency), code="forbidden", status=403
    )


def readable_version(user, version_id: int) -> PlanVersion:
    """The version, if the user may read it (else 404 to the public, 403 to staff)."""
    version = get_object_or_404(PlanVersion.objects.select_related("document"), pk=version_id)
    if not user_may_read(user, version):
        raise _refuse_reading(user, version)
    return version


def editable_version(user, version_id: int) -> PlanVersion:
    """The version, if the user may edit it (else 403; 404 to the public for a private draft).

    Checked before the request is parsed, so that a refused upload costs nothing.
    """
    version = readable_version(user, version_id)
    if not user_may_edit(user, version):
        raise Refused(
            ERR_NOT_YOURS.format(agency=version.document.agency), code="forbidden", status=403
        )
    return version


def readable(user, model, pk: int):
    """A zone or prescription (anything with a `version`) whose version the user may read."""
    item = get_object_or_404(model.objects.select_related("version__document"), pk=pk)
    if not user_may_read(user, item.version):
        raise _refuse_reading(user, item.version)
    return item


def editable(user, model, pk: int):
    """A zone or prescription the user may edit (else 403; 404 to the public)."""
    item = readable(user, model, pk)
    if not user_may_edit(user, item.version):
        raise Refused(
            ERR_NOT_YOURS.format(agency=item.version.document.agency), code="forbidden", status=403
        )
    return item
