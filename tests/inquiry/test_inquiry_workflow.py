"""The inquiry's state machine: one test per transition and per refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from inquiry_helpers import shift_clock

from common.db import db_now
from common.errors import Refused
from inquiry import services
from inquiry.models import INQUIRY_TRANSITIONS, Inquiry, InquiryStatus, Regime
from planning.models import DocumentStatus, VersionStage

S = InquiryStatus
DAY = dt.timedelta(days=1)


def _statuses(inquiry: Inquiry) -> list[tuple[str, str]]:
    return [(e.from_status, e.to_status) for e in inquiry.events.order_by("id")]


def test_the_two_regimes_are_shipped_as_data(morocco, france):
    assert (morocco.min_duration_days, morocco.max_extension_days) == (30, 0)
    assert (france.notice_days, france.min_duration_days, france.max_extension_days) == (15, 30, 15)


def test_the_full_lifecycle_from_draft_to_approval(draft_inquiry, agency_planner):
    by = agency_planner
    inquiry = services.inquiry_schedule(
        inquiry=draft_inquiry,
        order_reference="Arrêté n° 12/2026",
        places=[{"name": "Siège de la commune", "hours": "9h-16h"}],
        by=by,
    )
    assert inquiry.status == S.SCHEDULED
    assert inquiry.version.stage == VersionStage.INQUIRY and inquiry.version.is_frozen
    shift_clock(inquiry, opens_in=-DAY, closes_in=29 * DAY)
    assert services.inquiry_open(inquiry=inquiry, by=by).status == S.OPEN
    shift_clock(inquiry, opens_in=-31 * DAY, closes_in=-DAY)
    closed = services.inquiry_close(inquiry=inquiry, by=by)
    assert closed.status == S.CLOSED
    services.inquiry_start_synthesis(inquiry=inquiry, by=by)
    services.inquiry_record_deliberation(
        inquiry=inquiry, reference="Délibération n° 5", deliberated_on=dt.date(2026, 12, 1), by=by
    )
    approved = services.inquiry_approve(
        inquiry=inquiry,
        decree_reference="Décret n° 2-26-100",
        bulletin_officiel_date=dt.date(2027, 1, 15),
        by=by,
    )
    assert approved.status == S.APPROVED
    approved.version.refresh_from_db()
    assert approved.version.stage == VersionStage.APPROVED
    assert approved.version.document.status == DocumentStatus.IN_FORCE
    assert _statuses(approved) == [
        ("", S.DRAFT),
        (S.DRAFT, S.SCHEDULED),
        (S.SCHEDULED, S.OPEN),
        (S.OPEN, S.CLOSED),
        (S.CLOSED, S.SYNTHESIS),
        (S.SYNTHESIS, S.DELIBERATED),
        (S.DELIBERATED, S.APPROVED),
    ]
    assert all(e.actor == by for e in approved.events.all())


def test_scheduling_freezes_the_plan_version(draft_inquiry, agency_planner):
    assert draft_inquiry.version.frozen_at is None
    services.inquiry_schedule(inquiry=draft_inquiry, by=agency_planner)
    draft_inquiry.version.refresh_from_db()
    assert draft_inquiry.version.frozen_at is not None


def test_scheduling_refuses_an_inquiry_without_regime(draft_inquiry, agency_planner):
    Inquiry.objects.filter(pk=draft_inquiry.pk).update(regime=None)
    with pytest.raises(Refused) as refused:
        services.inquiry_schedule(inquiry=draft_inquiry, by=agency_planner)
    assert refused.value.message == services.ERR_NO_REGIME


def test_scheduling_refuses_a_notice_shorter_than_the_regime(draft_inquiry, agency_planner):
    opens = db_now() + 3 * DAY
    with pytest.raises(Refused) as refused:
        services.inquiry_schedule(
            inquiry=draft_inquiry, opens_at=opens, closes_at=opens + 30 * DAY, by=agency_planner
        )
    assert refused.value.code == "notice_period"
    assert "15 days" in refused.value.message
    draft_inquiry.refresh_from_db()
    assert draft_inquiry.status == S.DRAFT
    assert draft_inquiry.version.frozen_at is None


def test_scheduling_refuses_a_duration_below_the_minimum(draft_inquiry, agency_planner):
    opens = db_now() + 20 * DAY
    with pytest.raises(Refused) as refused:
        services.inquiry_schedule(
            inquiry=draft_inquiry, opens_at=opens, closes_at=opens + 10 * DAY, by=agency_planner
        )
    assert refused.value.code == "too_short"


def test_scheduling_refuses_a_duration_above_the_maximum(draft_inquiry, morocco, agency_planner):
    Inquiry.objects.filter(pk=draft_inquiry.pk).update(regime=morocco)
    opens = db_now() + DAY
    with pytest.raises(Refused) as refused:
        services.inquiry_schedule(
            inquiry=draft_inquiry, opens_at=opens, closes_at=opens + 60 * DAY, by=agency_planner
        )
    assert refused.value.code == "too_long"


def test_the_limits_come_from_the_regime_table(draft_inquiry, agency_planner):
    Regime.objects.filter(pk=draft_inquiry.regime_id).update(notice_days=0, min_duration_days=2)
    opens = db_now() + dt.timedelta(hours=1)
    inquiry = services.inquiry_schedule(
        inquiry=draft_inquiry, opens_at=opens, closes_at=opens + 3 * DAY, by=agency_planner
    )
    assert inquiry.status == S.SCHEDULED


def test_scheduling_refuses_an_approved_version(open_inquiry, demo_document, agency_planner):
    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    opens = db_now() + DAY
    inquiry = Inquiry.objects.create(
        version=approved,
        regime=open_inquiry.regime or Regime.objects.get(code="ma-plan-amenagement"),
        title_fr="x",
        title_ar="x",
        opens_at=opens,
        closes_at=opens + 30 * DAY,
    )
    with pytest.raises(Refused) as refused:
        services.inquiry_schedule(inquiry=inquiry, by=agency_planner)
    assert refused.value.code == "version_stage"


def test_it_refuses_to_open_before_the_scheduled_instant(draft_inquiry, agency_planner):
    inquiry = services.inquiry_schedule(inquiry=draft_inquiry, by=agency_planner)
    with pytest.raises(Refused) as refused:
        services.inquiry_open(inquiry=inquiry, by=agency_planner)
    assert refused.value.code == "not_yet_open"
    assert "cannot open before" in refused.value.message


def test_it_refuses_to_close_before_the_scheduled_instant(open_inquiry):
    with pytest.raises(Refused) as refused:
        services.inquiry_close(inquiry=open_inquiry, by=None)
    assert refused.value.code == "not_yet_closed"
    open_inquiry.refresh_from_db()
    assert open_inquiry.status == S.OPEN


ALL_PAIRS = [
    (current, target)
    for current in S.values
    for target in S.values
    if target not in INQUIRY_TRANSITIONS[current] and target != S.DRAFT
]


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_every_transition_outside_the_table_is_refused(open_inquiry, current, target):
    draft_inquiry = Inquiry.objects.create(
        version=open_inquiry.version,
        regime=Regime.objects.get(code="fr-enquete-numerique"),
        title_fr="x",
        title_ar="x",
        status=current,
        # Dates long past, so only the transition table can refuse.
        opens_at=db_now() - 40 * DAY,
        closes_at=db_now() - 10 * DAY,
    )
    calls = {
        S.SCHEDULED: lambda i: services.inquiry_schedule(inquiry=i, by=None),
        S.OPEN: lambda i: services.inquiry_open(inquiry=i, by=None),
        S.CLOSED: lambda i: services.inquiry_close(inquiry=i, by=None),
        S.SYNTHESIS: lambda i: services.inquiry_start_synthesis(inquiry=i, by=None),
        S.DELIBERATED: lambda i: services.inquiry_record_deliberation(
            inquiry=i, reference="D", deliberated_on=dt.date(2026, 1, 1), by=None
        ),
        S.APPROVED: lambda i: services.inquiry_approve(
            inquiry=i, decree_reference="D", bulletin_officiel_date=dt.date(2026, 1, 1), by=None
        ),
        S.ABANDONED: lambda i: services.inquiry_abandon(inquiry=i, reason="r", by=None),
    }
    before = draft_inquiry.events.count()
    with pytest.raises(Refused) as refused:
        calls[target](draft_inquiry)
    assert refused.value.code == "invalid_transition"
    assert f"'{current}' cannot move to '{target}'" in refused.value.message
    assert draft_inquiry.events.count() == before


def test_abandoning_needs_a_reason_and_is_final(draft_inquiry):
    with pytest.raises(Refused) as refused:
        services.inquiry_abandon(inquiry=draft_inquiry, reason="  ", by=None)
    assert refused.value.message == services.ERR_REASON_REQUIRED
    inquiry = services.inquiry_abandon(inquiry=draft_inquiry, reason="Projet retiré", by=None)
    assert inquiry.status == S.ABANDONED and inquiry.closing_note == "Projet retiré"
    assert INQUIRY_TRANSITIONS[S.ABANDONED] == set()


def test_an_open_inquiry_can_be_abandoned(open_inquiry):
    inquiry = services.inquiry_abandon(inquiry=open_inquiry, reason="Annulation", by=None)
    assert _statuses(inquiry)[-1] == (S.OPEN, S.ABANDONED)


def test_an_extension_within_the_regime_limit_moves_the_closing(draft_inquiry, agency_planner):
    inquiry = services.inquiry_schedule(inquiry=draft_inquiry, by=agency_planner)
    later = inquiry.closes_at + 10 * DAY
    inquiry = services.inquiry_extend(
        inquiry=inquiry, closes_at=later, reason="Affluence", by=agency_planner
    )
    assert inquiry.closes_at == later
    assert inquiry.events.last().payload["reason"] == "Affluence"


def test_an_extension_beyond_the_regime_limit_is_refused(draft_inquiry, agency_planner):
    inquiry = services.inquiry_schedule(inquiry=draft_inquiry, by=agency_planner)
    services.inquiry_extend(
        inquiry=inquiry, closes_at=inquiry.closes_at + 10 * DAY, reason="1", by=None
    )
    # The limit counts from the closing of the opening order, not from the last extension.
    with pytest.raises(Refused) as refused:
        services.inquiry_extend(
            inquiry=inquiry, closes_at=inquiry.scheduled_closes_at + 16 * DAY, reason="2", by=None
        )
    assert refused.value.code == "extension_too_long"


def test_a_regime_without_extension_refuses_one(open_inquiry, morocco):
    Inquiry.objects.filter(pk=open_inquiry.pk).update(regime=morocco)
    with pytest.raises(Refused) as refused:
        services.inquiry_extend(
            inquiry=open_inquiry, closes_at=open_inquiry.closes_at + DAY, reason="r", by=None
        )
    assert refused.value.code == "no_extension"


def test_an_ended_inquiry_cannot_be_extended(open_inquiry, france):
    Inquiry.objects.filter(pk=open_inquiry.pk).update(regime=france)
    shift_clock(open_inquiry, opens_in=-30 * DAY, closes_in=-dt.timedelta(minutes=1))
    with pytest.raises(Refused) as refused:
        services.inquiry_extend(
            inquiry=open_inquiry, closes_at=open_inquiry.closes_at + DAY, reason="r", by=None
        )
    assert refused.value.code == "closed"


def test_the_tick_opens_and_closes_what_is_due(draft_inquiry, open_inquiry, agency_planner):
    scheduled = services.inquiry_schedule(inquiry=draft_inquiry, by=agency_planner)
    shift_clock(scheduled, opens_in=-dt.timedelta(minutes=1), closes_in=30 * DAY)
    shift_clock(open_inquiry, opens_in=-30 * DAY, closes_in=-dt.timedelta(minutes=1))
    call_command("inquiry_tick", verbosity=0)
    scheduled.refresh_from_db()
    open_inquiry.refresh_from_db()
    assert (scheduled.status, open_inquiry.status) == (S.OPEN, S.CLOSED)
    assert open_inquiry.events.last().actor is None
