"""Self-assessment services: open, save a group (draft), submit and score. They flush only.

Access rules live here (not in templates): an official reads and writes only their own unit's
submission in a campaign that covers that unit; reviewers read sets in their scope; viewers and
admins read everything. Editing needs a draft and an open campaign window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload, selectinload

from app.assessment.criteria import CriteriaSet, Group
from app.assessment.indicators import AnswerError, dump_value, get_type, load_value, same_value
from app.assessment.scoring import AnswerInput, SetResult, needs_explanation, score_set
from app.audit.services import record
from app.auth.models import User
from app.campaigns.models import Campaign
from app.campaigns.services import can_see_campaign
from app.clock import to_local
from app.clock import today_local as _clock_today
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.numbers import ui_locale
from app.review.models import ReturnItem
from app.text import clean_filename, nfc
from app.units.models import Unit
from app.workflow.results import answers_of, appraisals_of, refresh_scores
from app.workflow.services import apply_transition, current_returns, notify_submitted, snapshot_round, status_label

from . import uploads
from .messages import answer_error, reason_text, upload_error, value_against_rule
from .models import NOT_APPLICABLE, Answer, Evidence, Submission


@dataclass
class Upload:
    """A file from the request, reduced to what the service needs (no Flask objects): its name and either its
    bytes (`data`) or, to keep large files out of memory, a seekable binary file object (`stream`: the request's
    spooled temporary file), which is then read in chunks."""

    filename: str
    data: bytes = b""
    stream: IO[bytes] | None = None

    @property
    def size(self) -> int:
        """The file's size in bytes (a stream is measured by seeking to its end, not read)."""
        if self.stream is None:
            return len(self.data)
        self.stream.seek(0, 2)
        return self.stream.tell()

    def check(self, allowed_kinds: tuple[str, ...], max_bytes: int) -> uploads.CheckedFile:
        """uploads.check_file on the stream, or uploads.check_upload on the bytes. Raises uploads.UploadError."""
        if self.stream is not None:
            return uploads.check_file(self.stream, allowed_kinds, max_bytes)
        return uploads.check_upload(self.data, allowed_kinds, max_bytes)


@dataclass
class Context:
    """Everything a questionnaire page needs about one unit in one campaign."""

    campaign: Campaign
    unit: Unit
    submission: Submission | None
    criteria: CriteriaSet
    can_edit: bool
    #: Why editing is not possible (shown to the user), or "".
    locked_reason: str = ""
    #: Indicators the official may edit; None means every indicator (a draft).
    editable_codes: set[str] | None = None
    #: Indicators sent back by the reviewer in the current round (with reasons and deadline).
    returns: list = field(default_factory=list)
    #: The city's appraisals (comments are shown to the unit's own official).
    appraisals: dict = field(default_factory=dict)
    #: The scorer's view of the answers (indicator code → AnswerInput); None: read from `submission` when first asked.
    answer_inputs: dict | None = None
    #: Citizen surveys of the unit (issue 14): indicator code → app.surveys.services.LinkResult (links that exist).
    survey_results: dict = field(default_factory=dict)

    @property
    def answers(self) -> dict[str, AnswerInput]:
        """Indicator code → AnswerInput (value, evidence count, explanation) of the submission, read once per context;
        an indicator the survey fills now (see `survey_live`) carries the survey's value."""
        if self.answer_inputs is None:
            self.answer_inputs = effective_answers(self)
        return self.answer_inputs

    def survey_live(self, code: str) -> Any:
        """The LinkResult whose value the indicator `code` takes now, or None.

        The survey fills the indicator once it has its minimum sample, while the questionnaire is a draft (or the
        indicator was returned to the unit); after submission the stored value is frozen.
        """
        result = self.survey_results.get(code)
        if result is None or not result.fill.ready:
            return None
        status = self.submission.status if self.submission is not None else "draft"
        if status == "draft" or (status == "returned" and self.editable_codes is not None and code in self.editable_codes):
            return result
        return None

    def survey_stored(self, code: str) -> dict | None:
        """The stored survey note of the indicator's answer (`Answer.meta`) when its value came from the survey."""
        answer = self.submission.answer_for(code) if self.submission is not None else None
        return answer.from_survey if answer is not None else None

    def survey_display(self, code: str) -> dict | None:
        """What the pages show for a survey indicator, or None when it has no survey.

        {"live": LinkResult or None, "stored": note or None, "frozen": True when the shown value was fixed at
        submission, "text": "87,6 % — từ khảo sát trực tuyến, n = 137, ± 6 %" or "", "note": the part after the
        value or "", "progress": "Khảo sát trực tuyến: 12/30 phản hồi — cần thêm 18 phản hồi" or "",
        "survey": the Survey, "result": LinkResult or None, "minimum_default": bool}.
        """
        from app.surveys import fill as survey_fill

        survey = self.criteria.survey_feeding(code)
        if survey is None or self.campaign is None:  # the criteria preview has no campaign
            return None
        result = self.survey_results.get(code)
        live = self.survey_live(code)
        stored = self.survey_stored(code)
        out = {"survey": survey, "result": result, "live": live, "stored": None, "frozen": False, "text": "", "note": "",
               "progress": "", "minimum_default": survey.min_sample_origin == "default"}
        if live is not None:
            out["text"] = survey_fill.fill_text(live.fill.value, live.fill.n, live.fill.margin)
            out["note"] = survey_fill.note_text(live.fill.n, live.fill.margin)
        elif stored is not None:
            answer = self.submission.answer_for(code)
            out["stored"] = stored
            out["frozen"] = self.submission.status != "draft"
            out["text"] = survey_fill.fill_text(answer.parsed, stored["n"], stored["margin"])
            out["note"] = survey_fill.note_text(stored["n"], stored["margin"])
        if live is None:
            n = result.fill.n if result is not None else 0
            if n < survey.min_sample:
                out["progress"] = survey_fill.progress_text(n, survey.min_sample)
        return out

    def editable(self, code: str) -> bool:
        return self.can_edit and (self.editable_codes is None or code in self.editable_codes)

    @property
    def version(self) -> int:
        """The version a page must send back: the submission's, or NO_SUBMISSION_VERSION (0) before the first save."""
        return self.submission.version if self.submission else NO_SUBMISSION_VERSION


#: The version of a questionnaire nobody has saved yet: a first save expects it, so two officials
#: saving a brand-new questionnaire one after the other cannot overwrite each other.
NO_SUBMISSION_VERSION = 0
#: What a page sent when its version is missing, blank or not a number: always a conflict, never "skip".
MISSING_VERSION = -1


def parse_version(raw: object) -> int:
    """The version a form sent: a whole number 0..2^31-1, else MISSING_VERSION (which `_check_version` refuses)."""
    text = str(raw).strip() if raw is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > 2**31 - 1:
        return MISSING_VERSION
    return int(text)


@dataclass(frozen=True)
class Limits:
    """Quotas of a questionnaire save (bytes and counts); defaults match app.config.Config."""

    max_file_bytes: int = 10 * 1024 * 1024
    max_files_per_indicator: int = 20
    max_total_bytes: int = 1024 * 1024 * 1024
    max_explanation_chars: int = 20000

    @classmethod
    def from_config(cls, config) -> Limits:
        """Read MAX_EVIDENCE_BYTES, MAX_FILES_PER_INDICATOR, MAX_EVIDENCE_TOTAL_BYTES and MAX_EXPLANATION_CHARS."""
        return cls(config["MAX_EVIDENCE_BYTES"], config["MAX_FILES_PER_INDICATOR"], config["MAX_EVIDENCE_TOTAL_BYTES"],
                   config["MAX_EXPLANATION_CHARS"])


@dataclass
class SaveOutcome:
    submission: Submission
    #: field name → messages for inputs that were not saved.
    errors: dict[str, list[str]] = field(default_factory=dict)
    saved_files: int = 0
    #: Original names of the files stored by this save.
    saved_names: list[str] = field(default_factory=list)


def today_local() -> dt.date:
    """Today in Asia/Ho_Chi_Minh (see app.clock): a campaign closing today is editable until 23:59:59 local."""
    return _clock_today()


def _load(session: Session, campaign_id: int, unit_id: int) -> tuple[Campaign, Unit, Submission | None]:
    """The campaign (with its criteria version), the unit and the unit's submission (with answers and evidence).

    Three round trips whatever the questionnaire's size: campaign, version and unit in one statement; the
    submission with its answers joined; its evidence. Raises NotFound when the campaign or the unit does not exist.
    """
    row = session.execute(
        sa.select(Campaign, Unit).join_from(Campaign, Unit, Unit.id == unit_id)
        .options(joinedload(Campaign.criteria_version)).where(Campaign.id == campaign_id)
    ).first()
    if row is None:
        raise NotFound(_("Không tìm thấy phiếu đánh giá."))
    campaign, unit = row
    submission = session.execute(
        sa.select(Submission)
        .where(Submission.campaign_id == campaign_id, Submission.unit_id == unit_id)
        .options(joinedload(Submission.answers), selectinload(Submission.evidence))
    ).unique().scalar_one_or_none()
    return campaign, unit, submission


def _check_read(actor: User, campaign: Campaign, unit: Unit) -> None:
    if actor.role == "official" and actor.unit_id != unit.id:
        raise PermissionDenied(_("Bạn chỉ được xem phiếu của đơn vị mình."))
    if not can_see_campaign(actor, campaign) or not campaign.covers(unit):
        raise PermissionDenied(_("Bạn không có quyền xem phiếu này."))


def open_context(session: Session, actor: User, campaign_id: int, unit_id: int, today: dt.date | None = None) -> Context:
    """Load a unit's questionnaire for the actor, enforcing scope, and say whether it is editable."""
    campaign, unit, submission = _load(session, campaign_id, unit_id)
    _check_read(actor, campaign, unit)
    today = today or today_local()
    reason = ""
    status = submission.status if submission is not None else "draft"
    returns = current_returns(session, submission) if submission is not None and status == "returned" else []
    if actor.role != "official" or actor.unit_id != unit.id:
        reason = _("Chỉ cán bộ của đơn vị được nhập phiếu này; bạn đang xem ở chế độ chỉ đọc.")
    elif status not in ("draft", "returned"):
        reason = _("Phiếu đã được gửi ngày %(date)s và đang ở trạng thái “%(status)s” nên chỉ xem được, không sửa được.",
                   date=to_local(submission.submitted_at).strftime("%d/%m/%Y"), status=status_label(status))
    elif today < campaign.opens_on:
        reason = _("Đợt đánh giá chưa mở (mở từ %(date)s); phiếu chỉ xem được.", date=campaign.opens_on.strftime("%d/%m/%Y"))
    elif today > campaign.effective_close:
        reason = _("Đợt đánh giá đã đóng ngày %(date)s; phiếu chỉ xem được.", date=campaign.effective_close.strftime("%d/%m/%Y"))
    own = actor.role == "official" and actor.unit_id == unit.id
    criteria = campaign.criteria_version.criteria
    surveys = {}
    if criteria.surveys:
        from app.surveys.services import fills_for

        surveys = fills_for(session, campaign, unit, criteria)
    return Context(campaign, unit, submission, criteria, can_edit=not reason, locked_reason=reason,
                   editable_codes={r.indicator_code for r in returns} if status == "returned" else None, returns=returns,
                   appraisals=appraisals_of(session, submission) if _may_have_appraisals(submission) and (own or actor.role != "official")
                   else {},
                   survey_results=surveys)


def _may_have_appraisals(submission: Submission | None) -> bool:
    """False when the submission cannot carry the city's appraisals: none yet, or never submitted (round 0; an
    appraisal is only written to a submitted questionnaire, app.review.services.appraise), so no query is needed."""
    return submission is not None and bool(submission.round)


def _require_edit(ctx: Context) -> None:
    if not ctx.can_edit:
        raise PermissionDenied(ctx.locked_reason)


def _ensure_submission(session: Session, ctx: Context, actor: User) -> Submission:
    if ctx.submission is None:
        ctx.submission = Submission(campaign_id=ctx.campaign.id, unit_id=ctx.unit.id, status="draft", updated_by_id=actor.id)
        session.add(ctx.submission)
        session.flush()
    return ctx.submission


def _check_version(ctx: Context, expected_version: int | None) -> None:
    """Refuse a save made from an outdated page (Conflict).

    `expected_version` is the version the page showed: NO_SUBMISSION_VERSION (0) before the first
    save, MISSING_VERSION when the page sent none (a conflict too). None skips the check and is
    only for system callers (demo data, tests), never for a request.
    """
    if expected_version is None:
        return
    current = ctx.version
    if expected_version == current:
        return
    if expected_version == MISSING_VERSION:
        raise Conflict(_("Trang bạn gửi không cho biết nó được mở từ phiên bản nào của phiếu, nên để không ghi đè lên dữ liệu "
                         "của người khác, dữ liệu bạn vừa nhập CHƯA được lưu. Nội dung vẫn còn bên dưới: hãy kiểm tra rồi bấm "
                         "Lưu nháp lần nữa."))
    if ctx.submission is None:
        raise Conflict(_("Phiếu đã thay đổi sau khi bạn mở trang. Dữ liệu bạn vừa nhập vẫn còn bên dưới nhưng CHƯA được lưu: "
                         "hãy kiểm tra rồi bấm Lưu nháp lần nữa."))
    who = ctx.submission.updated_by.full_name or ctx.submission.updated_by.username if ctx.submission.updated_by else "?"
    raise Conflict(
        _(
            "Phiếu vừa được %(who)s lưu lúc %(time)s, sau khi bạn mở trang. Dữ liệu bạn vừa nhập vẫn còn bên dưới "
            "nhưng CHƯA được lưu: hãy kiểm tra lại với bản mới nhất rồi bấm Lưu nháp lần nữa.",
            who=who,
            time=to_local(ctx.submission.updated_at).strftime("%H:%M %d/%m/%Y"),
        )
    )


def save_group(session: Session, actor: User, campaign_id: int, unit_id: int, group_code: str, *,
               values: dict[str, str], explanations: dict[str, str], files: dict[str, list[Upload]],
               remove_evidence: Iterable[int] = (), expected_version: int | None,
               max_bytes: int, today: dt.date | None = None, ctx: Context | None = None,
               not_applicable: dict[str, bool] | None = None, limits: Limits | None = None) -> SaveOutcome:
    """Save one group's answers as a draft.

    Every valid input is saved; an invalid value, a too-long explanation or a refused file is not,
    and its message is returned (field name → messages; `<field>_files` for files,
    `<field>_explanation` for explanations) so the page can show it beside the user's text (which
    the page keeps). Nothing valid is lost. `max_bytes` is the per-file limit; `limits` the other
    quotas (defaults: Limits()). Files stream into the storage backend (app.storage) as partial objects and
    take their name at commit (see uploads.store). `not_applicable` maps field names to the "Không áp dụng" checkbox; it is honoured only
    for an indicator with `allow_na`, and is stored as the answer value `{"na": true}`.
    Raises Conflict (outdated page, see _check_version), PermissionDenied, NotFound.
    """
    not_applicable = not_applicable or {}
    limits = replace(limits or Limits(), max_file_bytes=max_bytes)
    if ctx is None or ctx.campaign.id != campaign_id or ctx.unit.id != unit_id:
        ctx = open_context(session, actor, campaign_id, unit_id, today)  # the caller's context is reused when given
    _require_edit(ctx)
    group = ctx.criteria.group(group_code)
    if group is None:
        raise NotFound(_("Không tìm thấy nhóm tiêu chí."))
    _check_version(ctx, expected_version)
    submission = _ensure_submission(session, ctx, actor)
    errors: dict[str, list[str]] = {}
    saved_names: list[str] = []
    locale = ui_locale()
    removable = {e.id: e for e in submission.evidence if group.indicators and e.indicator_code in {i.code for i in group.indicators}}
    for evidence_id in remove_evidence:
        item = removable.get(int(evidence_id))
        if item is not None and ctx.editable(item.indicator_code):
            submission.evidence.remove(item)
            record(session, actor, "evidence.remove", submission, indicator=item.indicator_code, file=item.original_name, sha256=item.sha256)
    now = dt.datetime.now(dt.UTC)
    for indicator in group.indicators:
        if not ctx.editable(indicator.code):
            continue
        name = indicator.field_name
        answer = submission.answer_for(indicator.code)
        if answer is None:
            answer = Answer(indicator_code=indicator.code, value=None, explanation="")
            submission.answers.append(answer)
        raw_value = nfc(values.get(name))
        live = ctx.survey_live(indicator.code)
        if live is not None:
            from app.surveys.fill import apply_fill

            apply_fill(answer, live, now)  # the survey's value: whatever was posted for this field is ignored
        elif indicator.allow_na and not_applicable.get(name):
            if raw_value and raw_value.strip():
                errors.setdefault(name, []).append(_("Chọn “Không áp dụng” hoặc nhập giá trị, không chọn cả hai."))
            else:
                answer.value = dict(NOT_APPLICABLE)
                answer.meta = None
        else:
            try:
                parsed = get_type(indicator.type).parse(raw_value, list(indicator.options), locale)
                if answer.not_applicable or not same_value(load_value(answer.value), parsed):  # an old {"v": 10} row saved back unchanged stays
                    answer.value = dump_value(parsed)
                answer.meta = None  # typed by the official (a survey below its minimum no longer fills it)
            except AnswerError as exc:
                errors.setdefault(name, []).append(answer_error(exc))
        explanation = nfc(explanations.get(name)) or ""
        if len(explanation) > limits.max_explanation_chars:
            errors.setdefault(name + "_explanation", []).append(
                _("Giải trình của chỉ tiêu %(code)s dài %(n)s ký tự, quá giới hạn %(limit)s ký tự nên CHƯA được lưu. "
                  "Hãy rút gọn, hoặc đưa phần chi tiết vào một tệp minh chứng.",
                  code=indicator.code, n=format_decimal(len(explanation)), limit=format_decimal(limits.max_explanation_chars)))
        else:
            answer.explanation = explanation
        for upload in files.get(name, []):
            try:
                _check_quota(submission, indicator.code, upload.size, limits)
                checked = upload.check(indicator.evidence.kinds, limits.max_file_bytes)
                stored = uploads.store(checked, session)
            except uploads.UploadError as exc:
                errors.setdefault(name + "_files", []).append(upload_error(exc, clean_filename(upload.filename, "?")))
                continue
            saved_names.append((nfc(upload.filename) or "tep")[:255])
            submission.evidence.append(
                Evidence(
                    indicator_code=indicator.code,
                    original_name=clean_filename(upload.filename),
                    stored_name=stored,
                    kind=checked.kind,
                    content_type=checked.content_type,
                    size=checked.size,
                    sha256=checked.sha256,
                    uploaded_by_id=actor.id,
                )
            )
            record(session, actor, "evidence.upload", submission, indicator=indicator.code, file=submission.evidence[-1].original_name,
                   sha256=checked.sha256, size=checked.size)
    submission.updated_at = dt.datetime.now(dt.UTC)
    submission.updated_by_id = actor.id
    session.flush()
    return SaveOutcome(submission, errors, len(saved_names), saved_names)


def _check_quota(submission: Submission, indicator_code: str, size: int, limits: Limits) -> None:
    """Raise UploadError when one more file of `size` bytes would pass the per-indicator count or per-submission bytes quota."""
    count = sum(1 for e in submission.evidence if e.indicator_code == indicator_code)
    if count >= limits.max_files_per_indicator:
        raise uploads.UploadError("too_many_files", limit=limits.max_files_per_indicator)
    total = sum(e.size for e in submission.evidence)
    if total + size > limits.max_total_bytes:
        raise uploads.UploadError("submission_total", limit_mb=round(limits.max_total_bytes / 1024 / 1024),
                                  used_mb=round(total / 1024 / 1024, 1))


def effective_answers(ctx: Context) -> dict[str, AnswerInput]:
    """`answers_of` the context's submission, with the survey's value for every indicator the survey fills now
    (`Context.survey_live`): the survey counts as the evidence, the official's explanation is kept."""
    answers = answers_of(ctx.submission)
    for code, live in ctx.survey_results.items():
        if ctx.survey_live(code) is None:
            continue
        old = answers.get(code, AnswerInput())
        answers[code] = AnswerInput(live.fill.value, max(old.evidence_count, 1), old.explanation, False)
    return answers


def apply_survey_fills(ctx: Context, now: dt.datetime | None = None) -> list[str]:
    """Store the survey's value (with n and the interval, `Answer.meta`) in every answer the survey fills now.

    Needs `ctx.submission`. Returns the indicator codes whose stored answer changed. Called at submission, which
    freezes the value: later responses do not change a submitted questionnaire.
    """
    from app.surveys.fill import apply_fill

    now = now or dt.datetime.now(dt.UTC)
    changed = []
    for code, live in ctx.survey_results.items():
        if ctx.survey_live(code) is None or ctx.criteria.indicator(code) is None:
            continue
        answer = ctx.submission.answer_for(code)
        if answer is None:
            answer = Answer(indicator_code=code, value=None, explanation="")
            ctx.submission.answers.append(answer)
        if apply_fill(answer, live, now):
            changed.append(code)
    ctx.answer_inputs = None
    return changed


def current_result(ctx: Context) -> SetResult:
    """The provisional score of the context's submission (survey values applied), for the campaign's year."""
    return score_set(ctx.criteria, effective_answers(ctx), ctx.campaign.year)


@dataclass
class Problem:
    group: Group
    indicator_code: str
    field: str
    message: str


def submission_problems(ctx: Context) -> list[Problem]:
    """Everything that blocks submission, by group and indicator."""
    answers = effective_answers(ctx)
    result = score_set(ctx.criteria, answers, ctx.campaign.year)
    problems: list[Problem] = []
    for group in ctx.criteria.groups:
        for indicator in group.indicators:
            answer = answers.get(indicator.code, AnswerInput())
            ind_result = result.indicator(indicator.code)
            if ind_result.not_applicable:
                if not answer.explanation.strip():
                    problems.append(Problem(group, indicator.code, indicator.field_name,
                                            _("Đã chọn “Không áp dụng”: cần ghi giải trình vì sao chỉ tiêu không áp dụng cho đơn vị.")))
                continue
            if answer.value is None:
                problems.append(Problem(group, indicator.code, indicator.field_name, _("Chưa trả lời.")))
                continue
            if indicator.evidence.required and answer.evidence_count == 0 and not answer.explanation.strip():
                problems.append(Problem(group, indicator.code, indicator.field_name,
                                        _("Thiếu minh chứng bắt buộc: hãy tải tệp lên hoặc ghi giải trình.")))
            elif needs_explanation(indicator, ind_result) and not answer.explanation.strip():
                value_failed = {"below_threshold", "partial_points"} & set(ind_result.reasons)
                why = (value_against_rule(indicator, answer.value, False, ind_result.points, ind_result.max_points, ctx.campaign.year,
                                          ui_locale()) if value_failed and answer.value is not None
                       else ", ".join(reason_text(r) for r in ind_result.reasons))
                problems.append(Problem(group, indicator.code, indicator.field_name,
                                        _("Chỉ tiêu chưa đạt (%(why)s): cần ghi giải trình.", why=why)))
    return problems


def submit(session: Session, actor: User, campaign_id: int, unit_id: int, *, expected_version: int | None,
           today: dt.date | None = None) -> Submission:
    """Validate everything, then mark the submission submitted and store its explained score."""
    ctx = open_context(session, actor, campaign_id, unit_id, today)
    _require_edit(ctx)
    if ctx.submission is None:
        raise ValidationFailed(_("Phiếu chưa có dữ liệu. Hãy điền các nhóm tiêu chí trước khi gửi."))
    _check_version(ctx, expected_version)
    apply_survey_fills(ctx)  # the survey's value is frozen from here on
    problems = submission_problems(ctx)
    if problems:
        raise ValidationFailed(
            _("Chưa gửi được: còn %(n)d vấn đề cần xử lý (liệt kê theo nhóm và chỉ tiêu bên dưới).", n=len(problems)),
            {f"{p.group.code}|{p.indicator_code}": [p.message] for p in problems},
        )
    result = current_result(ctx)
    submission = ctx.submission
    resubmission = submission.status == "returned"
    apply_transition(session, actor, submission, "resubmit" if resubmission else "submit", self_score=result.percent)
    if not resubmission:
        submission.submitted_at = dt.datetime.now(dt.UTC)
    submission.submitted_by_id = actor.id
    submission.self_score = round(result.percent, 2)
    submission.self_passed = result.passed
    submission.self_result = result.to_dict()
    session.flush()
    snapshot_round(session, actor, submission, ctx.criteria, result)
    refresh_scores(session, submission)
    notify_submitted(session, submission, resubmission)
    session.flush()
    return submission


def get_evidence(session: Session, actor: User, evidence_id: int) -> Evidence:
    """An evidence file the actor may read."""
    item = session.get(Evidence, evidence_id)
    if item is None:
        raise NotFound(_("Không tìm thấy tệp minh chứng."))
    submission = item.submission
    _check_read(actor, submission.campaign, submission.unit)
    return item


def answered_count(criteria: CriteriaSet, submission: Submission | None) -> int:
    """How many of the set's indicators have an answer (a value or "Không áp dụng"); answers to codes
    the set no longer has do not count."""
    if submission is None:
        return 0
    codes = {i.code for i in criteria.indicators}
    return sum(1 for a in submission.answers if a.indicator_code in codes and (a.not_applicable or a.parsed is not None))


def first_unanswered_group(criteria: CriteriaSet, submission: Submission | None) -> str | None:
    """The code of the first group with an unanswered indicator, or None when every indicator has an answer."""
    done = set() if submission is None else {a.indicator_code for a in submission.answers if a.not_applicable or a.parsed is not None}
    return next((g.code for g in criteria.groups if any(i.code not in done for i in g.indicators)), None)


@dataclass
class NextAction:
    """What the official should do next on one questionnaire, for cards and the result page.

    `kind`: not_open, start, continue, submit, closed, wait, in_review, fix, approved, rejected, recognised.
    `group`: the group to continue with (continue); `deadline`: the date that matters (returns' deadline,
    else the campaign's effective close); `returns`: ReturnItems to fix (fix); `certificate`: the valid
    Certificate (recognised) or None; `days_left`: whole days from today (Asia/Ho_Chi_Minh) to `deadline`,
    negative when overdue, None when no deadline applies (the questionnaire is no longer the unit's to edit).
    """

    kind: str
    deadline: dt.date | None = None
    days_left: int | None = None
    group: str | None = None
    returns: list = field(default_factory=list)
    certificate: Any = None
    reason: str = ""


def next_action(campaign: Campaign, criteria: CriteriaSet, submission: Submission | None, today: dt.date,
                returns: list | None = None, certificate: Any = None) -> NextAction:
    """The next step for the unit's official (see NextAction); `today` is the local date."""
    status = submission.status if submission is not None else "draft"
    close = campaign.effective_close
    if status == "returned":
        deadline = min((r.deadline for r in returns or []), default=close)
        return NextAction("fix", deadline, (deadline - today).days, returns=list(returns or []))
    if status in ("submitted", "resubmitted"):
        return NextAction("wait")
    if status == "in_review":
        return NextAction("in_review")
    if status == "approved":
        return NextAction("approved")
    if status == "rejected":
        return NextAction("rejected", reason=submission.decision_reason or "")
    if status == "recognised":
        return NextAction("recognised", certificate=certificate)
    if today < campaign.opens_on:
        return NextAction("not_open", campaign.opens_on, (campaign.opens_on - today).days)
    if today > close:
        return NextAction("closed", close, (close - today).days)
    days = (close - today).days
    if submission is None:
        return NextAction("start", close, days, group=criteria.groups[0].code if criteria.groups else None)
    group = first_unanswered_group(criteria, submission)
    return NextAction("continue" if group else "submit", close, days, group=group)


def valid_certificates(session: Session, submission_ids: Iterable[int]) -> dict[int, Any]:
    """Submission id → its valid (not revoked, not superseded) Certificate, in one query."""
    from app.certificates.models import Certificate

    ids = list(submission_ids)
    if not ids:
        return {}
    rows = session.scalars(sa.select(Certificate).where(Certificate.submission_id.in_(ids), Certificate.revoked_at.is_(None),
                                                        Certificate.superseded_by_id.is_(None)))
    return {c.submission_id: c for c in rows}


def next_action_of(session: Session, ctx: Context, today: dt.date | None = None) -> NextAction:
    """NextAction of a questionnaire context (its returns and certificate looked up)."""
    sub = ctx.submission
    cert = valid_certificates(session, [sub.id]).get(sub.id) if sub is not None and sub.status == "recognised" else None
    return next_action(ctx.campaign, ctx.criteria, sub, today or today_local(), ctx.returns, cert)


def unit_dashboard(session: Session, actor: User) -> list[dict[str, Any]]:
    """For an official: each campaign covering their unit, newest first, as dicts with `campaign`, `submission`
    (or None), `open` (bool), `answered` and `total` (indicators), `next` (NextAction), `surveys`
    ([app.surveys.fill.DashboardSurvey] of the set's citizen surveys, empty when it has none).

    A fixed number of queries whatever the number of campaigns: campaigns with their unit lists and criteria
    versions, the unit's submissions with their answers, the current round's returns and valid certificates.
    """
    if actor.unit is None:
        return []
    campaigns = [c for c in session.scalars(
        sa.select(Campaign).options(selectinload(Campaign.units), selectinload(Campaign.criteria_version))
        .order_by(Campaign.year.desc(), Campaign.opens_on.desc(), Campaign.id.desc())) if can_see_campaign(actor, c)]
    ids = [c.id for c in campaigns]
    submissions = {s.campaign_id: s for s in session.scalars(
        sa.select(Submission).where(Submission.unit_id == actor.unit_id, Submission.campaign_id.in_(ids or [-1]))
        .options(selectinload(Submission.answers)))}
    returned = [s for s in submissions.values() if s.status == "returned" and s.round]
    returns: dict[int, list] = {}
    if returned:
        for item in session.scalars(sa.select(ReturnItem).where(ReturnItem.submission_id.in_([s.id for s in returned]))
                                    .order_by(ReturnItem.indicator_code)):
            sub = next(s for s in returned if s.id == item.submission_id)
            if item.round == sub.round:
                returns.setdefault(sub.id, []).append(item)
    certs = valid_certificates(session, [s.id for s in submissions.values() if s.status == "recognised"])
    from app.surveys.fill import dashboard_surveys

    surveys = dashboard_surveys(session, campaigns, actor.unit_id)  # no query when no set has surveys
    today = today_local()
    rows = []
    for campaign in campaigns:
        submission = submissions.get(campaign.id)
        criteria = campaign.criteria_version.criteria
        sid = submission.id if submission is not None else None
        rows.append({"campaign": campaign, "submission": submission, "open": campaign.is_open(today),
                     "answered": answered_count(criteria, submission), "total": len(criteria.indicators),
                     "next": next_action(campaign, criteria, submission, today, returns.get(sid, []), certs.get(sid)),
                     "surveys": surveys.get(campaign.id, [])})
    return rows
