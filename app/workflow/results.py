"""A submission's results as the workflow keeps them: the scorer's view of its answers, the reviewer's appraisals as
overrides, the final result, and the per-indicator/per-group score rows the reports read.

Called whenever a score can change: submission, resubmission, appraisal, approval, rejection.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.assessment.criteria import CriteriaSet
from app.assessment.scoring import (
    AnswerInput,
    Override,
    SetResult,
    score_set,
    score_with_overrides,
)
from app.review.models import Appraisal
from app.submissions.models import GroupScore, IndicatorScore, Submission


def answers_of(submission: Submission | None) -> dict[str, AnswerInput]:
    """The scorer's view of a submission's answers: value, evidence count, explanation, "không áp dụng"."""
    if submission is None:
        return {}
    counts: dict[str, int] = {}
    for item in submission.evidence:
        counts[item.indicator_code] = counts.get(item.indicator_code, 0) + 1
    # a value filled from the citizen survey has the survey as its evidence (no file is required for it)
    result = {a.indicator_code: AnswerInput(a.parsed, max(counts.get(a.indicator_code, 0), 1 if a.from_survey else 0),
                                            a.explanation or "", a.not_applicable)
              for a in submission.answers}
    for code, count in counts.items():
        result.setdefault(code, AnswerInput(None, count, ""))
    return result



def overrides_of(submission: Submission, cset: CriteriaSet, appraisals: dict[str, Appraisal]) -> dict[str, Override]:
    result: dict[str, Override] = {}
    for code, appraisal in appraisals.items():
        ind = cset.indicator(code)
        if ind is None:
            continue
        # the reviewer's value is scored by the indicator's own rule (threshold of the campaign year, or bands)
        value = appraisal.parsed
        points = float(appraisal.points) if appraisal.points is not None else None
        if appraisal.met is not None or points is not None or value is not None:
            result[code] = Override(met=appraisal.met, points=points, value=value)
    return result


def appraisals_of(session: Session, submission: Submission) -> dict[str, Appraisal]:
    return {a.indicator_code: a for a in session.scalars(sa.select(Appraisal).where(Appraisal.submission_id == submission.id))}


def final_result(session: Session, submission: Submission) -> SetResult:
    cset = submission.campaign.criteria_version.criteria
    return score_with_overrides(cset, answers_of(submission), overrides_of(submission, cset, appraisals_of(session, submission)),
                                submission.campaign.year)


def _d(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def refresh_scores(session: Session, submission: Submission) -> None:
    """Replace the submission's IndicatorScore and GroupScore rows with its current self and final results.

    Each indicator row carries met and points (self and final), whether it was appraised, the
    "không áp dụng" flags (`self_na`, `final_na`) and whether it is a condition. Flushes only.
    """
    cset = submission.campaign.criteria_version.criteria
    mine = score_set(cset, answers_of(submission), submission.campaign.year)
    final = final_result(session, submission)
    appraised = set(appraisals_of(session, submission))
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
