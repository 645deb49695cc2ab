"""A unit's survey results (/surveys/<link_id>), burst exclusion, and the city-wide survey report with downloads."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.clock import LOCAL_TZ
from app.extensions import db
from app.surveys import services
from app.surveys.models import SurveyExclusion, SurveyResponse

XSS = "<script>alert(1)</script>"
BURST_START = dt.datetime(2026, 6, 1, 9, 2, tzinfo=LOCAL_TZ)


def _answers(q5: int) -> dict:
    return {"Q1": 4, "Q2": "yes", "Q3": 3, "Q4": 5, "Q5": q5}


@pytest.fixture
def survey(app, world):
    """Unit A: 40 spread responses (30 satisfied, May and June 2026, each from its own network) and a burst of 9
    (all "5") from one network on 01/06/2026 09:02–09:08; unit B: 3 responses (below the minimum of 30)."""
    link = services.ensure_link(db.session, world["campaign"], world["unit_a"], "HAILONG_DV")
    link_b = services.ensure_link(db.session, world["campaign"], world["unit_b"], "HAILONG_DV")
    for i in range(40):
        at = dt.datetime(2026, 5 + i % 2, 3 + i // 2, 10, 0, tzinfo=LOCAL_TZ)
        comment = XSS if i == 39 else ("Cán bộ nhiệt tình" if i == 1 else "")
        services.record_response(db.session, link, _answers(2 if i % 4 == 0 else 5), comment, f"10.{i}.0.1", at)
    for k, minutes in enumerate((0, 1, 2, 3, 3, 4, 5, 5, 6)):
        services.record_response(db.session, link, _answers(5), "", "203.0.113.9", BURST_START + dt.timedelta(minutes=minutes, seconds=k))
    for i in range(3):
        services.record_response(db.session, link_b, _answers(4), "", f"10.200.{i}.1", dt.datetime(2026, 5, 10 + i, 8, tzinfo=LOCAL_TZ))
    db.session.commit()
    return {"link": link, "link_b": link_b}


def _page(client, user: str, link_id: int):
    client.login(user)
    return client.get(f"/surveys/{link_id}")


def test_share_text_is_written_the_vietnamese_way(app):
    from app.assessment.surveys import share
    from app.surveys.results import burst_text, month_label, share_text

    with app.test_request_context():
        assert share_text(share(120, 137)) == "87,6 % (n = 137; khoảng tin cậy 95 %: 81,0–92,1 %; ± 6 %)"
        assert share_text(share(0, 0)) == "chưa có phản hồi (n = 0)"
        assert month_label("2026-05") == "tháng 5/2026"
        assert burst_text(9, BURST_START, BURST_START + dt.timedelta(minutes=6)) == \
            "9 phản hồi trong 6 phút từ cùng một mạng, 09:02–09:08 ngày 01/06/2026"


def test_the_units_official_sees_results_comments_escaped_and_no_bursts(app, client, survey):
    from app.config import public_base_url

    link = survey["link"]
    response = _page(client, "canbo.a", link.id)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Phường Hồng Bàng" in html and "2026" in html
    assert f'>{public_base_url(app.config, "http://localhost/")}/khao-sat/{link.code}</a>' in html  # the public link, full URL
    assert "(n = 49; khoảng tin cậy 95 %:" in html and "79,6 %" in html  # 39 of 49 satisfied
    assert "Đã đủ mẫu" in html and "chỉ tiêu G2.5 nhận giá trị 79,6 %" in html
    assert html.count(">mặc định<") >= 2  # the minimum sample and the satisfied answers are defaults
    assert "tháng 5/2026" in html and "tháng 6/2026" in html
    assert html.count("<svg") >= 4 and "5 – Rất hài lòng" in html  # a distribution chart per counted question
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.index("&lt;script&gt;") < html.index("Cán bộ nhiệt tình")  # newest comment first
    assert "Nhóm phản hồi bất thường" not in html and "9 phản hồi trong" not in html


def test_a_viewer_reads_results_but_not_comments(client, survey):
    html = _page(client, "xem", survey["link"].id).get_data(as_text=True)
    assert "(n = 49;" in html
    assert "Góp ý của người dân" not in html and "Cán bộ nhiệt tình" not in html and "alert(1)" not in html
    assert "9 phản hồi trong" not in html


def test_below_the_minimum_the_page_says_how_many_more_are_needed(client, survey):
    html = _page(client, "canbo.b", survey["link_b"].id).get_data(as_text=True)
    assert "Chưa đủ mẫu" in html and "còn thiếu 27 phản hồi nữa" in html


@pytest.mark.parametrize("user", ["canbo.b", "thamdinh.th"])
def test_others_may_not_read_a_units_results(client, survey, user):
    assert _page(client, user, survey["link"].id).status_code == 403


def test_a_reviewer_excludes_a_flagged_burst_with_a_reason(client, survey):
    link = survey["link"]
    html = _page(client, "thamdinh.cqtt", link.id).get_data(as_text=True)
    assert "9 phản hồi trong 6 phút từ cùng một mạng, 09:02–09:08 ngày 01/06/2026" in html
    burst = services.bursts_of(db.session, link)[0]
    response = client.post_form(f"/surveys/{link.id}/exclude", {"network": burst.network, "start": burst.start.isoformat(),
                                                                 "reason": "Một người gửi liên tục từ quán cà phê"},
                                token_from=f"/surveys/{link.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/surveys/{link.id}")
    page = client.get(f"/surveys/{link.id}").get_data(as_text=True)
    assert "(n = 40;" in page and "75,0 %" in page  # 30 of 40
    assert "Đã loại 9 phản hồi" in page
    assert "Phản hồi đã loại" in page and "Một người gửi liên tục từ quán cà phê" in page
    assert "9 phản hồi trong 6 phút" in page and "Không có nhóm phản hồi bất thường nào." in page
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "survey.exclude"))
    assert entry is not None and entry.detail["count"] == 9
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse).where(SurveyResponse.excluded_by_id.is_not(None))) == 9


def test_exclusion_without_a_reason_is_refused_and_excludes_nothing(client, survey):
    link = survey["link"]
    client.login("thamdinh.cqtt")
    burst = services.bursts_of(db.session, link)[0]
    response = client.post_form(f"/surveys/{link.id}/exclude", {"network": burst.network, "start": burst.start.isoformat(), "reason": "  "},
                                token_from=f"/surveys/{link.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Hãy ghi lý do loại các phản hồi này." in html and "(n = 49;" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyExclusion)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "survey.exclude")) == 0


def test_a_burst_that_is_gone_keeps_the_reason_typed(client, survey):
    link = survey["link"]
    client.login("quantri")
    response = client.post_form(f"/surveys/{link.id}/exclude", {"network": "abc", "start": "2026-06-01T02:02:00+00:00",
                                                                 "reason": "Lý do đã gõ"}, token_from=f"/surveys/{link.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Không còn nhóm phản hồi bất thường này" in html and "Lý do đã gõ" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyExclusion)) == 0


def test_an_official_may_not_exclude(client, survey):
    link = survey["link"]
    client.login("canbo.a")
    burst = services.bursts_of(db.session, link)[0]
    response = client.post_form(f"/surveys/{link.id}/exclude", {"network": burst.network, "start": burst.start.isoformat(),
                                                                 "reason": "x"}, token_from=f"/surveys/{link.id}")
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyExclusion)) == 0


def test_the_report_ranks_units_with_intervals_and_lists_short_ones_apart(client, survey, world):
    client.login("xem")
    response = client.get(f"/surveys/report?campaign_id={world['campaign'].id}&survey=HAILONG_DV")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1. P. Hồng Bàng — 79,6 % (n = 49)" in html  # the ranking chart
    assert "Chưa đủ mẫu" in html and "Phường Lê Chân" in html
    start = html.index("Đơn vị chưa đủ mẫu")
    short = html[start:html.index("</table>", start)]
    assert "Phường Lê Chân" in short and "Phường Hồng Bàng" not in short
    assert 'class="heatgrid svheat"' in html and "tháng 5/2026" in html  # units × months
    assert "Tỷ lệ hài lòng toàn thành phố theo tháng" in html  # the trend line
    assert "(n = 52;" in html  # city-wide: 49 + 3
    assert XSS not in html and "alert(1)" not in html


@pytest.mark.parametrize("user", ["canbo.a", "thamdinh.th"])
def test_officials_and_reviewers_of_other_sets_may_not_read_the_report(client, survey, world, user):
    client.login(user)
    assert client.get(f"/surveys/report?campaign_id={world['campaign'].id}").status_code == 403


def test_downloads_hold_aggregates_only(client, survey, world):
    client.login("thamdinh.cqtt")
    query = f"campaign_id={world['campaign'].id}&survey=HAILONG_DV"
    csv = client.get(f"/surveys/report.csv?{query}")
    xlsx = client.get(f"/surveys/report.xlsx?{query}")
    assert csv.status_code == 200 and csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert xlsx.status_code == 200 and xlsx.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    text = csv.get_data().decode("utf-8-sig")
    assert "Phường Hồng Bàng,phuong,2026,49,39,79.6," in text  # decimal point, machine-readable
    assert "Phường Hồng Bàng,phuong,2026-06," in text and "Toàn thành phố,,2026,52,42," in text
    with zipfile.ZipFile(io.BytesIO(xlsx.get_data())) as book:
        sheets = "".join(book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml"))
    assert "Phường Lê Chân" in sheets
    hashes = set(db.session.scalars(sa.select(SurveyResponse.network_hash).where(SurveyResponse.network_hash.is_not(None))))
    assert len(hashes) > 10  # hashes to look for (keys past 30 days were dropped as the backdated responses came in)
    for content in (text, sheets):
        assert "alert(1)" not in content and "<script" not in content and "&lt;script" not in content and "Cán bộ nhiệt tình" not in content
        assert not any(h in content or h[:16] in content for h in hashes)


def test_the_report_reads_responses_in_one_query_whatever_the_number_of_units(app, survey, world, make_unit):
    from sqlalchemy import event

    from app.surveys.results import survey_report

    def count_queries() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            db.session.expire_all()
            survey_report(db.session, world["admin"], world["campaign"], "HAILONG_DV")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    before = count_queries()
    for n in range(4):
        unit = make_unit(f"Phường Thêm {n}", "phuong", f"9990{n}")
        link = services.ensure_link(db.session, world["campaign"], unit, "HAILONG_DV")
        services.record_response(db.session, link, _answers(5), "", f"10.250.{n}.1", dt.datetime(2026, 5, 20, 9, tzinfo=LOCAL_TZ))
    db.session.commit()
    assert count_queries() == before
