"""Review access: who may read or appraise a submission, the campaign window, and the version check of a
reviewer's page. The reviewer's work is split by role: queue (app.review.queue), appraisal
(app.review.appraisal), returns and verdicts (app.review.outcomes), group assignments and discrepancies
(app.review.assignments); recognition decisions stand on their own in app.decisions.services; the workflow
shared with officials lives in app.workflow. Services flush; the view commits once.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from app.auth.models import User
from app.campaigns.models import Campaign
from app.errors import Conflict, NotFound, PermissionDenied
from app.submissions.models import Submission
from app.submissions.services import MISSING_VERSION, today_local

# ------------------------------------------------------------------ access and state checks


def can_review(actor: User, campaign: Campaign) -> bool:
    return actor.role == "admin" or (actor.role == "reviewer" and campaign.criteria_version.code in actor.scope_codes)


def can_read(actor: User, campaign: Campaign) -> bool:
    return actor.role == "viewer" or can_review(actor, campaign)


def load_submission(session: Session, submission_id: int) -> Submission:
    submission = session.scalar(
        sa.select(Submission).where(Submission.id == submission_id)
        .options(selectinload(Submission.answers), selectinload(Submission.evidence))
    )
    if submission is None:
        raise NotFound(_("Không tìm thấy phiếu."))
    return submission


def for_review(session: Session, actor: User, submission_id: int) -> Submission:
    submission = load_submission(session, submission_id)
    if not can_review(actor, submission.campaign):
        raise PermissionDenied(_("Bạn không có quyền thẩm định bộ tiêu chí này."))
    return submission


def check_reviewer(session: Session, actor: User, submission_id: int) -> Submission:
    """The submission if `actor` may review its set; raises NotFound or PermissionDenied."""
    return for_review(session, actor, submission_id)


def campaign_window_open(campaign: Campaign, today: dt.date | None = None) -> bool:
    return campaign.is_open(today or today_local())


def require_window(campaign: Campaign) -> None:
    if not campaign_window_open(campaign):
        raise PermissionDenied(_("Đợt đánh giá đã đóng ngày %(date)s: mọi thay đổi bị khóa cho đến khi quản trị viên mở lại.",
                                 date=campaign.effective_close.strftime("%d/%m/%Y")))


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(_("Không tìm thấy đợt đánh giá."))
    return campaign


def check_version(submission: Submission, expected: int | None) -> None:
    """Refuse (Conflict) an action made from an outdated page. MISSING_VERSION (the page sent no
    usable version) is a conflict too; None skips the check and is for system callers only."""
    if expected is None or expected == submission.version:
        return
    if expected == MISSING_VERSION:
        raise Conflict(_("Trang bạn gửi không cho biết nó được mở từ phiên bản nào của phiếu, nên để không ghi đè lên thay đổi "
                         "của người khác, CHƯA có gì được lưu. Dữ liệu bạn nhập vẫn còn trên trang; hãy xem lại rồi thực hiện lại."))
    raise Conflict(_("Phiếu vừa được người khác thay đổi. Dữ liệu bạn nhập vẫn còn trên trang; hãy xem lại rồi thực hiện lại."))
