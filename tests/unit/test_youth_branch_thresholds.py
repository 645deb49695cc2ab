"""The youth-branch set's numeric thresholds evaluate exactly as written in the programme."""

from __future__ import annotations

import pytest

from app.assessment.criteria import load_file
from app.assessment.scoring import AnswerInput, evaluate_indicator
from app.config import PROJECT_ROOT

CDXHCN, _ = load_file(PROJECT_ROOT / "criteria" / "cdxhcn-v1.yaml")


def by_quote(fragment: str):
    matches = [i for i in CDXHCN.indicators if i.source and fragment in i.source.quote]
    assert len(matches) == 1, fragment
    return matches[0]


def met(ind, value) -> bool:
    return evaluate_indicator(ind, AnswerInput(value, 1, "")).met


@pytest.mark.parametrize(
    ("fragment", "below", "at"),
    [
        ("tối thiểu 70% đoàn viên", 69.9, 70),
        ("tối thiểu 60% đoàn viên", 59.9, 60),
        ("ít nhất 80% Đoàn viên", 79.9, 80),
        ("Mỗi quý có ít nhất 01 buổi", 0, 1),
        ("ít nhất 01 công trình, phần việc thanh niên", 0, 1),
    ],
)
def test_threshold_boundaries(fragment, below, at):
    ind = by_quote(fragment)
    assert not met(ind, below)
    assert met(ind, at)


def test_periods_and_all_members_rules():
    assert by_quote("Mỗi quý có ít nhất 01 buổi").threshold.period == "quý"
    weekly = by_quote("mỗi tuần thông tin đến đoàn viên")
    assert weekly.threshold.period == "tuần" and weekly.threshold.value == 1
    for fragment in ("100% đoàn viên tham gia sinh hoạt", "100% đoàn viên đăng ký", "100% đoàn viên được cấp sổ"):
        ind = by_quote(fragment)
        assert met(ind, 100) and not met(ind, 99.9)
    assert len(CDXHCN.groups) == 3 and len(CDXHCN.indicators) == 16
    assert all(i.origin == "seed" for i in CDXHCN.indicators)
