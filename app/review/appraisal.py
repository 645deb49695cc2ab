"""The reviewer's page and appraisal (thẩm định): the review context, per-indicator judgements (agree, or
disagree with the reviewer's own value/points and a comment), saving and previewing an appraisal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.assessment.criteria import CriteriaSet
from app.assessment.indicators import AnswerError, dump_value, get_type, load_value, same_value
from app.assessment.numbers import NumberError, format_number, parse_number, to_decimal
from app.assessment.scoring import (
    AnswerInput,
    Override,
    SetResult,
    appraised_points,
    band_levels,
    check_appraised_points,
    evaluate_indicator,
    score_set,
    score_with_overrides,
)
from app.audit.services import record
from app.auth.models import User
from app.errors import Conflict, PermissionDenied
from app.numbers import ui_locale
from app.review.assignments import assignments_of
from app.review.models import Appraisal, GroupSignoff, ReturnItem, ScoreEvent, SubmissionRound
from app.review.services import (
    campaign_window_open,
    can_read,
    can_review,
    check_version,
    for_review,
    load_submission,
    require_window,
)
from app.submissions.messages import answer_error, vn_number
from app.submissions.models import Submission
from app.submissions.services import answers_of
from app.text import nfc
from app.workflow.results import appraisals_of, overrides_of, refresh_scores
from app.workflow.services import (
    apply_transition,
    current_returns,
    status_label,
)
from app.workflow.states import UNDER_REVIEW, allowed_actions

# ------------------------------------------------------------------ review page


@dataclass
class AppraisalInput:
    """What the review page sent for one indicator (raw text as typed).

    `agree`: True = "Đồng ý với kết quả tự chấm" (stored as an explicit appraisal of the self-assessed
    met and points; `value`/`met`/`points` must then be blank or repeat the stored appraisal), False =
    "Không đồng ý" (at least one of `value`, `met`, `points` is required), None = the page offered no
    such choice (the fields are taken as they are, blanks meaning "no judgement").
    """

    value: str | None = None
    met: str = ""  # '', 'met', 'not_met'
    points: str = ""
    comment: str = ""
    agree: bool | None = None


@dataclass
class ReviewContext:
    submission: Submission
    criteria: CriteriaSet
    self_result: SetResult
    final_result: SetResult
    appraisals: dict[str, Appraisal]
    returns: list[ReturnItem]
    my_groups: set[str] | None  # None: every group
    pending_signoffs: list[tuple[str, str]]
    actions: list[str]
    can_edit: bool
    diff: list[dict] = field(default_factory=list)
    history: list[ScoreEvent] = field(default_factory=list)


def pending_signoffs(session: Session, submission: Submission) -> list[tuple[str, str]]:
    """(group, reviewer) pairs still to sign off in this round; empty when groups are not assigned."""
    assigned = assignments_of(session, submission.campaign_id)
    done = set(session.execute(sa.select(GroupSignoff.group_code, GroupSignoff.reviewer_id).where(
        GroupSignoff.submission_id == submission.id, GroupSignoff.round == submission.round)).all())
    return [(a.group_code, a.reviewer.full_name or a.reviewer.username) for a in assigned if (a.group_code, a.reviewer_id) not in done]


def my_groups(session: Session, actor: User, submission: Submission) -> set[str] | None:
    assigned = assignments_of(session, submission.campaign_id)
    if not assigned or actor.role == "admin":
        return None
    return {a.group_code for a in assigned if a.reviewer_id == actor.id}


def _loaded_answers(answers: dict) -> dict:
    """A round snapshot with each value read back (Decimal for numbers). Snapshots hold the stored form
    ({"n": …} / {"v": …}); older ones hold the bare value (a JSON number, bool or text)."""
    result = {}
    for code, entry in (answers or {}).items():
        value = entry.get("value")
        result[code] = {**entry, "value": load_value(value if isinstance(value, dict) or value is None else {"v": value})}
    return result


def round_diff(session: Session, submission: Submission) -> list[dict]:
    """What changed between the previous round and the latest one, per indicator."""
    rounds = list(session.scalars(sa.select(SubmissionRound).where(SubmissionRound.submission_id == submission.id)
                                  .order_by(SubmissionRound.round.desc()).limit(2)))
    if len(rounds) < 2:
        return []
    new, old = _loaded_answers(rounds[0].answers), _loaded_answers(rounds[1].answers)
    changes = []
    for code in sorted(set(new) | set(old)):
        a, b = old.get(code, {}), new.get(code, {})
        if a != b or not same_value(a.get("value"), b.get("value")):
            changes.append({"code": code, "old": a, "new": b, "round_old": rounds[1].round, "round_new": rounds[0].round})
    return changes


def review_context(session: Session, actor: User, submission_id: int) -> ReviewContext:
    submission = load_submission(session, submission_id)
    if not can_read(actor, submission.campaign):
        raise PermissionDenied(_("Bạn không có quyền xem phiếu thẩm định này."))
    if submission.status == "draft":
        raise PermissionDenied(_("Phiếu chưa được gửi nên chưa thể thẩm định."))
    cset = submission.campaign.criteria_version.criteria
    appraisals = appraisals_of(session, submission)
    reviewing = can_review(actor, submission.campaign)
    can_edit = reviewing and submission.status in UNDER_REVIEW and campaign_window_open(submission.campaign)
    history = list(session.scalars(sa.select(ScoreEvent).where(ScoreEvent.submission_id == submission.id)
                                   .order_by(ScoreEvent.at, ScoreEvent.id)))
    return ReviewContext(
        submission=submission,
        criteria=cset,
        self_result=score_set(cset, answers_of(submission), submission.campaign.year),
        final_result=score_with_overrides(cset, answers_of(submission), overrides_of(submission, cset, appraisals), submission.campaign.year),
        appraisals=appraisals,
        returns=current_returns(session, submission),
        my_groups=my_groups(session, actor, submission),
        pending_signoffs=pending_signoffs(session, submission),
        actions=allowed_actions(submission.status, actor.role) if reviewing else [],
        can_edit=can_edit,
        diff=round_diff(session, submission),
        history=history,
    )


#: Decimal places the appraised points column keeps (Appraisal.points is NUMERIC(7, 2)).
POINT_PLACES = 2


def _parse_points(raw: str | None, maximum: float, locale: str = "vi") -> Decimal | None:
    """Appraised points typed in the UI language → a Decimal in [0, maximum] with at most two decimals; None if blank.

    Raises ValueError with the message to show (not a number, NaN/Infinity, ambiguous, out of range, too many decimals).
    """
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = parse_number(text, locale)
    except NumberError as exc:
        if exc.code == "not_a_number":
            raise ValueError(_("Điểm thẩm định “%(raw)s” không phải là số.", raw=text[:40])) from None
        raise ValueError(answer_error(exc)) from None
    top = to_decimal(maximum)
    if value < 0 or value > top:
        raise ValueError(_("Điểm thẩm định phải từ 0 đến %(max)s.", max=format_number(top, locale)))
    if -value.as_tuple().exponent > POINT_PLACES:
        raise ValueError(_("Điểm thẩm định chỉ được có tối đa %(n)d chữ số thập phân (bạn nhập “%(raw)s”).", n=POINT_PLACES, raw=text[:40]))
    return value


class EntryRefused(ValueError):
    """One indicator's appraisal input cannot be used; the message (Vietnamese) says why."""


@dataclass
class JudgedEntry:
    """One indicator's appraisal after reading: parsed `value`, `met`, `points` (Decimal or None), NFC `comment`,
    and whether it is an agreement with the self-assessment (`agreed`)."""

    value: Any
    met: bool | None
    points: Decimal | None
    comment: str
    agreed: bool = False

    def override(self) -> Override | None:
        """The scoring override this judgement makes, or None when it changes nothing."""
        if self.value is None and self.met is None and self.points is None:
            return None
        return Override(met=self.met, points=float(self.points) if self.points is not None else None, value=self.value)


def agreed_judgement(mine: Any, comment: str = "") -> JudgedEntry:
    """The explicit appraisal "agree with the self-assessment" for one indicator's self result `mine`
    (an IndicatorResult): met and points as self-assessed (points rounded to POINT_PLACES); a "không áp dụng"
    answer is accepted as such (no met/points); a condition carries no points."""
    if mine.not_applicable:
        return JudgedEntry(None, None, None, comment, agreed=True)
    points = None if mine.condition else to_decimal(mine.points).quantize(Decimal(1).scaleb(-POINT_PLACES))
    return JudgedEntry(None, mine.met, points, comment, agreed=True)


def _is_agreement(appraisal: Appraisal | None, mine: Any) -> bool:
    """Whether a stored appraisal says exactly what agreeing with the self result `mine` would store."""
    if appraisal is None:
        return False
    agreed = agreed_judgement(mine)
    return appraisal.parsed is None and appraisal.met is agreed.met and appraisal.points == agreed.points


def appraisal_state(appraisal: Appraisal | None, mine: Any) -> str:
    """'agree' or 'disagree' for the review page: an indicator with no appraisal, or one that repeats the
    self result `mine`, shows as agreed; any other judgement (a value, met or points of its own) as disagreed."""
    if appraisal is None or _is_agreement(appraisal, mine):
        return "agree"
    if appraisal.parsed is None and appraisal.met is None and appraisal.points is None:
        return "agree"  # only a comment (or "không áp dụng" accepted)
    return "disagree"


def judge_entry(ind: Any, entry: AppraisalInput, mine: Any, existing: Appraisal | None, year: int | None, locale: str,
                max_comment_chars: int = 20000) -> JudgedEntry:
    """Read one indicator's input against its definition `ind` and self result `mine` (IndicatorResult).

    Returns the JudgedEntry to store. Raises EntryRefused with the message to show when: the value or points
    cannot be read or break the indicator's rules; "Không đồng ý" comes with no value, conclusion or points;
    "Đồng ý" comes with a different value, conclusion or points typed; the comment is over `max_comment_chars`.
    """
    comment = nfc(entry.comment) or ""
    if len(comment) > max_comment_chars:
        raise EntryRefused(_("Nhận xét của chỉ tiêu %(code)s dài %(n)s ký tự, quá giới hạn %(limit)s ký tự nên chỉ tiêu này CHƯA được lưu.",
                             code=ind.code, n=format_decimal(len(comment)), limit=format_decimal(max_comment_chars)))
    typed = bool((entry.value or "").strip() or entry.met or (entry.points or "").strip())
    if entry.agree is True and not typed:
        return agreed_judgement(mine, comment)
    try:
        value = get_type(ind.type).parse(nfc(entry.value), list(ind.options), locale)
    except AnswerError as exc:
        raise EntryRefused(answer_error(exc)) from None
    try:
        points = _parse_points(nfc(entry.points), ind.points, locale)
    except ValueError as exc:
        raise EntryRefused(str(exc)) from None
    met = {"met": True, "not_met": False}.get(entry.met)
    if entry.agree is True:
        if existing is not None and same_value(existing.parsed, value) and existing.met is met and existing.points == points:
            return agreed_judgement(mine, comment)  # the stored judgement shown on the page, not retyped: agreement wins
        raise EntryRefused(_("Chỉ tiêu %(code)s: bạn chọn “Đồng ý” nhưng đã nhập giá trị, kết luận hoặc điểm thẩm định khác. "
                             "Chọn “Không đồng ý” để lưu các giá trị đó, hoặc xóa chúng.", code=ind.code))
    if entry.agree is False and value is None and met is None and points is None:
        raise EntryRefused(_("Chỉ tiêu %(code)s: bạn chọn “Không đồng ý” — hãy nhập điểm, kết luận hoặc giá trị thẩm định "
                             "(hoặc chọn “Đồng ý”).", code=ind.code))
    problem = check_appraised_points(ind, points, value, year) if points is not None else None
    if problem == "points_step":
        raise EntryRefused(_("Điểm thẩm định phải theo bước %(step)s điểm.", step=f"{ind.points_step:g}".replace(".", ",")))
    if problem is None and points is not None and value is None and ind.bands and points not in band_levels(ind):
        problem = "points_not_band"
    if problem == "points_not_band" and value is None:
        raise EntryRefused(_("Điểm thẩm định phải là một mức của thang điểm: %(levels)s.",
                             levels="; ".join(vn_number(p) for p in band_levels(ind))))
    if problem == "points_not_band":
        expected = appraised_points(ind, value, year)
        raise EntryRefused(_("Với giá trị thẩm định này, theo thang điểm của chỉ tiêu, điểm phải là %(p)s.", p=f"{expected:g}".replace(".", ",")))
    return JudgedEntry(value, met, points, comment)


def save_appraisal(session: Session, actor: User, submission_id: int, entries: dict[str, AppraisalInput], *,
                   sign_groups: list[str] = (), expected_version: int | None = None,
                   max_comment_chars: int = 20000) -> dict[str, list[str]]:
    """Store appraised values, met/not met, points and comments; returns per-field errors (valid ones are saved).

    An entry with `agree=True` is stored as an explicit appraisal of the self-assessed result (met and
    points as self-assessed; audited with agreed=True). An indicator whose input is refused (see
    judge_entry) is not saved at all; the others are. Raises Conflict (outdated page, see
    _check_version, or a state that cannot be appraised) and PermissionDenied.
    """
    submission = for_review(session, actor, submission_id)
    require_window(submission.campaign)
    if submission.status not in UNDER_REVIEW:
        raise Conflict(_("Chỉ thẩm định được phiếu đang chờ hoặc đang thẩm định (trạng thái hiện tại: “%(s)s”).", s=status_label(submission.status)))
    check_version(submission, expected_version)
    if submission.status in ("submitted", "resubmitted"):
        apply_transition(session, actor, submission, "start_review")
    cset = submission.campaign.criteria_version.criteria
    year = submission.campaign.year
    mine_all = score_set(cset, answers_of(submission), year)
    allowed_groups = my_groups(session, actor, submission)
    allowed = {i.code for g in cset.groups if allowed_groups is None or g.code in allowed_groups for i in g.indicators}
    existing = appraisals_of(session, submission)
    errors: dict[str, list[str]] = {}
    locale = ui_locale()
    for code, entry in entries.items():
        ind = cset.indicator(code)
        if ind is None:
            continue
        if code not in allowed:
            if entry.value or entry.met or entry.points or entry.comment:
                errors.setdefault(ind.field_name, []).append(_("Chỉ tiêu này thuộc nhóm được giao cho cán bộ thẩm định khác."))
            continue
        try:
            judged = judge_entry(ind, entry, mine_all.indicator(code), existing.get(code), year, locale, max_comment_chars)
        except EntryRefused as exc:
            errors.setdefault(ind.field_name, []).append(str(exc))
            continue
        answer = submission.answer_for(code)
        survey_note = answer.from_survey if answer is not None else None
        if survey_note is not None and not judged.agreed and judged.override() is not None and not judged.comment.strip():
            errors.setdefault(ind.field_name, []).append(
                _("Chỉ tiêu %(code)s lấy từ khảo sát trực tuyến của người dân (n = %(n)s): khi không đồng ý với giá trị "
                  "này, hãy ghi lý do vào ô “Nhận xét” (ví dụ: phiếu giấy bổ sung, phản hồi bất thường). Chỉ tiêu này CHƯA được lưu.",
                  code=code, n=format_decimal(survey_note.get("n", 0))))
            continue
        value, met, points, comment = judged.value, judged.met, judged.points, judged.comment
        appraisal = existing.get(code)
        if appraisal is None:
            if value is None and met is None and points is None and not comment and not judged.agreed:
                continue
            appraisal = Appraisal(submission_id=submission.id, indicator_code=code)
            session.add(appraisal)
        same = (same_value(load_value(appraisal.value), value) and appraisal.met is met and appraisal.points == points
                and appraisal.comment == comment)
        if same:
            continue
        if not same_value(load_value(appraisal.value), value):
            appraisal.value = dump_value(value)
        appraisal.met, appraisal.points, appraisal.comment = met, points, comment
        appraisal.reviewer_id = actor.id
        effective_met = met if met is not None else (
            evaluate_indicator(ind, AnswerInput(value, evidence_count=1), submission.campaign.year).met if value is not None else None)
        session.add(ScoreEvent(submission_id=submission.id, indicator_code=code, kind="appraised", met=effective_met,
                               points=points, actor_id=actor.id, reason=comment))
        extra: dict[str, Any] = {"agreed": True} if judged.agreed else {}
        if survey_note is not None and not judged.agreed and judged.override() is not None:
            extra.update(survey_override=True, survey_n=survey_note.get("n"), reason=comment)
        record(session, actor, "score.appraise", submission, indicator=code, met=effective_met,
               points=str(points) if points is not None else None, **extra)
    for group_code in sign_groups:
        if allowed_groups is not None and group_code not in allowed_groups:
            continue
        exists = session.scalar(sa.select(GroupSignoff.id).where(
            GroupSignoff.submission_id == submission.id, GroupSignoff.round == submission.round,
            GroupSignoff.group_code == group_code, GroupSignoff.reviewer_id == actor.id))
        if not exists:
            session.add(GroupSignoff(submission_id=submission.id, round=submission.round, group_code=group_code, reviewer_id=actor.id))
            record(session, actor, "review.signoff", submission, group=group_code, round=submission.round)
    submission.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    refresh_scores(session, submission)
    return errors


def preview_appraisal(session: Session, actor: User, submission_id: int, entries: dict[str, AppraisalInput]) -> tuple[SetResult, int]:
    """The appraised result the review page would give if `entries` were saved now (nothing is written).

    Entries that cannot be read (judge_entry refuses them) and indicators outside the actor's groups keep
    their stored appraisal. Returns (result, number of indicators judged differently from the self-assessment).
    Raises PermissionDenied / NotFound like the review page.
    """
    submission = for_review(session, actor, submission_id)
    cset = submission.campaign.criteria_version.criteria
    year = submission.campaign.year
    answers = answers_of(submission)
    mine_all = score_set(cset, answers, year)
    stored = appraisals_of(session, submission)
    overrides = overrides_of(submission, cset, stored)
    allowed_groups = my_groups(session, actor, submission)
    allowed = {i.code for g in cset.groups if allowed_groups is None or g.code in allowed_groups for i in g.indicators}
    locale = ui_locale()
    for code, entry in entries.items():
        ind = cset.indicator(code)
        if ind is None or code not in allowed:
            continue
        try:
            judged = judge_entry(ind, entry, mine_all.indicator(code), stored.get(code), year, locale)
        except EntryRefused:
            continue
        override = judged.override()
        if override is None:
            overrides.pop(code, None)
        else:
            overrides[code] = override
    result = score_with_overrides(cset, answers, overrides, year)
    def shape(r: Any) -> tuple:
        return r.met, round(r.points, POINT_PLACES), r.not_applicable

    differing = sum(1 for i in cset.indicators if shape(result.indicator(i.code)) != shape(mine_all.indicator(i.code)))
    return result, differing
