"""Group assignments (which reviewer appraises which group) and the discrepancies between self-assessment and
appraisal per indicator, compared with the set's previous campaign.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.assessment.scoring import (
    score_set,
)
from app.audit.services import record
from app.auth.models import User
from app.campaigns.models import Campaign
from app.errors import PermissionDenied, ValidationFailed
from app.review.models import GroupAssignment
from app.review.services import (
    can_read,
    get_campaign,
)
from app.submissions.models import Submission
from app.submissions.services import answers_of
from app.workflow.results import appraisals_of, final_result
from app.workflow.services import (
    reviewers_of,
)


def assignments_of(session: Session, campaign_id: int) -> list[GroupAssignment]:
    return list(session.scalars(sa.select(GroupAssignment).where(GroupAssignment.campaign_id == campaign_id)))


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
        appraised = set(appraisals_of(session, submission))
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

    campaign = get_campaign(session, campaign_id)
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
    campaign = get_campaign(session, campaign_id)
    codes = {g.code for g in campaign.criteria_version.criteria.groups}
    reviewers = {u.id: u for u in reviewers_of(session, campaign.criteria_version.code)}
    bad = [f"{g}/{r}" for g, r in pairs if g not in codes or r not in reviewers]
    if bad:
        raise ValidationFailed(_("Phân công không hợp lệ: %(items)s.", items=", ".join(bad)))
    session.execute(sa.delete(GroupAssignment).where(GroupAssignment.campaign_id == campaign_id))
    session.add_all(GroupAssignment(campaign_id=campaign_id, group_code=g, reviewer_id=r) for g, r in sorted(set(pairs)))
    record(session, actor, "campaign.assign_groups", campaign, campaign_id=campaign_id, pairs=sorted(f"{g}:{r}" for g, r in set(pairs)))
    session.flush()
