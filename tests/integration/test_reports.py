"""Report figures against hand-computed expectations on a small fixture."""

from __future__ import annotations

import datetime as dt

import pytest

from app.errors import PermissionDenied
from app.extensions import db
from app.reports import card, funnel, heatmap, plan, ranking, trend, weakest
from app.reports.common import ReportFilter
from tests.reports_fixture import build

TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def data(app, make_unit, make_user, make_campaign):
    return build(app, make_unit, make_user, make_campaign)


def viewer():
    from app.auth.models import User

    return db.session.query(User).filter_by(username="xem").one()


def test_plan_vs_actual(data):
    rows = plan.plan_vs_actual(db.session, viewer(), ReportFilter("CQTT", 2026), TODAY)
    assert len(rows) == 1
    r = rows[0]
    assert (r.in_scope, r.recognised, r.actual, r.target.value, r.target.year) == (5, 1, 20.0, 100.0, 2027)
    # On 26/11/2026 a straight line from 01/01/2026 to 31/12/2027 expects 329/729 of 100%.
    assert r.expected == round(100 * 329 / 729, 2) and r.status == "behind"
    assert r.target.source.file.startswith("004_") and r.target.source.line == 2257
    assert plan.plan_vs_actual(db.session, viewer(), ReportFilter("CQTT", 2025), TODAY)[0].recognised == 0
    all_sets = plan.plan_vs_actual(db.session, viewer(), ReportFilter(), TODAY)
    assert {x.set_code for x in all_sets} >= {"CQTT", "CSTT", "KMT", "ATCN", "THXHCN"}


def test_funnel_and_timeliness(data):
    f = funnel.funnel(db.session, viewer(), ReportFilter("CQTT", 2026))
    assert f.totals == {"not_started": 1, "draft": 0, "submitted": 1, "returned": 1, "approved": 0, "rejected": 1, "recognised": 1}
    assert f.by_type["xa"]["submitted"] == 1 and f.by_type["phuong"]["not_started"] == 1
    assert f.expected == 5 and f.timeliness == {"on_time": 4, "late": 0, "missing": 1} and f.rate("missing") == 20.0


def test_ranking_marks_unappraised_scores(data):
    rows = ranking.ranking(db.session, viewer(), ReportFilter("CQTT", 2026))
    got = [(r.rank, r.unit_name, float(r.score), r.appraised) for r in rows]
    assert got == [(1, "Phường An", 100.0, True), (1, "Phường Bình", 100.0, False), (1, "Xã Em", 100.0, False),
                   (4, "Phường Cường", 93.75, True)]
    by_name = [r.unit_name for r in ranking.ranking(db.session, viewer(), ReportFilter("CQTT", 2026, "xa"), "name")]
    assert by_name == ["Xã Em"]


def test_weakest_and_gaps(data):
    low, gaps = weakest.weakest(db.session, viewer(), ReportFilter("CQTT", 2026))
    first = low[0]
    # A and E meet G1.1; B (returned) and C (rejected) were appraised not met.
    assert (first.code, first.units, first.passed, first.pass_rate) == ("G1.1", 4, 2, 50.0)
    assert gaps[0].code == "G1.1" and gaps[0].over_rated == 2 and gaps[0].appraised == 2


def test_heatmap_cells(data):
    hm = heatmap.heatmap(db.session, viewer(), ReportFilter("CQTT", 2026))
    cells = {name: [c for c, _p in row] for name, _t, row in hm.rows}
    assert cells["Phường Dũng"] == ["none"] * 4
    assert cells["Phường An"] == ["pass"] * 4
    assert cells["Phường Cường"][0] == "pass"  # 30 of 40 points in G1 ≥ 50 %
    assert hm.counts()["none"] == 4 and len(hm.rows) == 5


def test_trend_two_years(data):
    points = trend.city_trend(db.session, viewer(), "CQTT")
    assert [(p.year, p.submitted, p.recognised) for p in points] == [(2025, 1, 0), (2026, 4, 1)]
    assert float(points[0].average) == 93.75 and points[1].recognised_share == 25.0
    mine = trend.unit_trend(db.session, viewer(), "CQTT", data["units"]["A"].id)
    assert [(p.year, p.status, float(p.final_score)) for p in mine] == [(2025, "approved", 93.75), (2026, "recognised", 100.0)]


def test_card_scoping(data):
    a, b = data["units"]["A"], data["units"]["B"]
    unit, rows = card.unit_card(db.session, data["officials"]["A"], a.id)
    assert unit.id == a.id and [(r.year, r.status, r.decision) for r in rows] == [(2026, "recognised", "01/QĐ"), (2025, "approved", None)]
    with pytest.raises(PermissionDenied):
        card.unit_card(db.session, data["officials"]["A"], b.id)
    with pytest.raises(PermissionDenied):
        plan.plan_vs_actual(db.session, data["officials"]["A"], ReportFilter(), TODAY)


def test_reviewers_see_only_their_sets(data, make_user):
    other = make_user("thamdinh.th", "reviewer", scope=["THXHCN"])
    with pytest.raises(PermissionDenied):
        ranking.ranking(db.session, other, ReportFilter("CQTT", 2026))
    assert {r.set_code for r in plan.plan_vs_actual(db.session, other, ReportFilter(), TODAY)} == {"THXHCN"}


def _statements(fn) -> int:
    """How many SQL statements one call of `fn` sends."""
    import sqlalchemy as sa

    counter = {"n": 0}

    def count(*_args, **_kwargs):
        counter["n"] += 1

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return counter["n"]


def test_report_statement_count_does_not_grow_with_units(data, app, make_unit, make_user):
    """Guard against N+1: measured at two data sizes (5 units, then 11 with 6 more submitted), the number of
    statements each report sends is the same."""
    from tests.reports_fixture import fill_and_submit

    reports = {
        "ranking": lambda: ranking.ranking(db.session, viewer(), ReportFilter("CQTT", 2026)),
        "heatmap": lambda: heatmap.heatmap(db.session, viewer(), ReportFilter("CQTT", 2026)),
        "funnel": lambda: funnel.funnel(db.session, viewer(), ReportFilter("CQTT", 2026)),
        "weakest": lambda: weakest.weakest(db.session, viewer(), ReportFilter("CQTT", 2026)),
        "plan": lambda: plan.plan_vs_actual(db.session, viewer(), ReportFilter("CQTT", 2026), TODAY),
    }
    small = {name: _statements(fn) for name, fn in reports.items()}
    for n in range(6):
        unit = make_unit(f"Phường Thêm {n}", "phuong")
        fill_and_submit(app, make_user(f"canbo.them{n}", "official", unit), data["new"], unit)
    db.session.commit()
    db.session.expire_all()
    large = {name: _statements(fn) for name, fn in reports.items()}
    assert large == small
    assert max(small.values()) <= 8, small


def test_ranking_pages_keep_tied_ranks(data):
    second = ranking.ranking(db.session, viewer(), ReportFilter("CQTT", 2026), page=2, per_page=2)
    assert (second.total, second.page, second.pages) == (4, 2, 2)
    assert [(r.rank, r.unit_name) for r in second] == [(1, "Xã Em"), (4, "Phường Cường")]


def test_ranking_page_past_the_last_shows_the_last_page(data):
    """A page number beyond the last (an old link after units left the scope) shows the last page, ranks intact."""
    last = ranking.ranking(db.session, viewer(), ReportFilter("CQTT", 2026), page=9, per_page=3)
    assert (last.total, last.page, last.pages) == (4, 2, 2)
    assert [(r.rank, r.unit_name) for r in last] == [(4, "Phường Cường")]


def test_filter_lists_follow_a_criteria_change(app, data):
    """The filter lists are cached per content: renaming a set (as a new revision would) shows at the next request."""
    import sqlalchemy as sa

    from app.campaigns.models import CriteriaVersion
    from app.reports.common import filter_lists

    with app.test_request_context():
        before = filter_lists(db.session)
        assert "CQTT" in before.sets and 2026 in before.years
    db.session.execute(sa.update(CriteriaVersion).where(CriteriaVersion.code == "CQTT").values(name_vi="Tên mới của bộ"))
    db.session.commit()
    with app.test_request_context():
        after = filter_lists(db.session)
        assert after.sets["CQTT"][0] == "Tên mới của bộ"
        assert after.choices(["CQTT"], english=False) == [("CQTT", "Tên mới của bộ (CQTT)")]
