"""The demo campaigns' closing date, and the README sentence that describes it."""

from __future__ import annotations

import datetime as dt
import re

from app.config import PROJECT_ROOT
from app.demo import DEMO_MIN_OPEN_DAYS, DEMO_YEAR, demo_closes_on


def test_demo_campaigns_close_at_year_end_or_90_days_after_seeding():
    assert DEMO_YEAR == 2026 and DEMO_MIN_OPEN_DAYS == 90
    assert demo_closes_on(dt.date(2026, 3, 1)) == dt.date(2026, 12, 31)
    assert demo_closes_on(dt.date(2026, 10, 2)) == dt.date(2026, 12, 31)  # 02/10 + 90 days = 31/12
    assert demo_closes_on(dt.date(2026, 10, 3)) == dt.date(2027, 1, 1)
    assert demo_closes_on(dt.date(2026, 11, 29)) == dt.date(2027, 2, 27)


def test_readme_says_what_the_demo_does():
    readme = " ".join((PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split())
    sentence = re.search(r"Demo campaigns: [^.]*\.", readme).group(0)
    last_fixed_day = dt.date(DEMO_YEAR, 12, 31) - dt.timedelta(days=DEMO_MIN_OPEN_DAYS)
    assert f"until 31/12/{DEMO_YEAR}" in sentence and f"later than {last_fixed_day:%d/%m/%Y}" in sentence
    assert f"until {DEMO_MIN_OPEN_DAYS} days after the day it is created" in sentence
