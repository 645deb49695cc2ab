"""Citizen survey statistics (“Nhân dân trực tiếp đánh giá”): shares satisfied, intervals, bursts.

Pure: no Flask, no database. Responses come in as `Response(at, answers, network)` tuples; the
survey definition is `app.assessment.criteria.Survey` (schema `surveys[]`).

Terms follow survey statistics: *n* is the number of responses that answered a question; the
*share satisfied* is satisfied / n in percent; the *interval* is the 95 % Wilson score interval
(statsmodels' `proportion_confint(method="wilson")`), and the *margin of error* printed as
“± x %” is half its width, in percentage points. The Wilson interval behaves at shares near 0 or
100 % and at small n, where the textbook normal interval does not.

Seed: 003_b6a79b466e997885.txt:1702-1704 (“Mở rộng mô hình Nhân dân trực tiếp đánh giá sự hài
lòng …”). Which answers count as satisfied and the minimum sample are the set's configurable
defaults (`satisfied`, `min_sample`), never the programme's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .criteria import Survey, SurveyQuestion

#: Confidence level of every interval (95 %).
CONFIDENCE = 0.95
#: A burst: at least this many responses from one network within `BURST_WINDOW` (configurable default).
BURST_MIN_RESPONSES = 8
BURST_WINDOW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Response:
    """One accepted response: when (aware UTC datetime), the answers by question code, and an opaque network key.

    `answers` maps a `scale5` question to 1–5, a `yes_no` question to True/False; unanswered
    questions are absent. `network` is a keyed hash of the sender's network (never an address),
    or None once it has been dropped.
    """

    at: dt.datetime
    answers: dict[str, Any]
    network: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Share:
    """Share satisfied on one question: `satisfied` of `n`, `percent` (0–100), 95 % Wilson `low`/`high` (percent).

    `margin` is half the interval's width in percentage points (the “± x %” shown beside the value).
    With n = 0 every number is None.
    """

    n: int
    satisfied: int
    percent: float | None
    low: float | None
    high: float | None

    @property
    def margin(self) -> float | None:
        """Half the 95 % interval's width, in percentage points (None when n = 0)."""
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2


def wilson(satisfied: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of satisfied / n, in percent (low, high); raises ValueError when n < 1 or satisfied ∉ [0, n].

    Computed by statsmodels' `proportion_confint(count, nobs, alpha, method="wilson")`.
    """
    if n < 1 or not 0 <= satisfied <= n:
        raise ValueError(f"need 0 ≤ satisfied ≤ n and n ≥ 1 (got {satisfied}/{n})")
    from statsmodels.stats.proportion import proportion_confint  # imported on first use: scipy is slow to load

    low, high = proportion_confint(satisfied, n, alpha=1 - confidence, method="wilson")
    percent = satisfied * 100 / n
    # floating point leaves 99,999…% for satisfied = n; the interval always holds the observed share
    return max(0.0, min(float(low) * 100, percent)), min(100.0, max(float(high) * 100, percent))


def share(satisfied: int, n: int) -> Share:
    """The `Share` of satisfied / n with its 95 % Wilson interval (all None when n = 0)."""
    if n == 0:
        return Share(0, 0, None, None, None)
    low, high = wilson(satisfied, n)
    return Share(n, satisfied, satisfied * 100 / n, low, high)


@dataclass(frozen=True)
class QuestionResult:
    """One counted question: its `Share` and the distribution of answers (answer → count, in scale order)."""

    question: SurveyQuestion
    share: Share
    distribution: dict[Any, int]


@dataclass(frozen=True)
class SurveySummary:
    """A survey's results over a set of responses.

    `overall` is the share satisfied on the survey's `overall` question (the indicator's value);
    `questions` the counted questions in order; `by_month` maps "YYYY-MM" (Asia/Ho_Chi_Minh) to the
    overall share in that month; `responses` counts every response, answered or not.
    """

    survey: Survey
    responses: int
    overall: Share
    questions: tuple[QuestionResult, ...]
    by_month: dict[str, Share] = field(default_factory=dict)


def _counts(survey: Survey, question: SurveyQuestion, responses: list[Response]) -> tuple[int, int, dict[Any, int]]:
    answers = [r.answers.get(question.code) for r in responses]
    answered = [a for a in answers if a is not None]
    satisfied = sum(1 for a in answered if survey.is_satisfied(question, a))
    keys: list[Any] = [1, 2, 3, 4, 5] if question.type == "scale5" else [True, False]
    counted = Counter(answered)
    return len(answered), satisfied, {k: counted.get(k, 0) for k in keys}


def summarise(survey: Survey, responses: list[Response], tz: dt.tzinfo | None = None) -> SurveySummary:
    """Shares satisfied per counted question and overall, with intervals, and the overall share by month.

    `tz` chooses the calendar of the months (pass Asia/Ho_Chi_Minh); None keeps the datetimes' own.
    Raises KeyError if the survey's `overall` question is missing (the schema forbids it).
    """
    results = []
    for question in survey.questions:
        if not question.counted:
            continue
        n, satisfied, distribution = _counts(survey, question, responses)
        results.append(QuestionResult(question, share(satisfied, n), distribution))
    overall_q = survey.question(survey.overall)
    if overall_q is None:
        raise KeyError(survey.overall)
    n, satisfied, _ = _counts(survey, overall_q, responses)
    months: dict[str, list[Response]] = defaultdict(list)
    for r in responses:
        at = r.at.astimezone(tz) if tz is not None else r.at
        months[f"{at.year:04d}-{at.month:02d}"].append(r)
    by_month = {}
    for month in sorted(months):
        mn, ms, _ = _counts(survey, overall_q, months[month])
        by_month[month] = share(ms, mn)
    return SurveySummary(survey, len(responses), share(satisfied, n), tuple(results), by_month)


@dataclass(frozen=True)
class IndicatorFill:
    """What the survey gives the indicator it feeds.

    `ready` once `n` ≥ `min_sample`: then `value` is the share satisfied in percent, rounded half-up to
    one decimal (what the questionnaire stores), and `margin` the 95 % margin of error in percentage
    points. Below the minimum, `needed` responses are still missing and `value` is None.
    """

    n: int
    min_sample: int
    value: Decimal | None
    margin: float | None
    low: float | None
    high: float | None

    @property
    def ready(self) -> bool:
        """True when the survey has its minimum sample."""
        return self.n >= self.min_sample

    @property
    def needed(self) -> int:
        """Responses still needed before the survey fills the indicator (0 when ready)."""
        return max(0, self.min_sample - self.n)


def indicator_fill(summary: SurveySummary) -> IndicatorFill:
    """The indicator value of a survey summary: the overall share once n reaches the survey's `min_sample`."""
    overall = summary.overall
    minimum = summary.survey.min_sample
    if overall.n < minimum or overall.percent is None:
        return IndicatorFill(overall.n, minimum, None, None, None, None)
    value = Decimal(str(overall.percent)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return IndicatorFill(overall.n, minimum, value, overall.margin, overall.low, overall.high)


@dataclass(frozen=True)
class Burst:
    """Many responses from one network within minutes: `network` key, first and last time, the response ids."""

    network: str
    start: dt.datetime
    end: dt.datetime
    ids: tuple[int, ...]

    @property
    def count(self) -> int:
        """How many responses the burst holds."""
        return len(self.ids)


def find_bursts(responses: list[Response], min_responses: int = BURST_MIN_RESPONSES,
                window: dt.timedelta = BURST_WINDOW) -> list[Burst]:
    """Flag bursts: per network, chains of responses each at most `window` after the previous one.

    A chain is a burst when some `window`-long stretch of it holds ≥ `min_responses` responses; the
    whole chain is returned so a reviewer can exclude it at once. Responses without a network key
    (dropped after 30 days) are never flagged. The defaults (8 within 10 minutes) are the project's.
    Returns bursts oldest first.
    """
    by_net: dict[str, list[Response]] = defaultdict(list)
    for r in responses:
        if r.network:
            by_net[r.network].append(r)
    bursts: list[Burst] = []
    for network, items in by_net.items():
        items.sort(key=lambda r: r.at)
        chains: list[list[Response]] = [[items[0]]]
        for prev, cur in zip(items, items[1:], strict=False):
            if cur.at - prev.at <= window:
                chains[-1].append(cur)
            else:
                chains.append([cur])
        for chain in chains:
            if _densest(chain, window) >= min_responses:
                bursts.append(Burst(network, chain[0].at, chain[-1].at, tuple(r.id for r in chain if r.id is not None)))
    return sorted(bursts, key=lambda b: b.start)


def _densest(chain: list[Response], window: dt.timedelta) -> int:
    """The most responses of `chain` (sorted by time) inside any stretch of length `window`."""
    best, left = 0, 0
    for right, r in enumerate(chain):
        while r.at - chain[left].at > window:
            left += 1
        best = max(best, right - left + 1)
    return best
