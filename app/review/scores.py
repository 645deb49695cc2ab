"""Keep the per-indicator and per-group score rows of a submission current (the reports' SQL source).

Called whenever a score can change: submission, resubmission, appraisal, approval, rejection.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.assessment.scoring import score_set
from app.submissions.models import GroupScore, IndicatorScore, Submission
from app.submissions.services import answers_of


def _d(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def refresh_scores(session: Session, submission: Submission) -> None:
    """Replace the submission's IndicatorScore and GroupScore rows with its current self and final results.

    Each indicator row carries met and points (self and final), whether it was appraised, the
    "không áp dụng" flags (`self_na`, `final_na`) and whether it is a condition. Flushes only.
    """
    from .services import _appraisals, final_result

    cset = submission.campaign.criteria_version.criteria
    mine = score_set(cset, answers_of(submission), submission.campaign.year)
    final = final_result(session, submission)
    appraised = set(_appraisals(session, submission))
    session.execute(sa.delete(IndicatorScore).where(IndicatorScore.submission_id == submission.id))
    session.execute(sa.delete(GroupScore).where(GroupScore.submission_id == submission.id))
    rows = []
    for g_self, g_final in zip(mine.groups, final.groups, strict=True):
        for i_self, i_final in zip(g_self.indicators, g_final.indicators, strict=True):
            rows.append(IndicatorScore(
                submission_id=submission.id, indicator_code=i_self.code, group_code=g_self.code, self_met=i_self.met,
                final_met=i_final.met, appraised=i_self.code in appraised, max_points=_d(i_self.max_points),
                self_points=_d(i_self.points), final_points=_d(i_final.points), self_na=i_self.not_applicable,
                final_na=i_final.not_applicable, condition=i_self.condition))
        rows.append(GroupScore(submission_id=submission.id, group_code=g_final.code, earned=_d(g_final.earned),
                               max_points=_d(g_final.max_points), percent=_d(g_final.percent), passed=g_final.passed))
    session.add_all(rows)
    session.flush()
