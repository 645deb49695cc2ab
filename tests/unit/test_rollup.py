"""Roll-up maths: shares, on-track judgement, heatmap classes, timeliness."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from app.assessment.rollup import FUNNEL, funnel_bucket, heat_class, share, timeliness, track


def test_share():
    assert share(57, 114) == 50.0
    assert share(1, 3) == 33.33
    assert share(0, 0) is None


def test_track_straight_line_to_the_target():
    # 100% of communes by end-2027, measured on 1 Jan 2027: a year of two has passed → ~50% expected.
    mid = track(40, 100, 2027, dt.date(2027, 1, 1))
    assert mid.status == "behind" and 49 < mid.expected < 51
    assert track(60, 100, 2027, dt.date(2027, 1, 1)).status == "on_track"
    assert track(100, 100, 2027, dt.date(2026, 6, 1)).status == "met"
    assert track(99, 100, 2027, dt.date(2028, 1, 1)).status == "missed"
    assert track(0, 6, 2030, dt.date(2026, 1, 1)).status == "on_track"  # nothing expected on day one


@given(st.floats(0, 100), st.floats(1, 100), st.dates(dt.date(2026, 1, 1), dt.date(2031, 12, 31)))
def test_track_is_consistent(actual, target, today):
    result = track(actual, target, 2030, today)
    assert 0 <= result.expected <= target
    assert (result.status == "met") == (actual >= target)
    if result.status == "on_track":
        assert actual >= result.expected


def test_heat_classes():
    assert heat_class(None, None, None) == "none"
    assert heat_class(30, 30, True) == "pass"
    assert heat_class(10, 30, False) == "partial"
    assert heat_class(0, 30, False) == "fail"


def test_timeliness_uses_local_dates():
    deadline = dt.date(2026, 12, 31)
    late_utc_same_local_day = dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)  # 23:00 in Hà Nội
    assert timeliness(late_utc_same_local_day, deadline) == "on_time"
    assert timeliness(dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC), deadline) == "late"
    assert timeliness(None, deadline) == "missing"


def test_funnel_buckets():
    assert funnel_bucket(None) == "not_started"
    assert {funnel_bucket(s) for s in ("submitted", "in_review", "resubmitted")} == {"submitted"}
    assert set(map(funnel_bucket, ["draft", "returned", "approved", "rejected", "recognised"])) <= set(FUNNEL)


def test_expected_share_on_the_last_day_is_the_target_not_its_rounding():
    """Hypothesis found target 1,875 on 31/12/2030: the rounded expectation was 1,88, above the target."""
    result = track(0.0, 1.875, 2030, dt.date(2030, 12, 31))
    assert result.expected == 1.875
    assert result.status == "behind"
