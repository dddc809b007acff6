"""Hypothesis drives the inquiry through random steps: the state machine never goes astray.

Steps are the transition services and the passing of time. After each one: the status is the one
a model of the table predicts, a refusal changed nothing, and every move left one event.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inquiry_helpers import shift_clock

from common.errors import Refused
from inquiry import services
from inquiry.models import INQUIRY_TRANSITIONS, InquiryStatus

S = InquiryStatus
DAY = dt.timedelta(days=1)
REASON = "Motif de test"

# Step name -> (target status, the service call).
STEPS = {
    "schedule": (S.SCHEDULED, lambda i, by: services.inquiry_schedule(inquiry=i, by=by)),
    "open": (S.OPEN, lambda i, by: services.inquiry_open(inquiry=i, by=by)),
    "close": (S.CLOSED, lambda i, by: services.inquiry_close(inquiry=i, by=by)),
    "synthesis": (S.SYNTHESIS, lambda i, by: services.inquiry_start_synthesis(inquiry=i, by=by)),
    "deliberation": (
        S.DELIBERATED,
        lambda i, by: services.inquiry_record_deliberation(
            inquiry=i, reference="Délibération 1", deliberated_on=dt.date(2027, 2, 1), by=by
        ),
    ),
    "approve": (
        S.APPROVED,
        lambda i, by: services.inquiry_approve(
            inquiry=i,
            decree_reference="Décret 2-27-1",
            bulletin_officiel_date=dt.date(2027, 3, 1),
            by=by,
        ),
    ),
    "abandon": (
        S.ABANDONED,
        lambda i, by: services.inquiry_abandon(inquiry=i, reason=REASON, by=by),
    ),
}
# Time passing: (opens in, closes in), relative to the database clock.
CLOCKS = {
    "before_opening": (20 * DAY, 50 * DAY),
    "during": (-DAY, 29 * DAY),
    "after_closing": (-31 * DAY, -DAY),
}


def _allowed(status: str, step: str, clock: str) -> bool:
    """What the model says: the table, and the dates for opening and closing."""
    target = STEPS[step][0]
    if target not in INQUIRY_TRANSITIONS[status]:
        return False
    if step == "schedule":
        return clock == "before_opening"  # the regime's notice period and durations
    if step == "open":
        return clock != "before_opening"
    if step == "close":
        return clock == "after_closing"
    return True


class _Rollback(Exception):
    pass


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.one_of(st.sampled_from(sorted(STEPS)), st.sampled_from(sorted(CLOCKS))),
        min_size=1,
        max_size=10,
    )
)
def test_random_steps_follow_the_transition_table(draft_inquiry, agency_planner, steps):
    try:
        with transaction.atomic():
            _walk(draft_inquiry, agency_planner, steps)
            raise _Rollback  # each example starts again from the same draft
    except _Rollback:
        pass


def _walk(inquiry, by, steps):
    clock = "before_opening"
    shift_clock(inquiry, opens_in=CLOCKS[clock][0], closes_in=CLOCKS[clock][1])
    moves = 0
    for step in steps:
        if step in CLOCKS:
            clock = step
            shift_clock(inquiry, opens_in=CLOCKS[clock][0], closes_in=CLOCKS[clock][1])
            continue
        before = inquiry.status
        expected = _allowed(before, step, clock)
        try:
            with transaction.atomic():
                STEPS[step][1](inquiry, by)
        except Refused as refusal:
            assert not expected, (before, step, clock, refusal.message)
            assert refusal.message  # a reason a person can read
        else:
            assert expected, (before, step, clock)
            moves += 1
        inquiry.refresh_from_db()
        assert inquiry.status == (STEPS[step][0] if expected else before)
        assert inquiry.events.count() == moves + 1  # the creation, then one per move
