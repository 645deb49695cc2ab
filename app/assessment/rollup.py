"""Roll-up maths for reports, pure: shares, on-track judgement against a dated target, heatmap classes.

The databases aggregate (counts, sums); these functions turn the aggregates into judgements, so
they can be unit-tested without an app.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.clock import LOCAL_TZ

#: The Đề án's implementation starts in January 2026 (004:3282); targets are tracked from then.
PROGRAMME_START = dt.date(2026, 1, 1)


def share(part: int | float, whole: int | float) -> float | None:
    """Percentage, or None when there is nothing to divide by."""
    if not whole:
        return None
    return round(100.0 * part / whole, 2)


@dataclass(frozen=True)
class Track:
    #: met, on_track, behind, missed
    status: str
    #: Where a straight line from the start to the target would be today (percent or count).
    expected: float


def track(actual: float, target: float, target_year: int, today: dt.date, start: dt.date = PROGRAMME_START) -> Track:
    """Judge progress towards `target` by the end of `target_year` with a straight-line trajectory.

    `actual` and `target` are in the same unit (percent of units, or a count).
    """
    end = dt.date(target_year, 12, 31)
    if actual >= target:
        return Track("met", float(target))
    if today > end:
        return Track("missed", float(target))
    total = (end - start).days
    elapsed = min(max((today - start).days, 0), total)
    # rounded for display, never above the target itself (on the last day 1,875 would round to 1,88)
    expected = min(round(target * elapsed / total, 2), float(target)) if total > 0 else float(target)
    return Track("on_track" if actual >= expected else "behind", expected)


def heat_class(earned: float | None, max_points: float | None, passed: bool | None) -> str:
    """pass / partial / fail / none / na for one unit × group cell.

    `na`: the group had nothing to score (every indicator answered "không áp dụng", or only conditions).
    """
    if earned is None or max_points is None or passed is None:
        return "none"
    if not max_points:
        return "na"
    if passed:
        return "pass"
    return "partial" if earned > 0 else "fail"


def timeliness(submitted_at: dt.datetime | None, deadline: dt.date) -> str:
    """on_time / late / missing for a reporting-rate breakdown (deadline is a local date, inclusive, Asia/Ho_Chi_Minh)."""
    if submitted_at is None:
        return "missing"
    local = submitted_at.astimezone(LOCAL_TZ).date() if submitted_at.tzinfo else submitted_at.date()
    return "on_time" if local <= deadline else "late"


#: Status groups used by the funnel, in order.
FUNNEL = ("not_started", "draft", "submitted", "returned", "approved", "rejected", "recognised")


def funnel_bucket(status: str | None) -> str:
    """Map a submission status (None: no submission) onto a funnel bucket."""
    if status is None:
        return "not_started"
    if status in ("submitted", "in_review", "resubmitted"):
        return "submitted"
    return status
