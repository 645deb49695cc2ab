"""Pydantic models of the API: query parameters (validated, documented) and response bodies (documented).

Every list response is a page: `items`, `page`, `per_page`, `total`, `pages` and `links` (self/first/last,
prev/next when they exist). Query models forbid unknown parameters, so a misspelt filter is a 400, never ignored.
The OpenAPI description (app.api.openapi) is generated from these classes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from app.params import MAX_ID, MAX_YEAR, MIN_YEAR

#: Largest page size a client may ask for.
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20

SubmissionStatus = Literal["draft", "submitted", "in_review", "returned", "resubmitted", "approved", "rejected", "recognised"]
UnitType = Literal["city", "xa", "phuong", "dac_khu", "department", "school", "youth_branch", "health_facility", "association", "enterprise"]
CertificateStatus = Literal["valid", "revoked", "superseded"]

def _utc(value: Any) -> Any:
    """A naive datetime (SQLite gives them back) is UTC: say so, so every time carries its offset (RFC 3339)."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


#: A moment in time, always with its UTC offset in the JSON.
Moment = Annotated[dt.datetime, BeforeValidator(_utc)]

_CODE = r"^[A-Za-z0-9_.\-]{1,40}$"


class Query(BaseModel):
    """Base of every query model: unknown parameters are refused; text has no control characters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_controls(cls, value: Any) -> Any:
        from app.text import has_control

        if isinstance(value, str) and has_control(value):
            raise ValueError("control characters are not allowed")
        return value


class PageQuery(Query):
    """`page` (1-based) and `per_page` (1 … 100, default 20)."""

    page: int = Field(1, ge=1, le=MAX_ID, description="Trang, từ 1. / Page number, from 1.")
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Số mục mỗi trang (1–100). / Items per page (1–100).")


class YearFilter(BaseModel):
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR, description="Năm đánh giá. / Assessment year.")


class UnitQuery(PageQuery):
    unit_type: UnitType | None = None
    q: str | None = Field(None, max_length=100, description="Một phần tên hoặc mã. / Part of the name or code.")


class CriteriaSetQuery(PageQuery):
    pass


class CampaignQuery(PageQuery, YearFilter):
    set_code: str | None = Field(None, pattern=_CODE)


class SubmissionQuery(PageQuery, YearFilter):
    set_code: str | None = Field(None, pattern=_CODE)
    campaign_id: int | None = Field(None, ge=0, le=MAX_ID)
    unit_id: int | None = Field(None, ge=0, le=MAX_ID)
    status: SubmissionStatus | None = None


class CertificateQuery(PageQuery, YearFilter):
    set_code: str | None = Field(None, pattern=_CODE)
    unit_id: int | None = Field(None, ge=0, le=MAX_ID)
    status: CertificateStatus | None = None


class PlanQuery(PageQuery, YearFilter):
    set_code: str | None = Field(None, pattern=_CODE, description="Bỏ trống: mọi bộ được xem. / Empty: every set you may read.")


class RankingQuery(PageQuery, YearFilter):
    set_code: str = Field(..., pattern=_CODE)
    unit_type: UnitType | None = None
    sort: Literal["score_desc", "score_asc", "name"] = "score_desc"


class HeatmapQuery(PageQuery, YearFilter):
    set_code: str = Field(..., pattern=_CODE)
    unit_type: UnitType | None = None


class EmptyQuery(Query):
    pass


# ------------------------------------------------------------------ responses


class Links(BaseModel):
    self: str
    first: str
    last: str
    prev: str | None = None
    next: str | None = None


class Page(BaseModel):
    page: int
    per_page: int
    total: int = Field(description="Số mục khớp bộ lọc. / Items matching the filter.")
    pages: int
    links: Links


class Problem(BaseModel):
    """RFC 9457 problem details (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    invalid_params: list[dict[str, str]] | None = Field(None, alias="invalid-params")

    model_config = ConfigDict(populate_by_name=True)


class UnitRef(BaseModel):
    id: int
    code: str
    name: str


class Unit(UnitRef):
    unit_type: str
    parent_id: int | None
    is_sample: bool


class UnitPage(Page):
    items: list[Unit]


class VersionSummary(BaseModel):
    id: int
    code: str
    version: int
    revision: int
    label: str
    status: str
    name_vi: str
    name_en: str
    effective_from: dt.date


class CriteriaSet(BaseModel):
    code: str
    name_vi: str
    name_en: str
    versions: list[VersionSummary]


class CriteriaSetPage(Page):
    items: list[CriteriaSet]


class Indicator(BaseModel):
    code: str
    group_code: str
    text: str
    text_en: str
    type: str
    points: float
    core: bool
    condition: bool
    allow_na: bool
    evidence: dict[str, Any]
    threshold: dict[str, Any] | None
    bands: list[dict[str, Any]]
    options: list[dict[str, Any]]


class Group(BaseModel):
    code: str
    title_vi: str
    title_en: str
    weight: float | None
    indicator_codes: list[str]


class Target(BaseModel):
    code: str
    text_vi: str
    text_en: str
    metric: str
    value: float
    year: int
    scope: list[str]
    source: str


class CriteriaVersion(VersionSummary):
    scoring: dict[str, Any]
    groups: list[Group]
    indicators: list[Indicator]
    targets: list[Target]


class Campaign(BaseModel):
    id: int
    name: str
    set_code: str
    criteria_version_id: int
    year: int
    opens_on: dt.date
    closes_on: dt.date
    effective_close: dt.date
    scope_unit_types: list[str]
    unit_ids: list[int] = Field(description="Đơn vị chọn riêng (ngoài các loại đơn vị). / Units listed one by one.")


class CampaignPage(Page):
    items: list[Campaign]


class Submission(BaseModel):
    id: int
    campaign_id: int
    set_code: str
    year: int
    unit: UnitRef
    status: SubmissionStatus
    round: int
    submitted_at: Moment | None
    updated_at: Moment
    self_score: float | None = Field(description="Phần trăm tự chấm. / Self-assessed percent.")
    self_passed: bool | None
    final_score: float | None = Field(description="Phần trăm sau thẩm định. / Appraised percent.")
    final_passed: bool | None
    decided_at: Moment | None


class SubmissionPage(Page):
    items: list[Submission]


class GroupScore(BaseModel):
    group_code: str
    earned: float
    max_points: float
    percent: float
    passed: bool


class IndicatorScore(BaseModel):
    indicator_code: str
    group_code: str
    self_met: bool
    final_met: bool
    appraised: bool
    max_points: float
    self_points: float
    final_points: float
    self_na: bool
    final_na: bool
    condition: bool


class SubmissionDetail(Submission):
    groups: list[GroupScore]
    indicators: list[IndicatorScore]


class Decision(BaseModel):
    number: str
    decided_on: dt.date
    issuing_body: str


class Certificate(BaseModel):
    id: int
    number: str
    set_code: str
    year: int
    unit: UnitRef
    status: CertificateStatus
    issued_at: Moment
    decision: Decision
    verify_url: str | None = Field(description="Trang xác minh công khai. / Public verification page.")


class CertificatePage(Page):
    items: list[Certificate]


class PlanRow(BaseModel):
    set_code: str
    set_name: str
    target_code: str
    target_text: str
    metric: str
    target_value: float
    target_year: int
    in_scope: int
    recognised: int
    actual: float | None
    expected: float
    status: str
    source: str


class PlanPage(Page):
    items: list[PlanRow]


class RankRow(BaseModel):
    rank: int
    unit_id: int
    unit_name: str
    unit_type: str
    status: str
    score: float | None
    appraised: bool
    self_score: float | None
    passed: bool | None


class RankingPage(Page):
    items: list[RankRow]


class HeatCell(BaseModel):
    group_code: str
    state: str = Field(description="pass, partial, fail, none (chưa có dữ liệu), na (không áp dụng)")
    percent: float | None


class HeatRow(BaseModel):
    unit_name: str
    unit_type: str
    cells: list[HeatCell]


class HeatmapPage(Page):
    groups: list[dict[str, str]]
    items: list[HeatRow]
