"""The display side of conditions, "không áp dụng", graded points and origins, through HTTP.

A small set (DISP) is built so that unit A's raw overall score is 79.9992 % against a pass mark of
80 %: every page that shows the score next to the verdict must show 79,99 %, never 80 %.
It also has a condition (G1.C), a banded indicator (G2.2), indicators that allow "không áp dụng"
(G2.3, G3.1), a proposed indicator with a default threshold (G1.1) and a seed indicator whose
threshold roadmap makes the 2026 value a default (G2.1).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.assessment.criteria import parse_text
from app.campaigns.models import CriteriaVersion
from app.extensions import db
from app.reports import heatmap, ranking, weakest
from app.reports.common import ReportFilter
from app.submissions import services as subs
from app.submissions.models import IndicatorScore, Submission

DISP = """\
code: DISP
name: {vi: "Bộ thử hiển thị", en: "Display test"}
version: 1
effective_from: 2026-01-01
legal_basis: {document: "Đề án", file: seed.txt, line: 1, quote: "Dòng một"}
applies_to: [phuong]
targets: []
scoring:
  method: weighted_percent
  overall_pass_percent: 80
  origin: default
groups:
  - code: G1
    title: {vi: "Nhóm một", en: "Group one"}
    weight: 0.799992
    weight_origin: default
    origin: proposed
    rationale: "Thử."
    indicators:
      - code: G1.1
        text: "Tỷ lệ hồ sơ đúng hạn"
        type: percent
        threshold: {op: ">=", value: 50, unit: "%"}
        threshold_origin: default
        points: 10
        points_origin: default
        evidence: {required: false}
        origin: proposed
        rationale: "Thử."
      - code: G1.C
        text: "Không có vụ việc nghiêm trọng"
        type: percent
        threshold: {op: ">=", value: 1, unit: "%"}
        threshold_origin: default
        condition: true
        evidence: {required: false}
        origin: proposed
        rationale: "Thử."
  - code: G2
    title: {vi: "Nhóm hai", en: "Group two"}
    weight: 0.200008
    weight_origin: default
    origin: proposed
    rationale: "Thử."
    indicators:
      - code: G2.1
        text: "Tỷ lệ văn bản được rà soát"
        type: percent
        threshold:
          op: ">="
          value: 50
          unit: "%"
          by_year:
            2026: {value: 60, origin: default}
        points: 10
        points_origin: default
        evidence: {required: false}
        origin: seed
        source: {file: seed.txt, line: 2, quote: "Dòng hai"}
      - code: G2.2
        text: "Tỷ lệ thủ tục giải quyết đúng hạn"
        type: percent
        bands:
          - {op: ">=", value: 100, points: 2}
          - {op: between, value: [90, 100], points: 1}
        threshold_origin: default
        points: 2
        points_origin: default
        evidence: {required: false}
        origin: proposed
        rationale: "Thử."
      - code: G2.3
        text: "Tỷ lệ vụ việc phát sinh được xử lý"
        type: percent
        allow_na: true
        threshold: {op: ">=", value: 100, unit: "%"}
        threshold_origin: default
        points: 10
        points_origin: default
        evidence: {required: false}
        origin: proposed
        rationale: "Thử."
  - code: G3
    title: {vi: "Nhóm ba", en: "Group three"}
    weight: 1
    weight_origin: default
    origin: proposed
    rationale: "Thử."
    indicators:
      - code: G3.1
        text: "Tỷ lệ kiến nghị được trả lời"
        type: percent
        allow_na: true
        threshold: {op: ">=", value: 100, unit: "%"}
        threshold_origin: default
        points: 10
        points_origin: default
        evidence: {required: false}
        origin: proposed
        rationale: "Thử."
"""

#: Unit A: G1 full, G2 nothing (G2.3 "không áp dụng"), G3 "không áp dụng" → 0.799992 × 100 % = 79.9992 %.
ANSWERS_A = {"G1.1": "100", "G1.C": "5", "G2.1": "0", "G2.2": "0", "G2.3": None, "G3.1": None}
#: Unit B: everything met except G2.3 (answered 0) and the condition → fails on the condition.
ANSWERS_B = {"G1.1": "100", "G1.C": "0", "G2.1": "100", "G2.2": "100", "G2.3": "0", "G3.1": "100"}


def _fill_and_submit(app, official, campaign, unit, answers: dict[str, str | None]) -> Submission:
    cset = campaign.criteria_version.criteria
    for group in cset.groups:
        codes = list(group.indicators)
        subs.save_group(db.session, official, campaign.id, unit.id, group.code,
                        values={i.field_name: answers[i.code] or "" for i in codes},
                        explanations={i.field_name: "Giải trình của đơn vị." for i in codes}, files={},
                        not_applicable={i.field_name: answers[i.code] is None for i in codes},
                        expected_version=None, max_bytes=app.config["MAX_EVIDENCE_BYTES"])
    submission = subs.submit(db.session, official, campaign.id, unit.id, expected_version=None)
    db.session.commit()
    return submission


@pytest.fixture
def disp(app, make_unit, make_user):
    from app.campaigns.services import create_campaign, load_criteria

    cset, errors = parse_text(DISP, "disp-v1.yaml")
    assert errors == [], [str(e) for e in errors]
    load_criteria(db.session, [(Path("disp-v1.yaml"), cset)])
    db.session.commit()
    version = db.session.scalar(sa.select(CriteriaVersion).where(CriteriaVersion.code == "DISP"))
    campaign = create_campaign(db.session, None, name="Hiển thị 2026", criteria_version_id=version.id, year=2026,
                               opens_on=dt.date(2020, 1, 1), closes_on=dt.date(2099, 12, 31), scope_unit_types=["phuong"], system=True)
    db.session.commit()
    a, b = make_unit("Phường Chín Chín", "phuong"), make_unit("Phường Bảy Bảy", "phuong")
    official_a, official_b = make_user("canbo.cc", "official", a), make_user("canbo.bb", "official", b)
    make_user("thamdinh.disp", "reviewer", scope=["DISP"])
    make_user("xem.disp", "viewer")
    sub_a = _fill_and_submit(app, official_a, campaign, a, ANSWERS_A)
    sub_b = _fill_and_submit(app, official_b, campaign, b, ANSWERS_B)
    return {"campaign": campaign, "a": a, "b": b, "sub_a": sub_a, "sub_b": sub_b, "cset": cset}


def _viewer():
    from app.auth.models import User

    return db.session.scalar(sa.select(User).where(User.username == "xem.disp"))


def _box(page: str, field: str) -> str:
    """The HTML of one indicator's fieldset on the review page."""
    start = page.index(f'id="{field}-box"')
    return page[start:page.index("</fieldset>", start)]


# --------------------------------------------------------------------------- 79.9992 % is shown 79,99 %, never 80 %


def test_raw_79_9992_is_stored_as_79_99(disp):
    sub = db.session.get(Submission, disp["sub_a"].id)
    assert sub.self_passed is False and float(sub.self_score) == 79.99
    assert sub.self_result["failures"][0]["rule"] == "overall_percent" and sub.self_result["failures"][0]["actual"] == 79.99


def test_result_page_shows_79_99_next_to_below_the_mark(client, disp):
    client.login("canbo.cc")
    page = client.get(f"/assessments/{disp['campaign'].id}/{disp['a'].id}/result").get_data(as_text=True)
    assert '<p class="big">79,99%' in page
    assert "tổng điểm 79,99% dưới mức đạt 80% (thiếu 0,01 điểm phần trăm)" in page
    assert '<p class="big">80%' not in page
    overview = client.get(f"/assessments/{disp['campaign'].id}/{disp['a'].id}/").get_data(as_text=True)
    assert "bộ tiêu chí đạt khi tổng ≥ 80%" in overview


def test_review_page_shows_79_99_and_the_failure_with_figures(client, disp):
    client.login("thamdinh.disp")
    page = client.get(f"/review/{disp['sub_a'].id}").get_data(as_text=True)
    assert "<strong>79,99%</strong>" in page and "<strong>80%</strong>" not in page
    assert "Chưa đạt vì: tổng điểm 79,99% dưới mức đạt 80% (thiếu 0,01 điểm phần trăm)." in page


def test_ranking_report_shows_79_99_with_its_verdict(client, disp):
    rows = ranking.ranking(db.session, _viewer(), ReportFilter("DISP", 2026))
    row_a = next(r for r in rows if r.unit_name == "Phường Chín Chín")
    assert float(row_a.score) == 79.99 and row_a.passed is False
    client.login("xem.disp")
    page = client.get("/reports/ranking?set_code=DISP&year=2026").get_data(as_text=True)
    cells = re.search(r"Phường Chín Chín</a></td>(.*?)</tr>", page, re.S).group(1)
    assert "79,99%" in cells and "Chưa đạt" in cells and "80%" not in cells
    csv = client.get("/reports/ranking.csv?set_code=DISP&year=2026").get_data().decode("utf-8-sig")
    line = next(x for x in csv.splitlines() if "Phường Chín Chín" in x)
    assert ",79.99,Chưa đạt," in line


def test_unit_card_shows_79_99_with_its_verdict(client, disp):
    client.login("xem.disp")
    card = client.get(f"/reports/units/{disp['a'].id}").get_data(as_text=True)
    assert "79,99%" in card and "✗ Chưa đạt" in card and ">80%" not in card


# --------------------------------------------------------------------------- review page: conditions, N/A, bands, default badge


def test_review_page_shows_conditions_apart_na_bands_and_default_badges(client, disp):
    cset = disp["cset"]
    client.login("thamdinh.disp")
    page = client.get(f"/review/{disp['sub_b'].id}").get_data(as_text=True)
    # the condition is listed apart from the score, and it is why B fails
    conditions = page[page.index('id="conditions"'):page.index("</section>", page.index('id="conditions"'))]
    assert "G1.C" in conditions and "Chưa đạt" in conditions and "G1.1" not in conditions
    assert "điều kiện bắt buộc G1.C chưa đạt" in page
    assert "điều kiện bắt buộc, không tính điểm" in _box(page, cset.indicator("G1.C").field_name)
    # banded points: the bands and the points earned
    g22 = _box(page, cset.indicator("G2.2").field_name)
    assert "≥ 100: 2 đ; 90–100: 1 đ" in g22
    assert "2/2" in g22 and "chấm điểm theo mức" in g22
    # "mặc định" on a default threshold, year-resolved: G2.1's 2026 roadmap value is a default, G1.1's base is one
    assert "≥ 60%" in _box(page, cset.indicator("G2.1").field_name)
    assert "mặc định" in _box(page, cset.indicator("G2.1").field_name).split("Điểm tối đa")[0]
    assert "mặc định" in _box(page, cset.indicator("G1.1").field_name).split("Điểm tối đa")[0]
    # "không áp dụng" is shown as such on A's page, never as a value
    page_a = client.get(f"/review/{disp['sub_a'].id}").get_data(as_text=True)
    g23 = _box(page_a, cset.indicator("G2.3").field_name)
    assert "Không áp dụng" in g23 and "không tính vào tổng điểm" in g23 and "“Đồng ý” là chấp nhận" in g23
    assert "Trả lời: <strong>—" not in g23
    assert "G3" in page_a and "không tính điểm" in page_a


def test_seed_threshold_has_no_default_badge_before_its_roadmap_year(disp):
    """The badge follows the campaign year: G2.1's base threshold (before 2026) is the seed's."""
    g21 = disp["cset"].indicator("G2.1")
    assert g21.threshold_origin_for(2025) == "seed" and g21.threshold_origin_for(2026) == "default"


# --------------------------------------------------------------------------- appraisal: bands checked, N/A accepted or refused


def _review_post(client, sid: int, data: dict):
    page = client.get(f"/review/{sid}").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    return client.post_form(f"/review/{sid}", {"version": version, "action": "save", **data}, token_from=f"/review/{sid}")


def test_appraised_points_off_the_bands_get_a_vietnamese_message(client, disp):
    field = disp["cset"].indicator("G2.2").field_name
    client.login("thamdinh.disp")
    off_band = _review_post(client, disp["sub_a"].id, {field + "_points": "1,5"})
    assert off_band.status_code == 422
    assert "Điểm thẩm định phải là một mức của thang điểm: 0; 1; 2." in off_band.get_data(as_text=True)
    wrong_for_value = _review_post(client, disp["sub_a"].id, {field: "95", field + "_points": "2"})
    assert wrong_for_value.status_code == 422
    assert "điểm phải là 1" in wrong_for_value.get_data(as_text=True)
    right = _review_post(client, disp["sub_a"].id, {field: "95", field + "_points": "1"})
    assert right.status_code == 302
    page = client.get(f"/review/{disp['sub_a'].id}").get_data(as_text=True)
    assert "1/2" in _box(page, field)


def test_reviewer_accepts_or_refuses_not_applicable(client, disp):
    cset, sid = disp["cset"], disp["sub_a"].id
    field = cset.indicator("G2.3").field_name
    row = lambda: db.session.scalar(sa.select(IndicatorScore).where(IndicatorScore.submission_id == sid,  # noqa: E731
                                                                    IndicatorScore.indicator_code == "G2.3"))
    assert (row().self_na, row().final_na, float(row().max_points)) == (True, True, 0.0)
    client.login("thamdinh.disp")
    # a comment alone accepts "không áp dụng"
    assert _review_post(client, sid, {field + "_comment": "Đồng ý không phát sinh."}).status_code == 302
    db.session.expire_all()
    assert row().final_na is True
    # "Chưa đạt" refuses it: the indicator counts in the maximum again, with 0 points
    assert _review_post(client, sid, {field + "_met": "not_met", field + "_comment": "Có phát sinh."}).status_code == 302
    db.session.expire_all()
    assert (row().self_na, row().final_na, row().final_met) == (True, False, False)
    page = client.get(f"/review/{sid}").get_data(as_text=True)
    assert "0/10" in _box(page, field).split('class="rv-final"')[1]  # the saved appraisal, apart from the self result


# --------------------------------------------------------------------------- reports: N/A out of pass rates, conditions apart, origins


def test_indicator_scores_carry_na_and_condition_flags(disp):
    rows = {r.indicator_code: r for r in db.session.scalars(sa.select(IndicatorScore).where(
        IndicatorScore.submission_id == disp["sub_a"].id))}
    assert rows["G2.3"].self_na and rows["G2.3"].final_na and rows["G3.1"].final_na
    assert rows["G1.C"].condition and not rows["G1.1"].condition and not rows["G2.1"].final_na


def test_weakest_leaves_na_out_of_pass_rates_and_lists_conditions_apart(disp):
    low, gaps = report = weakest.weakest(db.session, _viewer(), ReportFilter("DISP", 2026))
    by_code = {r.code: r for r in low}
    # G2.3: A answered "không áp dụng", B answered 0 → 0 of 1 applicable unit, not 1 of 2
    assert (by_code["G2.3"].units, by_code["G2.3"].na, by_code["G2.3"].passed, by_code["G2.3"].pass_rate) == (2, 1, 0, 0.0)
    # G3.1: A "không áp dụng", B met → 100 % of the one unit it applies to
    assert (by_code["G3.1"].na, by_code["G3.1"].pass_rate) == (1, 100.0)
    assert "G1.C" not in by_code and [(r.code, r.pass_rate) for r in report.conditions] == [("G1.C", 50.0)]
    assert by_code["G1.1"].origin == "proposed" and by_code["G1.1"].threshold_origin == "default"
    assert by_code["G2.1"].origin == "seed" and by_code["G2.1"].threshold_origin == "default"  # 2026 roadmap value
    assert weakest.weakest(db.session, _viewer(), ReportFilter("DISP", 2025)).conditions == []


def test_weakest_page_and_exports_show_origins(client, disp):
    client.login("xem.disp")
    page = client.get("/reports/weakest?set_code=DISP&year=2026").get_data(as_text=True)
    assert "đề xuất" in page and "mặc định" in page and "Điều kiện bắt buộc (không tính điểm)" in page
    row = re.search(r'<span class="code">G2.3</span>.*?</tr>', page, re.S).group(0)
    assert "<td>1</td><td>0</td><td>0%</td>" in row  # 1 N/A, 0 met, 0 % of the applicable unit
    csv = client.get("/reports/weakest.csv?set_code=DISP&year=2026").get_data().decode("utf-8-sig").splitlines()
    header = csv[0].split(",")
    assert {"Nguồn chỉ tiêu", "Nguồn ngưỡng", "Không áp dụng", "Điều kiện bắt buộc"} <= set(header)
    g11 = next(x for x in csv if x.startswith("G1.1,")).split(",")
    g21 = next(x for x in csv if x.startswith("G2.1,")).split(",")
    assert g11[header.index("Nguồn chỉ tiêu")] == "đề xuất" and g11[header.index("Nguồn ngưỡng")] == "mặc định"
    assert g21[header.index("Nguồn chỉ tiêu")] == "văn bản Đề án"
    conditions = client.get("/reports/weakest.csv?set_code=DISP&year=2026&table=2").get_data().decode("utf-8-sig")
    assert "G1.C," in conditions


def test_weakest_xlsx_carries_origin_columns(disp):
    import io

    from openpyxl import load_workbook

    from app.reports.exports import to_xlsx
    from app.reports.sections import section_tables

    data = weakest.weakest(db.session, _viewer(), ReportFilter("DISP", 2026))
    book = load_workbook(io.BytesIO(to_xlsx(section_tables("weakest", data), [])))
    sheet = book.worksheets[1]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["G1.1"][header.index("Nguồn chỉ tiêu")] == "đề xuất"
    assert rows["G1.1"][header.index("Nguồn ngưỡng")] == "mặc định"
    assert rows["G2.3"][header.index("Không áp dụng")] == 1


def test_heatmap_shows_na_groups_and_conditions_apart(client, disp):
    hm = heatmap.heatmap(db.session, _viewer(), ReportFilter("DISP", 2026))
    assert [code for code, _t in hm.groups] == ["G1", "G2", "G3", heatmap.CONDITIONS_COLUMN]
    cells = {name: row for name, _t, row in hm.rows}
    assert cells["Phường Chín Chín"][2] == ("na", None)  # G3 answered "không áp dụng"
    assert cells["Phường Chín Chín"][3][0] == "pass" and cells["Phường Bảy Bảy"][3][0] == "fail"
    assert cells["Phường Chín Chín"][1] == ("pass", 0.0)  # G2 has no minimum, so it never fails on its own
    client.login("xem.disp")
    page = client.get("/reports/heatmap?set_code=DISP&year=2026").get_data(as_text=True)
    assert "Không áp dụng" in page and "Điều kiện bắt buộc" in page


def test_discrepancies_count_na_and_list_conditions_apart(client, disp):
    from app.auth.models import User
    from app.review.appraisal import AppraisalInput, save_appraisal
    from app.review.assignments import campaign_discrepancies

    reviewer = db.session.scalar(sa.select(User).where(User.username == "thamdinh.disp"))
    save_appraisal(db.session, reviewer, disp["sub_a"].id, {"G2.3": AppraisalInput(met="not_met"),
                                                                     "G1.C": AppraisalInput(met="not_met")})
    db.session.commit()
    _campaign, rows = campaign_discrepancies(db.session, reviewer, disp["campaign"].id)
    by_code = {r["indicator"].code: r for r in rows}
    assert (by_code["G2.3"]["na"], by_code["G2.3"]["over"]) == (1, 1) and by_code["G1.C"]["condition"]
    client.login("thamdinh.disp")
    page = client.get(f"/review/campaigns/{disp['campaign'].id}/discrepancies").get_data(as_text=True)
    assert page.index("G2.3") < page.index("Điều kiện bắt buộc (không tính điểm)") < page.index("G1.C")
