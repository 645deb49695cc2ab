"""Survey results for people: the texts of shares and intervals, past exclusions, and the city-wide report.

The report reads every counted response of a campaign's links for one survey in ONE query and groups
them in Python (`app.assessment.surveys.summarise` per link, and once for the whole city), so its
cost does not grow with a query per unit. Exports hold aggregates only: never a comment, never a hash.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload

from app.assessment.criteria import Survey
from app.assessment.surveys import Response, Share, SurveySummary, indicator_fill, summarise
from app.auth.models import User
from app.campaigns.models import Campaign, CriteriaVersion
from app.clock import LOCAL_TZ
from app.errors import NotFound, PermissionDenied
from app.units.models import Unit

from .models import SurveyExclusion, SurveyLink, SurveyResponse

# --------------------------------------------------------------------------- texts


def _lang() -> str:
    from app.numbers import ui_locale

    return ui_locale()


def pct(value: float | None) -> str:
    """A percentage with one decimal in the UI language, without the sign ("87,6"); "—" for None."""
    if value is None:
        return "—"
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return format_decimal(rounded, format="#,##0.0", locale=_lang())


def margin_text(margin: float | None) -> str:
    """The margin of error as printed beside a share: "± 6 %" (whole points; one decimal below 1 point); "" for None."""
    if margin is None:
        return ""
    if margin >= 1:
        whole = Decimal(str(margin)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        return f"± {format_decimal(whole, locale=_lang())} %"
    return f"± {pct(margin)} %"


def share_text(share: Share) -> str:
    """'87,6 % (n = 137; khoảng tin cậy 95 %: 81,0–92,1 %; ± 6 %)', or 'chưa có phản hồi (n = 0)'."""
    if share.n == 0 or share.percent is None:
        return _("chưa có phản hồi (n = 0)")
    return _("%(value)s %% (n = %(n)s; khoảng tin cậy 95 %%: %(low)s–%(high)s %%; %(margin)s)",
             value=pct(share.percent), n=format_decimal(share.n, locale=_lang()), low=pct(share.low), high=pct(share.high),
             margin=margin_text(share.margin))


def month_label(key: str) -> str:
    """"2026-05" → "tháng 5/2026" (English: "May 2026" is not used: "month 5/2026")."""
    year, month = key.split("-")
    return _("tháng %(m)d/%(y)s", m=int(month), y=year)


def short_month(key: str) -> str:
    """"2026-05" → "T5", the axis label of a trend chart whose months are all in one year."""
    return _("T%(m)d", m=int(key.split("-")[1]))


def burst_text(count: int, start: dt.datetime, end: dt.datetime) -> str:
    """"9 phản hồi trong 6 phút từ cùng một mạng, 09:02–09:08 ngày 01/06/2026" (local time)."""
    start, end = (t if t.tzinfo else t.replace(tzinfo=dt.UTC) for t in (start, end))  # SQLite reads back naive UTC
    a, b = start.astimezone(LOCAL_TZ), end.astimezone(LOCAL_TZ)
    minutes = max(1, round((end - start).total_seconds() / 60)) if end > start else 0
    if a.date() == b.date():
        span = _("%(a)s–%(b)s ngày %(day)s", a=a.strftime("%H:%M"), b=b.strftime("%H:%M"), day=a.strftime("%d/%m/%Y"))
    else:
        span = f"{a.strftime('%H:%M %d/%m/%Y')}–{b.strftime('%H:%M %d/%m/%Y')}"
    return _("%(n)d phản hồi trong %(min)d phút từ cùng một mạng, %(span)s", n=count, min=minutes, span=span)


# --------------------------------------------------------------------------- the results page


def exclusions_of(session: Session, link: SurveyLink) -> list[SurveyExclusion]:
    """The link's past exclusions, newest first (names of who excluded: `user_names`)."""
    return list(session.scalars(sa.select(SurveyExclusion).where(SurveyExclusion.link_id == link.id)
                                .order_by(SurveyExclusion.created_at.desc(), SurveyExclusion.id.desc())))


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    """{user id: full name or username} for the given ids (one query)."""
    if not ids:
        return {}
    rows = session.execute(sa.select(User.id, User.full_name, User.username).where(User.id.in_(ids)))
    return {uid: full or name for uid, full, name in rows}


# --------------------------------------------------------------------------- the city-wide report


def can_report(actor: User, campaign: Campaign) -> bool:
    """Admins and viewers read every campaign's survey report; reviewers those of their sets; officials none."""
    if actor.role in ("admin", "viewer"):
        return True
    return actor.role == "reviewer" and campaign.criteria_version.code in actor.scope_codes


def require_report_reader(actor: User) -> None:
    """Raise PermissionDenied unless the actor may read city-wide survey reports at all (admin, viewer, reviewer)."""
    if actor.role not in ("admin", "viewer", "reviewer"):
        raise PermissionDenied(_("Chỉ người xem, cán bộ thẩm định và quản trị viên được xem báo cáo khảo sát toàn thành phố. "
                                 "Đơn vị xem kết quả khảo sát của mình ở trang kết quả của đơn vị."))


def report_campaigns(session: Session, actor: User) -> list[Campaign]:
    """Campaigns whose set has surveys and whose report the actor may read, newest year first."""
    campaigns = session.scalars(sa.select(Campaign).join(CriteriaVersion).options(joinedload(Campaign.criteria_version))
                                .order_by(Campaign.year.desc(), Campaign.id.desc()))
    return [c for c in campaigns if can_report(actor, c) and c.criteria_version.criteria.surveys]


@dataclass(frozen=True)
class UnitResult:
    """One unit's line of the report: its link, its overall share for the year, its shares by month, ready or not."""

    unit_id: int
    unit_name: str
    unit_type: str
    link_id: int
    overall: Share
    by_month: dict[str, Share]
    min_sample: int

    @property
    def ready(self) -> bool:
        """True once the unit has the survey's minimum sample."""
        return self.overall.n >= self.min_sample

    @property
    def needed(self) -> int:
        """Responses still missing before the minimum sample (0 when ready)."""
        return max(0, self.min_sample - self.overall.n)


@dataclass
class SurveyReport:
    """The report of one survey in one campaign.

    `ranked`: units with the minimum sample, by share satisfied (highest first, then larger n, then name);
    `short`: units below it ("chưa đủ mẫu"), most responses first; `months`: "YYYY-MM" keys with any response;
    `city`: the summary over every counted response of the campaign's links.
    """

    campaign: Campaign
    survey: Survey
    ranked: list[UnitResult] = field(default_factory=list)
    short: list[UnitResult] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    city: SurveySummary | None = None

    @property
    def units(self) -> list[UnitResult]:
        """Every unit with a link: ranked ones first, then those below the minimum sample."""
        return self.ranked + self.short


def survey_report(session: Session, actor: User, campaign: Campaign, survey_code: str) -> SurveyReport:
    """Aggregate every link of (campaign, survey): per unit and city-wide, per year and per month.

    Two queries whatever the number of units: the links with their units, then all their counted responses
    of the campaign year. Raises PermissionDenied if the actor may not read the campaign's report and
    NotFound if the campaign's set has no such survey.
    """
    if not can_report(actor, campaign):
        raise PermissionDenied(_("Bạn không có quyền xem báo cáo khảo sát của đợt đánh giá này."))
    survey = campaign.criteria_version.criteria.survey(survey_code)
    if survey is None:
        raise NotFound(_("Không tìm thấy khảo sát."))
    links = session.execute(sa.select(SurveyLink.id, Unit.id, Unit.name, Unit.unit_type).join(Unit, Unit.id == SurveyLink.unit_id)
                            .where(SurveyLink.campaign_id == campaign.id, SurveyLink.survey_code == survey_code)).all()
    start = dt.datetime(campaign.year, 1, 1, tzinfo=LOCAL_TZ)
    end = dt.datetime(campaign.year + 1, 1, 1, tzinfo=LOCAL_TZ)
    by_link: dict[int, list[Response]] = defaultdict(list)
    if links:
        rows = session.execute(sa.select(SurveyResponse.link_id, SurveyResponse.submitted_at, SurveyResponse.answers)
                               .join(SurveyLink, SurveyLink.id == SurveyResponse.link_id)
                               .where(SurveyLink.campaign_id == campaign.id, SurveyLink.survey_code == survey_code,
                                      SurveyResponse.excluded_by_id.is_(None),
                                      SurveyResponse.submitted_at >= start, SurveyResponse.submitted_at < end))
        for link_id, at, answers in rows:
            at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            by_link[link_id].append(Response(at=at, answers=answers or {}))
    report = SurveyReport(campaign, survey)
    everything: list[Response] = []
    for link_id, unit_id, name, unit_type in links:
        responses = by_link.get(link_id, [])
        everything.extend(responses)
        summary = summarise(survey, responses, tz=LOCAL_TZ)
        fill = indicator_fill(summary)
        row = UnitResult(unit_id, name, unit_type, link_id, summary.overall, summary.by_month, fill.min_sample)
        (report.ranked if row.ready else report.short).append(row)
    report.ranked.sort(key=lambda r: (-(r.overall.percent or 0), -r.overall.n, r.unit_name))
    report.short.sort(key=lambda r: (-r.overall.n, r.unit_name))
    report.city = summarise(survey, everything, tz=LOCAL_TZ)
    report.months = sorted(report.city.by_month)
    return report


def _r1(value: float | None) -> float | None:
    return None if value is None else float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def report_tables(report: SurveyReport) -> list[tuple[str, list[str], list[list]]]:
    """The report's aggregates as [(title, headers, rows)]: one row per unit (year), then one per unit and month.

    Numbers are plain (shares rounded to one decimal); a period is the year ("2026") or a month ("2026-05");
    the city-wide rows come first under "Toàn thành phố". No comment and no network hash ever appear.
    """
    headers = ["Đơn vị", "Loại đơn vị", "Kỳ", "n", "Hài lòng", "Tỷ lệ hài lòng (%)", "Cận dưới 95% (%)", "Cận trên 95% (%)", "Đủ mẫu"]
    year = str(report.campaign.year)
    city = report.city
    minimum = report.survey.min_sample

    def line(name: str, unit_type: str, period: str, share: Share, ready: bool | None) -> list:
        return [name, unit_type, period, share.n, share.satisfied, _r1(share.percent), _r1(share.low), _r1(share.high),
                "" if ready is None else ("có" if ready else "chưa")]

    city_name = "Toàn thành phố"
    units = [line(city_name, "", year, city.overall, city.overall.n >= minimum)] if city else []
    units += [line(u.unit_name, u.unit_type, year, u.overall, u.ready) for u in report.units]
    months = [line(city_name, "", m, s, None) for m, s in (city.by_month.items() if city else [])]
    for u in report.units:
        months += [line(u.unit_name, u.unit_type, m, s, None) for m, s in u.by_month.items()]
    return [("Theo đơn vị", headers, units), ("Theo tháng", headers, months)]
