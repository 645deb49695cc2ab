"""Survey logic: links, accepting responses, network hashes, results, bursts and exclusions.

Every function takes the session (and the acting user where access matters) and only flushes; the
view commits once. Access: a unit's officials, reviewers of the set, viewers and admins read a
unit's results; only reviewers of the set and admins exclude a burst.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.assessment.criteria import CriteriaSet, Survey
from app.assessment.surveys import Burst, IndicatorFill, Response, SurveySummary, find_bursts, indicator_fill, summarise
from app.audit.services import record
from app.auth.models import User
from app.campaigns.models import Campaign
from app.clock import LOCAL_TZ
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.review.services import can_read as review_can_read
from app.review.services import can_review
from app.units.models import Unit

from .models import SurveyExclusion, SurveyHashKey, SurveyLink, SurveyResponse

#: Network hashes and their keys live this many days at most.
HASH_RETENTION_DAYS = 30
#: Longest comment kept (characters); longer text is refused with a message, never cut.
COMMENT_MAX = 1000


# --------------------------------------------------------------------------- links


def surveys_of(campaign: Campaign) -> tuple[Survey, ...]:
    """The surveys of the campaign's criteria set (empty when the set has none)."""
    return campaign.criteria_version.criteria.surveys


def ensure_link(session: Session, campaign: Campaign, unit: Unit, survey_code: str) -> SurveyLink:
    """The unit's link for this survey and campaign, created on first use with a 128-bit URL-safe code.

    Raises NotFound when the campaign's set has no such survey or does not cover the unit.
    """
    if campaign.criteria_version.criteria.survey(survey_code) is None or not campaign.covers(unit):
        raise NotFound(_("Không có khảo sát này cho đơn vị."))
    link = session.scalar(sa.select(SurveyLink).where(
        SurveyLink.campaign_id == campaign.id, SurveyLink.unit_id == unit.id, SurveyLink.survey_code == survey_code))
    if link is not None:
        return link
    link = SurveyLink(campaign_id=campaign.id, unit_id=unit.id, survey_code=survey_code, code=secrets.token_urlsafe(16))
    try:
        with session.begin_nested():
            session.add(link)
            session.flush()
    except IntegrityError:  # another request made it first
        link = session.scalar(sa.select(SurveyLink).where(
            SurveyLink.campaign_id == campaign.id, SurveyLink.unit_id == unit.id, SurveyLink.survey_code == survey_code))
        if link is None:
            raise
    return link


def link_by_code(session: Session, code: str) -> SurveyLink:
    """The link with this public code; raises NotFound for an unknown or malformed code (never says which).

    Its campaign, the campaign's criteria version (without the deferred content) and its unit come in the
    same query: the public form is the page a crowd hits at once (bench/surveys.py), so no lazy loads.
    """
    if not code or len(code) > 40:
        raise NotFound(_("Không tìm thấy khảo sát. Hãy kiểm tra lại đường dẫn hoặc quét lại mã QR."))
    link = session.scalar(sa.select(SurveyLink).where(SurveyLink.code == code)
                          .options(joinedload(SurveyLink.campaign).joinedload(Campaign.criteria_version), joinedload(SurveyLink.unit)))
    if link is None:
        raise NotFound(_("Không tìm thấy khảo sát. Hãy kiểm tra lại đường dẫn hoặc quét lại mã QR."))
    return link


def survey_of(link: SurveyLink) -> Survey:
    """The survey definition a link belongs to (from its campaign's criteria version)."""
    survey = link.campaign.criteria_version.criteria.survey(link.survey_code)
    if survey is None:  # the version is immutable once published; kept for safety
        raise NotFound(_("Không tìm thấy khảo sát."))
    return survey


def is_open(link: SurveyLink, today: dt.date) -> bool:
    """Responses are accepted during the campaign's year (the survey's period), in local dates."""
    return today.year == link.campaign.year


def can_read(actor: User, link: SurveyLink) -> bool:
    """Officials of the unit, reviewers of the set, viewers and admins read a link's results (the campaign's
    reading rule of app.review.services.can_read, plus the unit's own officials)."""
    if actor.role == "official":
        return actor.unit_id == link.unit_id
    return review_can_read(actor, link.campaign)


def can_moderate(actor: User, link: SurveyLink) -> bool:
    """Reviewers of the set and admins may exclude bursts: the reviewing rule of app.review.services.can_review."""
    return can_review(actor, link.campaign)


def readable_link(session: Session, actor: User, link_id: int) -> SurveyLink:
    """The link `link_id` if the actor may read its results; raises NotFound / PermissionDenied."""
    link = session.get(SurveyLink, link_id)
    if link is None:
        raise NotFound(_("Không tìm thấy khảo sát."))
    if not can_read(actor, link):
        raise PermissionDenied(_("Bạn không có quyền xem kết quả khảo sát của đơn vị này."))
    return link


# --------------------------------------------------------------------------- network hashes


def network_of(address: str | None) -> str | None:
    """The sender's network as text: IPv4 /24 or IPv6 /56 (a household or a shop, not a person); None if unparsable."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 56
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def day_key(session: Session, day: dt.date) -> SurveyHashKey:
    """The HMAC key of a local day, created (32 random bytes) on first use; concurrent creators agree.

    Creating a day's key also drops keys and hashes older than 30 days (`drop_old_hashes`); the
    `flask surveys purge-hashes` command does the same from cron on days without responses.
    """
    key = session.scalar(sa.select(SurveyHashKey).where(SurveyHashKey.day == day))
    if key is not None:
        return key
    try:
        with session.begin_nested():
            key = SurveyHashKey(day=day, secret=secrets.token_bytes(32))
            session.add(key)
            session.flush()
        drop_old_hashes(session, day)  # once a day, with the new key: keys and hashes past 30 days go
        return key
    except IntegrityError:
        key = session.scalar(sa.select(SurveyHashKey).where(SurveyHashKey.day == day))
        if key is None:
            raise
        return key


def network_hash(secret: bytes, network: str) -> str:
    """HMAC-SHA256 of the network text under `secret`, as 64 hex characters."""
    return hmac.new(secret, network.encode(), hashlib.sha256).hexdigest()


def drop_old_hashes(session: Session, today: dt.date) -> int:
    """Delete keys older than 30 days and blank their responses' hashes; returns how many responses lost a hash."""
    cutoff = today - dt.timedelta(days=HASH_RETENTION_DAYS)
    old = sa.select(SurveyHashKey.id).where(SurveyHashKey.day < cutoff)
    result = session.execute(sa.update(SurveyResponse).where(SurveyResponse.hash_key_id.in_(old))
                             .values(network_hash=None, hash_key_id=None))
    session.execute(sa.delete(SurveyHashKey).where(SurveyHashKey.day < cutoff))
    return result.rowcount or 0


# --------------------------------------------------------------------------- accepting a response


def clean_comment(text: str | None) -> str:
    """The comment as stored: NFC, trimmed, control characters except newlines removed; raises ValidationFailed if too long."""
    text = unicodedata.normalize("NFC", text or "").strip()
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    if len(text) > COMMENT_MAX:
        raise ValidationFailed(_("Góp ý dài quá %(n)d ký tự; hãy rút gọn.", n=COMMENT_MAX))
    return text


def record_response(session: Session, link: SurveyLink, answers: dict, comment: str | None, address: str | None,
                    now: dt.datetime) -> SurveyResponse:
    """Store one response: answers checked against the survey (1–5 or yes/no), comment NFC, network hashed.

    `now` is an aware datetime. Raises ValidationFailed when a counted answer is out of range or
    the overall question is unanswered (the one question every response must answer).
    """
    survey = survey_of(link)
    now = now.astimezone(dt.UTC)  # stored in UTC: SQLite keeps no offset, so a local time would read back wrong
    clean: dict = {}
    for question in survey.questions:
        value = answers.get(question.code)
        if value in (None, ""):
            continue
        if question.type == "scale5":
            if isinstance(value, bool) or str(value) not in {"1", "2", "3", "4", "5"}:
                raise ValidationFailed(_("Câu trả lời không hợp lệ."))
            clean[question.code] = int(value)
        elif question.type == "yes_no":
            if str(value) not in {"yes", "no", "True", "False"}:
                raise ValidationFailed(_("Câu trả lời không hợp lệ."))
            clean[question.code] = str(value) in ("yes", "True")
    if survey.overall not in clean:
        raise ValidationFailed(_("Hãy trả lời câu hỏi về mức hài lòng chung."))
    comment_code = next((q.code for q in survey.questions if q.type == "comment"), None)
    text = clean_comment(comment) if comment_code else ""
    network = network_of(address)
    key = day_key(session, now.astimezone(LOCAL_TZ).date()) if network else None
    response = SurveyResponse(link_id=link.id, submitted_at=now, answers=clean, comment=text,
                              network_hash=network_hash(key.secret, network) if key and network else None,
                              hash_key_id=key.id if key else None)
    session.add(response)
    session.flush()
    return response


# --------------------------------------------------------------------------- results


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, 1, 1, tzinfo=LOCAL_TZ)
    return start, dt.datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)


def responses_of(session: Session, link: SurveyLink, *, include_excluded: bool = False) -> list[Response]:
    """The link's responses in its campaign's year (local calendar), oldest first, as pure `Response`s."""
    start, end = _year_bounds(link.campaign.year)
    query = (sa.select(SurveyResponse.id, SurveyResponse.submitted_at, SurveyResponse.answers, SurveyResponse.network_hash)
             .where(SurveyResponse.link_id == link.id, SurveyResponse.submitted_at >= start, SurveyResponse.submitted_at < end)
             .order_by(SurveyResponse.submitted_at, SurveyResponse.id))
    if not include_excluded:
        query = query.where(SurveyResponse.excluded_by_id.is_(None))
    out = []
    for rid, at, answers, network in session.execute(query):
        at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        out.append(Response(at=at, answers=answers or {}, network=network, id=rid))
    return out


@dataclass(frozen=True)
class LinkResult:
    """A link's survey, its summary (shares, intervals, months) and what it gives the indicator."""

    link: SurveyLink
    survey: Survey
    summary: SurveySummary
    fill: IndicatorFill


def result_of(session: Session, link: SurveyLink) -> LinkResult:
    """Summarise a link's counted (not excluded) responses of the campaign year."""
    survey = survey_of(link)
    summary = summarise(survey, responses_of(session, link), tz=LOCAL_TZ)
    return LinkResult(link, survey, summary, indicator_fill(summary))


def fills_for(session: Session, campaign: Campaign, unit: Unit, cset: CriteriaSet) -> dict[str, LinkResult]:
    """{indicator code: LinkResult} for every survey of the set that has a link for this unit and campaign."""
    out: dict[str, LinkResult] = {}
    if not cset.surveys:
        return out
    links = session.scalars(sa.select(SurveyLink).where(SurveyLink.campaign_id == campaign.id, SurveyLink.unit_id == unit.id))
    for link in links:
        survey = cset.survey(link.survey_code)
        if survey is not None:
            out[survey.feeds] = result_of(session, link)
    return out


def comments_of(session: Session, actor: User, link: SurveyLink, limit: int = 200) -> list[tuple[dt.datetime, str]]:
    """The newest non-empty comments (time, text) for the unit and its reviewers; raises PermissionDenied otherwise."""
    if not can_read(actor, link) or actor.role == "viewer":
        raise PermissionDenied(_("Chỉ đơn vị và người thẩm định xem được góp ý."))
    rows = session.execute(sa.select(SurveyResponse.submitted_at, SurveyResponse.comment)
                           .where(SurveyResponse.link_id == link.id, SurveyResponse.comment != "")
                           .order_by(SurveyResponse.submitted_at.desc()).limit(limit))
    return [(at, text) for at, text in rows]


# --------------------------------------------------------------------------- bursts and exclusions


def bursts_of(session: Session, link: SurveyLink) -> list[Burst]:
    """Flagged bursts among the link's counted responses (see `app.assessment.surveys.find_bursts`)."""
    return find_bursts(responses_of(session, link))


def exclude_burst(session: Session, actor: User, link: SurveyLink, start: dt.datetime, network: str, reason: str) -> SurveyExclusion:
    """Exclude the flagged burst of `network` that starts at `start`, with a reason; audited.

    Raises PermissionDenied for users who may not moderate, ValidationFailed without a reason or when
    no such burst is flagged any more (e.g. excluded by someone else meanwhile).
    """
    if not can_moderate(actor, link):
        raise PermissionDenied(_("Chỉ người thẩm định của bộ tiêu chí mới loại được phản hồi."))
    reason = unicodedata.normalize("NFC", reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Hãy ghi lý do loại các phản hồi này."))
    burst = next((b for b in bursts_of(session, link) if b.network == network and b.start == start), None)
    if burst is None:
        raise ValidationFailed(_("Không còn nhóm phản hồi bất thường này (có thể đã được loại)."))
    exclusion = SurveyExclusion(link_id=link.id, reason=reason, count=burst.count, start=burst.start, end=burst.end, user_id=actor.id)
    session.add(exclusion)
    session.flush()
    session.execute(sa.update(SurveyResponse).where(SurveyResponse.id.in_(burst.ids)).values(excluded_by_id=exclusion.id))
    record(session, actor, "survey.exclude", exclusion, unit_id=link.unit_id, campaign_id=link.campaign_id,
           survey=link.survey_code, count=burst.count, reason=reason)
    return exclusion
