"""The citizen survey as an indicator's value (issue 14): texts, the stored note, and the dashboard rows.

Once a unit's survey reaches its minimum sample, the questionnaire takes the share satisfied as the
indicator's value (the official cannot type it; a posted value is ignored) and stores the sample size and
the 95 % interval with the answer (`Answer.meta`). The value is frozen when the questionnaire is sent:
later responses do not change a submitted questionnaire. Below the minimum the official types a value
(e.g. from a paper survey) with evidence, as for any indicator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.assessment.criteria import Survey
from app.assessment.indicators import dump_value
from app.campaigns.models import Campaign
from app.clock import LOCAL_TZ

from .models import SurveyLink, SurveyResponse


def _dec(value: Any, places: str = "0.1") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def percent_text(value: Any) -> str:
    """A share in percent with one decimal for the UI language: "87,6 %" (vi), "87.6 %" (en)."""
    return format_decimal(_dec(value), format="#,##0.0") + "\u00a0%"


def margin_text(margin: Any) -> str:
    """The margin of error in whole percentage points (half-up): "± 6 %"; below 1 point, one decimal."""
    rounded = _dec(margin, "1")
    shown = format_decimal(rounded, format="#,##0") if rounded >= 1 else format_decimal(_dec(margin), format="#,##0.0")
    return "±\u00a0" + shown + "\u00a0%"


def note_text(n: int, margin: Any) -> str:
    """ "từ khảo sát trực tuyến, n = 137, ± 6 %" — where a value came from (n formatted, margin in points)."""
    return _("từ khảo sát trực tuyến, n = %(n)s, %(margin)s", n=format_decimal(n), margin=margin_text(margin))


def fill_text(value: Any, n: int, margin: Any) -> str:
    """ "87,6 % — từ khảo sát trực tuyến, n = 137, ± 6 %" (the read-only display of a survey-filled indicator)."""
    return percent_text(value) + " — " + note_text(n, margin)


def progress_text(n: int, minimum: int) -> str:
    """ "Khảo sát trực tuyến: 12/30 phản hồi — cần thêm 18 phản hồi" (below the minimum sample)."""
    return _("Khảo sát trực tuyến: %(n)s/%(min)s phản hồi — cần thêm %(more)s phản hồi",
             n=format_decimal(n), min=format_decimal(minimum), more=format_decimal(max(0, minimum - n)))


def meta_of(result: Any, now: dt.datetime) -> dict:
    """The note stored with a survey-filled answer (see `Answer.meta`) from a `LinkResult`; numbers as exact text."""
    fill = result.fill
    return {"source": "survey", "survey": result.survey.code, "link_id": result.link.id, "n": fill.n,
            "min_sample": fill.min_sample, "margin": str(_dec(fill.margin, "0.01")), "low": str(_dec(fill.low, "0.01")),
            "high": str(_dec(fill.high, "0.01")), "at": now.astimezone(dt.UTC).isoformat()}


def apply_fill(answer: Any, result: Any, now: dt.datetime) -> bool:
    """Set `answer` (an Answer row) to the survey's value with its note; returns True when anything changed.

    The value is the share satisfied in percent (Decimal, one decimal) as the questionnaire stores numbers.
    """
    value = dump_value(result.fill.value)
    note = meta_of(result, now)
    same = answer.value == value and isinstance(answer.meta, dict) and answer.meta.get("n") == note["n"] \
        and answer.meta.get("margin") == note["margin"] and answer.meta.get("link_id") == note["link_id"]
    if same:
        return False
    answer.value = value
    answer.meta = note
    return True


@dataclass(frozen=True)
class DashboardSurvey:
    """One survey on the official's dashboard card: its definition, the link (None until first made) and the count.

    `count` is the responses counted so far (not excluded, in the campaign's year); `minimum` the survey's
    min_sample and `minimum_default` whether that minimum is the set's default (shown "mặc định").
    """

    survey: Survey
    link: SurveyLink | None
    count: int

    @property
    def minimum(self) -> int:
        return self.survey.min_sample

    @property
    def minimum_default(self) -> bool:
        return getattr(self.survey, "min_sample_origin", "default") == "default"

    @property
    def needed(self) -> int:
        return max(0, self.survey.min_sample - self.count)


def dashboard_surveys(session: Session, campaigns: list[Campaign], unit_id: int) -> dict[int, list[DashboardSurvey]]:
    """{campaign id: [DashboardSurvey]} for the campaigns whose set has surveys, in two queries (links, counts).

    Links are not created here (a GET changes nothing): the “Tạo đường dẫn” button (POST) or the poster makes one.
    """
    with_surveys = [c for c in campaigns if c.criteria_version.criteria.surveys]
    if not with_surveys:
        return {}
    links = list(session.scalars(sa.select(SurveyLink).where(
        SurveyLink.unit_id == unit_id, SurveyLink.campaign_id.in_([c.id for c in with_surveys]))))
    counts: dict[int, int] = {}
    for year in sorted({c.year for c in with_surveys}):  # one grouped count per campaign year (usually one)
        ids = [x.id for x in links if x.campaign.year == year]
        if not ids:
            continue
        start = dt.datetime(year, 1, 1, tzinfo=LOCAL_TZ)
        end = dt.datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)
        counts.update((link_id, count) for link_id, count in session.execute(
            sa.select(SurveyResponse.link_id, sa.func.count())
            .where(SurveyResponse.link_id.in_(ids), SurveyResponse.excluded_by_id.is_(None),
                   SurveyResponse.submitted_at >= start, SurveyResponse.submitted_at < end)
            .group_by(SurveyResponse.link_id)))
    out: dict[int, list[DashboardSurvey]] = {}
    for campaign in with_surveys:
        for survey in campaign.criteria_version.criteria.surveys:
            link = next((x for x in links if x.campaign_id == campaign.id and x.survey_code == survey.code), None)
            out.setdefault(campaign.id, []).append(DashboardSurvey(survey, link, counts.get(link.id, 0) if link else 0))
    return out
