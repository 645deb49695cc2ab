"""Review services: queue, appraisal, return for revision, approve/reject, reopen, recognition.

Every state change goes through `app.review.workflow.transition`, is written to the audit log and
notifies the people concerned. Services flush; the view commits once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from app.assessment.criteria import CriteriaSet
from app.assessment.indicators import AnswerError, dump_value, get_type, load_value, same_value
from app.assessment.numbers import NumberError, format_number, format_rounded, parse_number, to_decimal
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
from app.auth.models import ReviewerScope, User
from app.campaigns.models import Campaign
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.labels import SUBMISSION_STATUS, WORKFLOW_ACTION
from app.labels import label as code_label
from app.notifications.services import notify
from app.numbers import ui_locale
from app.submissions import uploads
from app.submissions.messages import answer_error, upload_error, vn_number
from app.submissions.models import Submission
from app.submissions.services import MISSING_VERSION, Upload, answers_of, today_local
from app.text import clean_filename, nfc
from app.units.models import Unit

from .models import Appraisal, GroupAssignment, GroupSignoff, RecognitionDecision, ReturnItem, ScoreEvent, SubmissionRound
from .scores import refresh_scores
from .workflow import LOCKED, UNDER_REVIEW, IllegalTransition, allowed_actions, transition

STATUS_LABELS = SUBMISSION_STATUS


def status_label(status: str) -> str:
    """A submission status in words, in the UI language (app.labels.SUBMISSION_STATUS)."""
    return code_label(status, "submission_status")


# ------------------------------------------------------------------ access and state checks


def can_review(actor: User, campaign: Campaign) -> bool:
    return actor.role == "admin" or (actor.role == "reviewer" and campaign.criteria_version.code in actor.scope_codes)


def can_read(actor: User, campaign: Campaign) -> bool:
    return actor.role == "viewer" or can_review(actor, campaign)


def _load(session: Session, submission_id: int) -> Submission:
    submission = session.scalar(
        sa.select(Submission).where(Submission.id == submission_id)
        .options(selectinload(Submission.answers), selectinload(Submission.evidence))
    )
    if submission is None:
        raise NotFound(_("Không tìm thấy phiếu."))
    return submission


def _for_review(session: Session, actor: User, submission_id: int) -> Submission:
    submission = _load(session, submission_id)
    if not can_review(actor, submission.campaign):
        raise PermissionDenied(_("Bạn không có quyền thẩm định bộ tiêu chí này."))
    return submission


def check_reviewer(session: Session, actor: User, submission_id: int) -> Submission:
    """The submission if `actor` may review its set; raises NotFound or PermissionDenied."""
    return _for_review(session, actor, submission_id)


def campaign_window_open(campaign: Campaign, today: dt.date | None = None) -> bool:
    return campaign.is_open(today or today_local())


def _require_window(campaign: Campaign) -> None:
    if not campaign_window_open(campaign):
        raise PermissionDenied(_("Đợt đánh giá đã đóng ngày %(date)s: mọi thay đổi bị khóa cho đến khi quản trị viên mở lại.",
                                 date=campaign.effective_close.strftime("%d/%m/%Y")))


ACTION_LABELS = WORKFLOW_ACTION


def apply_transition(session: Session, actor: User, submission: Submission, action: str, **detail: Any) -> None:
    """Move the submission through the state machine (or refuse clearly) and audit it."""
    role = actor.role
    try:
        new_status = transition(submission.status, action, role)
    except IllegalTransition as exc:
        if exc.code == "wrong_role":
            raise PermissionDenied(_("Vai trò của bạn không được “%(action)s” phiếu.", action=str(ACTION_LABELS.get(action, action)))) from None
        raise Conflict(_("Không thể “%(action)s” khi phiếu đang ở trạng thái “%(status)s”.",
                         action=str(ACTION_LABELS.get(action, action)), status=status_label(submission.status))) from None
    old = submission.status
    submission.status = new_status
    submission.updated_by_id = actor.id
    submission.updated_at = dt.datetime.now(dt.UTC)
    record(session, actor, f"submission.{action}", submission, old=old, new=new_status, **detail)


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(_("Không tìm thấy đợt đánh giá."))
    return campaign


def _check_version(submission: Submission, expected: int | None) -> None:
    """Refuse (Conflict) an action made from an outdated page. MISSING_VERSION (the page sent no
    usable version) is a conflict too; None skips the check and is for system callers only."""
    if expected is None or expected == submission.version:
        return
    if expected == MISSING_VERSION:
        raise Conflict(_("Trang bạn gửi không cho biết nó được mở từ phiên bản nào của phiếu, nên để không ghi đè lên thay đổi "
                         "của người khác, CHƯA có gì được lưu. Dữ liệu bạn nhập vẫn còn trên trang; hãy xem lại rồi thực hiện lại."))
    raise Conflict(_("Phiếu vừa được người khác thay đổi. Dữ liệu bạn nhập vẫn còn trên trang; hãy xem lại rồi thực hiện lại."))


def officials_of(session: Session, unit_id: int) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.role == "official", User.unit_id == unit_id)))


def reviewers_of(session: Session, set_code: str) -> list[User]:
    return list(session.scalars(sa.select(User).join(ReviewerScope).where(User.role == "reviewer", ReviewerScope.set_code == set_code)))


def _links(submission: Submission) -> tuple[str, str]:
    official = f"/assessments/{submission.campaign_id}/{submission.unit_id}/"
    return official, f"/review/{submission.id}"


def _note_params(submission: Submission, **extra: Any) -> dict:
    return {"campaign": submission.campaign.name, "unit": submission.unit.name, **extra}


# ------------------------------------------------------------------ snapshots and self scores (called on submit)


def snapshot_round(session: Session, actor: User, submission: Submission, cset: CriteriaSet, result: SetResult) -> SubmissionRound:
    """Store what was sent in this round and the self score of every indicator (score history)."""
    submission.round = (submission.round or 0) + 1
    evidence: dict[str, list[str]] = {}
    for item in submission.evidence:
        evidence.setdefault(item.indicator_code, []).append(item.original_name)
    answers = {
        a.indicator_code: {"value": a.value, "explanation": a.explanation or "", "evidence": sorted(evidence.get(a.indicator_code, [])),
                           **({"na": True} if a.not_applicable else {})}
        for a in submission.answers
    }
    snap = SubmissionRound(submission_id=submission.id, round=submission.round, answers=answers,
                           self_score=Decimal(str(result.percent)), created_by_id=actor.id)
    session.add(snap)
    for group in result.groups:
        for ind in group.indicators:
            session.add(ScoreEvent(submission_id=submission.id, indicator_code=ind.code, kind="self", met=ind.met,
                                   points=Decimal(str(ind.points)), actor_id=actor.id, reason=f"round {submission.round}"))
    session.add(ScoreEvent(submission_id=submission.id, kind="self", met=result.passed, percent=Decimal(str(result.percent)),
                           actor_id=actor.id, reason=f"round {submission.round}"))
    return snap


def returned_codes(session: Session, submission: Submission) -> set[str]:
    """Indicators the official may edit while the submission is returned."""
    if submission.status != "returned":
        return set()
    return set(session.scalars(sa.select(ReturnItem.indicator_code).where(
        ReturnItem.submission_id == submission.id, ReturnItem.round == submission.round)))


def current_returns(session: Session, submission: Submission) -> list[ReturnItem]:
    if not submission.round:
        return []
    return list(session.scalars(sa.select(ReturnItem).where(ReturnItem.submission_id == submission.id, ReturnItem.round == submission.round)
                                .order_by(ReturnItem.indicator_code)))


def notify_submitted(session: Session, submission: Submission, resubmission: bool) -> None:
    _official_link, review_link = _links(submission)
    notify(session, reviewers_of(session, submission.campaign.criteria_version.code), "resubmitted" if resubmission else "submitted",
           review_link, **_note_params(submission))


# ------------------------------------------------------------------ queue


@dataclass
class QueueFilter:
    campaign_id: int | None = None
    set_code: str = ""
    unit_type: str = ""
    status: str = ""
    #: '' (any), 'overdue', 'week' (due within 7 days)
    deadline: str = ""


@dataclass
class QueueRow:
    submission: Submission
    deadline: dt.date | None
    overdue: bool


def queue(session: Session, actor: User, flt: QueueFilter) -> list[QueueRow]:
    """Submissions past draft that the actor may see, filtered. Reviewers see only their sets."""
    if actor.role not in ("admin", "reviewer", "viewer"):
        raise PermissionDenied(_("Chỉ cán bộ thẩm định, người xem và quản trị viên được xem hàng đợi thẩm định."))
    from app.campaigns.models import CriteriaVersion

    query = (sa.select(Submission).join(Campaign).join(CriteriaVersion).join(Unit, Submission.unit_id == Unit.id)
             .where(Submission.status != "draft").order_by(Submission.submitted_at.desc()))
    if actor.role == "reviewer":
        query = query.where(CriteriaVersion.code.in_(actor.scope_codes or {"-"}))
    if flt.campaign_id:
        query = query.where(Submission.campaign_id == flt.campaign_id)
    if flt.set_code:
        query = query.where(CriteriaVersion.code == flt.set_code)
    if flt.unit_type:
        query = query.where(Unit.unit_type == flt.unit_type)
    if flt.status:
        query = query.where(Submission.status == flt.status)
    today = today_local()
    deadlines = dict(session.execute(
        sa.select(ReturnItem.submission_id, sa.func.max(ReturnItem.deadline)).group_by(ReturnItem.submission_id)).all())
    rows = []
    for submission in session.scalars(query):
        deadline = deadlines.get(submission.id) if submission.status == "returned" else submission.campaign.effective_close
        overdue = deadline is not None and deadline < today and submission.status not in LOCKED
        if flt.deadline == "overdue" and not overdue:
            continue
        if flt.deadline == "week" and not (deadline and today <= deadline <= today + dt.timedelta(days=7)):
            continue
        rows.append(QueueRow(submission, deadline, overdue))
    return rows


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


def _appraisals(session: Session, submission: Submission) -> dict[str, Appraisal]:
    return {a.indicator_code: a for a in session.scalars(sa.select(Appraisal).where(Appraisal.submission_id == submission.id))}


def final_result(session: Session, submission: Submission) -> SetResult:
    cset = submission.campaign.criteria_version.criteria
    return score_with_overrides(cset, answers_of(submission), overrides_of(submission, cset, _appraisals(session, submission)),
                                submission.campaign.year)


def assignments_of(session: Session, campaign_id: int) -> list[GroupAssignment]:
    return list(session.scalars(sa.select(GroupAssignment).where(GroupAssignment.campaign_id == campaign_id)))


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
    submission = _load(session, submission_id)
    if not can_read(actor, submission.campaign):
        raise PermissionDenied(_("Bạn không có quyền xem phiếu thẩm định này."))
    if submission.status == "draft":
        raise PermissionDenied(_("Phiếu chưa được gửi nên chưa thể thẩm định."))
    cset = submission.campaign.criteria_version.criteria
    appraisals = _appraisals(session, submission)
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
    submission = _for_review(session, actor, submission_id)
    _require_window(submission.campaign)
    if submission.status not in UNDER_REVIEW:
        raise Conflict(_("Chỉ thẩm định được phiếu đang chờ hoặc đang thẩm định (trạng thái hiện tại: “%(s)s”).", s=status_label(submission.status)))
    _check_version(submission, expected_version)
    if submission.status in ("submitted", "resubmitted"):
        apply_transition(session, actor, submission, "start_review")
    cset = submission.campaign.criteria_version.criteria
    year = submission.campaign.year
    mine_all = score_set(cset, answers_of(submission), year)
    allowed_groups = my_groups(session, actor, submission)
    allowed = {i.code for g in cset.groups if allowed_groups is None or g.code in allowed_groups for i in g.indicators}
    existing = _appraisals(session, submission)
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
    submission = _for_review(session, actor, submission_id)
    cset = submission.campaign.criteria_version.criteria
    year = submission.campaign.year
    answers = answers_of(submission)
    mine_all = score_set(cset, answers, year)
    stored = _appraisals(session, submission)
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


def return_for_revision(session: Session, actor: User, submission_id: int, reasons: dict[str, str], deadline: dt.date | None,
                        expected_version: int | None = None) -> list[ReturnItem]:
    """Send chosen indicators back with a reason each and a deadline; the official may edit only those."""
    submission = _for_review(session, actor, submission_id)
    _require_window(submission.campaign)
    _check_version(submission, expected_version)
    cset = submission.campaign.criteria_version.criteria
    errors: dict[str, list[str]] = {}
    chosen = {code: nfc(reason) or "" for code, reason in reasons.items() if cset.indicator(code) is not None}
    if not chosen:
        errors["indicators"] = [_("Chọn ít nhất một chỉ tiêu cần trả lại.")]
    for code, reason in chosen.items():
        if not reason:
            errors.setdefault(cset.indicator(code).field_name, []).append(_("Ghi lý do trả lại cho chỉ tiêu %(code)s.", code=code))
    if deadline is None:
        errors["deadline"] = [_("Nhập hạn gửi lại theo dạng dd/mm/yyyy.")]
    elif deadline < today_local():
        errors["deadline"] = [_("Hạn gửi lại không được ở trong quá khứ.")]
    if errors:
        raise ValidationFailed(_("Chưa trả lại được phiếu. Vui lòng sửa các lỗi bên dưới."), errors)
    apply_transition(session, actor, submission, "return", indicators=sorted(chosen), deadline=deadline.isoformat())
    items = [ReturnItem(submission_id=submission.id, round=submission.round, indicator_code=code, reason=reason,
                        deadline=deadline, created_by_id=actor.id) for code, reason in sorted(chosen.items())]
    session.add_all(items)
    session.flush()
    official_link, _review_link = _links(submission)
    notify(session, officials_of(session, submission.unit_id), "returned", official_link,
           **_note_params(submission, n=len(items), deadline=deadline.strftime("%d/%m/%Y")))
    return items


def approve(session: Session, actor: User, submission_id: int, note: str = "", expected_version: int | None = None) -> SetResult:
    """Approve with the final (appraised) score; waits for every assigned group's sign-off."""
    submission = _for_review(session, actor, submission_id)
    _require_window(submission.campaign)
    _check_version(submission, expected_version)
    pending = pending_signoffs(session, submission)
    if pending:
        raise Conflict(_("Chưa duyệt được: còn chờ ký xác nhận nhóm %(items)s.", items=", ".join(f"{g} ({who})" for g, who in pending)))
    result = final_result(session, submission)
    if not result.passed:
        raise Conflict(_("Điểm thẩm định %(p)s%% chưa đạt yêu cầu của bộ tiêu chí: hãy trả lại để bổ sung hoặc không chấp thuận.",
                         p=format_rounded(result.percent, ui_locale())))
    apply_transition(session, actor, submission, "approve", final=result.percent, note=nfc(note) or None)
    _store_final(session, actor, submission, result, nfc(note) or "")
    official_link, _review_link = _links(submission)
    notify(session, officials_of(session, submission.unit_id), "approved", official_link,
           **_note_params(submission, score=format_rounded(result.percent, "vi")))
    return result


def _store_final(session: Session, actor: User, submission: Submission, result: SetResult, reason: str) -> None:
    submission.final_score = Decimal(str(result.percent))
    submission.final_passed = result.passed
    submission.decided_at = dt.datetime.now(dt.UTC)
    submission.decided_by_id = actor.id
    submission.decision_reason = reason
    for group in result.groups:
        for ind in group.indicators:
            session.add(ScoreEvent(submission_id=submission.id, indicator_code=ind.code, kind="final", met=ind.met,
                                   points=Decimal(str(ind.points)), actor_id=actor.id, reason=reason))
    session.add(ScoreEvent(submission_id=submission.id, kind="final", met=result.passed, percent=Decimal(str(result.percent)),
                           actor_id=actor.id, reason=reason))
    session.flush()
    refresh_scores(session, submission)


def reject(session: Session, actor: User, submission_id: int, reason: str, expected_version: int | None = None) -> None:
    submission = _for_review(session, actor, submission_id)
    _require_window(submission.campaign)
    _check_version(submission, expected_version)
    reason = nfc(reason) or ""
    if not reason:
        raise ValidationFailed(_("Ghi lý do không chấp thuận."), {"reason": [_("Ghi lý do không chấp thuận.")]})
    apply_transition(session, actor, submission, "reject", reason=reason)
    _store_final(session, actor, submission, final_result(session, submission), reason)
    submission.final_passed = False
    official_link, _review_link = _links(submission)
    notify(session, officials_of(session, submission.unit_id), "rejected", official_link, **_note_params(submission, reason=reason))


def reopen(session: Session, actor: User, submission_id: int, reason: str) -> None:
    """Admin only: bring an approved or rejected submission back into review, with a written reason."""
    submission = _load(session, submission_id)
    reason = nfc(reason) or ""
    if actor.role != "admin":
        raise PermissionDenied(_("Chỉ quản trị viên được mở lại phiếu đã khóa."))
    if not reason:
        raise ValidationFailed(_("Ghi lý do mở lại."), {"reason": [_("Ghi lý do mở lại.")]})
    apply_transition(session, actor, submission, "reopen", reason=reason)
    official_link, review_link = _links(submission)
    notify(session, officials_of(session, submission.unit_id) + reviewers_of(session, submission.campaign.criteria_version.code),
           "reopened", official_link, **_note_params(submission, reason=reason))


def reopen_campaign(session: Session, actor: User, campaign_id: int, until: dt.date | None, reason: str) -> Campaign:
    """Admin only: allow changes after the close date until `until`, with a written reason (audited)."""
    if actor.role != "admin":
        raise PermissionDenied(_("Chỉ quản trị viên được mở lại đợt đánh giá."))
    campaign = _campaign(session, campaign_id)
    reason = nfc(reason) or ""
    errors = {}
    if not reason:
        errors["reason"] = [_("Ghi lý do mở lại.")]
    if until is None or until < today_local():
        errors["until"] = [_("Nhập ngày mở đến (dd/mm/yyyy), không ở trong quá khứ.")]
    if errors:
        raise ValidationFailed(_("Chưa mở lại được đợt đánh giá."), errors)
    campaign.reopened_until = until
    campaign.reopen_reason = reason
    record(session, actor, "campaign.reopen", campaign, campaign_id=campaign.id, until=until.isoformat(), reason=reason)
    session.flush()
    return campaign


# ------------------------------------------------------------------ recognition decisions


def approved_in_campaign(session: Session, actor: User, campaign_id: int) -> tuple[Campaign, list[Submission]]:
    campaign = _campaign(session, campaign_id)
    if not can_review(actor, campaign):
        raise PermissionDenied(_("Bạn không có quyền ghi quyết định công nhận cho bộ tiêu chí này."))
    subs = list(session.scalars(sa.select(Submission).join(Unit).where(Submission.campaign_id == campaign_id,
                                                                        Submission.status == "approved").order_by(Unit.name)))
    return campaign, subs


def create_decision(session: Session, actor: User, campaign_id: int, *, number: str, decided_on: dt.date | None, signer_name: str,
                    signer_title: str, issuing_body: str, submission_ids: list[int], scan: Upload | None,
                    upload_dir: str | None = None, max_bytes: int) -> RecognitionDecision:
    """Record a recognition decision covering approved units; each becomes 'recognised'. The optional PDF `scan`
    streams into the storage backend (see uploads.store; `upload_dir` is no longer used)."""
    campaign, approved = approved_in_campaign(session, actor, campaign_id)
    by_id = {s.id: s for s in approved}
    errors: dict[str, list[str]] = {}
    number = nfc(number) or ""
    fields = {"number": number, "signer_name": nfc(signer_name) or "", "signer_title": nfc(signer_title) or "",
              "issuing_body": nfc(issuing_body) or ""}
    for key, label in (("number", _("số quyết định")), ("signer_name", _("người ký")), ("signer_title", _("chức vụ người ký")),
                       ("issuing_body", _("cơ quan ban hành"))):
        if not fields[key]:
            errors[key] = [_("Vui lòng nhập %(what)s.", what=label)]
    if number and session.scalar(sa.select(RecognitionDecision.id).where(RecognitionDecision.number == number)):
        errors["number"] = [_("Số quyết định này đã được ghi nhận.")]
    if decided_on is None:
        errors["decided_on"] = [_("Nhập ngày quyết định theo dạng dd/mm/yyyy.")]
    elif decided_on > today_local():
        errors["decided_on"] = [_("Ngày quyết định không được ở tương lai.")]
    chosen = [by_id[i] for i in submission_ids if i in by_id]
    if not chosen or len(chosen) != len(set(submission_ids)):
        errors["submission_ids"] = [_("Chọn ít nhất một đơn vị đã được duyệt trong đợt này.")]
    checked = None
    if scan is not None and scan.size:
        try:
            checked = scan.check(("pdf",), max_bytes)
        except uploads.UploadError as exc:
            errors["scan"] = [upload_error(exc, clean_filename(scan.filename, "?"))]
    if errors:
        raise ValidationFailed(_("Chưa ghi được quyết định. Vui lòng sửa các lỗi bên dưới."), errors)
    decision = RecognitionDecision(number=number, decided_on=decided_on, signer_name=fields["signer_name"],
                                   signer_title=fields["signer_title"], issuing_body=fields["issuing_body"],
                                   campaign_id=campaign.id, created_by_id=actor.id, submissions=chosen)
    if checked is not None:
        try:
            decision.scan_stored_name = uploads.store(upload_dir, checked, session)
        except uploads.UploadError as exc:
            raise ValidationFailed(_("Chưa ghi được quyết định. Vui lòng sửa các lỗi bên dưới."),
                                   {"scan": [upload_error(exc, clean_filename(scan.filename, "?"))]}) from None
        decision.scan_original_name = clean_filename(scan.filename, "quyet-dinh.pdf")
    session.add(decision)
    session.flush()
    for submission in chosen:
        apply_transition(session, actor, submission, "recognise", decision=number)
        official_link, _review_link = _links(submission)
        notify(session, officials_of(session, submission.unit_id), "recognised", official_link, unit=submission.unit.name,
               set=campaign.criteria_version.name_vi, year=campaign.year, decision=number)
    record(session, actor, "decision.create", decision, campaign_id=campaign.id, number=number, units=[s.unit_id for s in chosen])
    session.flush()
    return decision


def decisions(session: Session, actor: User) -> list[RecognitionDecision]:
    rows = session.scalars(sa.select(RecognitionDecision).order_by(RecognitionDecision.decided_on.desc(), RecognitionDecision.id.desc()))
    return [d for d in rows if can_read(actor, d.campaign)]


def get_decision(session: Session, actor: User, decision_id: int) -> RecognitionDecision:
    decision = session.get(RecognitionDecision, decision_id)
    if decision is None:
        raise NotFound(_("Không tìm thấy quyết định."))
    if not can_read(actor, decision.campaign):
        raise PermissionDenied(_("Bạn không có quyền xem quyết định này."))
    return decision


def is_recognised(session: Session, unit_id: int, set_code: str, year: int) -> bool:
    """Whether a unit is 'đạt chuẩn' for a set and year (a recognised submission exists)."""
    from app.campaigns.models import CriteriaVersion

    return bool(session.scalar(
        sa.select(sa.func.count()).select_from(Submission).join(Campaign).join(CriteriaVersion)
        .where(Submission.unit_id == unit_id, Submission.status == "recognised", CriteriaVersion.code == set_code, Campaign.year == year)))


# ------------------------------------------------------------------ discrepancies and group assignments


def _discrepancy_counts(session: Session, campaign: Campaign) -> dict[str, dict[str, int]]:
    """Per indicator code of the campaign's version: appraised, over-rated and under-rated submissions, and
    `na` (appraised units that answered "không áp dụng"; a refused N/A that is not met counts as over-rating)."""
    cset = campaign.criteria_version.criteria
    counts: dict[str, dict[str, int]] = {i.code: {"appraised": 0, "over": 0, "under": 0, "na": 0} for i in cset.indicators}
    subs = session.scalars(sa.select(Submission).where(Submission.campaign_id == campaign.id, Submission.status != "draft"))
    for submission in subs:
        self_result = score_set(cset, answers_of(submission), campaign.year)
        final = final_result(session, submission)
        appraised = set(_appraisals(session, submission))
        for code in appraised & set(counts):
            mine, theirs = self_result.indicator(code).met, final.indicator(code).met
            counts[code]["appraised"] += 1
            counts[code]["over"] += int(mine and not theirs)
            counts[code]["under"] += int(theirs and not mine)
            counts[code]["na"] += int(self_result.indicator(code).not_applicable)
    return counts


def previous_campaign(session: Session, campaign: Campaign) -> Campaign | None:
    """The latest campaign of the same set (any version) before this one, by (year, id), or None."""
    from app.campaigns.models import CriteriaVersion

    earlier = session.scalars(
        sa.select(Campaign).join(CriteriaVersion).where(CriteriaVersion.code == campaign.criteria_version.code, Campaign.id != campaign.id)
        .order_by(Campaign.year, Campaign.id))
    before = [c for c in earlier if (c.year, c.id) < (campaign.year, campaign.id)]
    return before[-1] if before else None


def campaign_discrepancies(session: Session, actor: User, campaign_id: int) -> tuple[Campaign, list[dict]]:
    """Per indicator: how many units rated it met but were appraised not met (over-rating), most first.

    Each row also carries `previous` (the same indicator's counts in the set's previous campaign, or
    None): codes are followed across versions through the saved code mappings, so an indicator
    renamed in a revision keeps its earlier figures. The previous campaign is in `rows[i]["previous_campaign"]`.
    Each row: `indicator`, `appraised`, `over`, `under`, `na` and `condition` (a điều kiện bắt buộc, which the
    page lists apart).
    """
    from app.criteria_sets.services import code_resolver

    campaign = _campaign(session, campaign_id)
    if not can_read(actor, campaign):
        raise PermissionDenied(_("Bạn không có quyền xem đợt đánh giá này."))
    cset = campaign.criteria_version.criteria
    counts = _discrepancy_counts(session, campaign)
    before = previous_campaign(session, campaign)
    earlier: dict[str, dict[str, int]] = {}
    if before is not None:
        resolver = code_resolver(session, campaign.criteria_version.code)
        for code, c in _discrepancy_counts(session, before).items():
            cell = earlier.setdefault(resolver.key(before.criteria_version_id, code), {"appraised": 0, "over": 0, "under": 0})
            for k in cell:
                cell[k] += c[k]
        key_of = {code: resolver.key(campaign.criteria_version_id, code) for code in counts}
    rows = [{"indicator": cset.indicator(code), "condition": cset.indicator(code).condition, **c, "previous_campaign": before,
             "previous": earlier.get(key_of[code]) if before is not None else None}
            for code, c in counts.items() if c["appraised"] or (before is not None and earlier.get(key_of[code], {}).get("appraised"))]
    rows.sort(key=lambda r: (-r["over"], r["indicator"].code))
    return campaign, rows


def set_assignments(session: Session, actor: User, campaign_id: int, pairs: list[tuple[str, int]]) -> None:
    """Admin: assign reviewers (in scope) to groups of a campaign; replaces the previous assignment."""
    if actor.role != "admin":
        raise PermissionDenied(_("Chỉ quản trị viên được phân công nhóm thẩm định."))
    campaign = _campaign(session, campaign_id)
    codes = {g.code for g in campaign.criteria_version.criteria.groups}
    reviewers = {u.id: u for u in reviewers_of(session, campaign.criteria_version.code)}
    bad = [f"{g}/{r}" for g, r in pairs if g not in codes or r not in reviewers]
    if bad:
        raise ValidationFailed(_("Phân công không hợp lệ: %(items)s.", items=", ".join(bad)))
    session.execute(sa.delete(GroupAssignment).where(GroupAssignment.campaign_id == campaign_id))
    session.add_all(GroupAssignment(campaign_id=campaign_id, group_code=g, reviewer_id=r) for g, r in sorted(set(pairs)))
    record(session, actor, "campaign.assign_groups", campaign, campaign_id=campaign_id, pairs=sorted(f"{g}:{r}" for g, r in set(pairs)))
    session.flush()
