"""Real browser: a criteria owner's revision goes live — import a workbook → preview → publish →
create a campaign → an official fills it → the result is right (Playwright + Debian's Chromium)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import sqlalchemy as sa

from app.assessment.scoring import score_set
from app.assessment.workbook import export_workbook
from app.campaigns.models import Campaign, CriteriaVersion
from app.extensions import db
from app.submissions.models import Submission
from app.submissions.services import answers_of
from tests.functional.test_browser import browser, fill_group, login, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

EDITED = "Công khai kế hoạch tiếp công dân trên cổng thông tin (sửa trong Excel)"


def test_workbook_to_campaign_to_result(server, browser, world, tmp_path):  # noqa: F811
    v1 = world["campaign"].criteria_version
    data = copy.deepcopy(v1.content)
    first = data["groups"][0]["indicators"][0]
    first["text"] = EDITED
    workbook = tmp_path / "cqtt-sua.xlsx"
    workbook.write_bytes(export_workbook(data))
    evidence = tmp_path / "bien-ban.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"%" * 300)

    page = browser.new_page()
    login(page, server, "quantri")
    # 1. import the workbook: a new draft version
    page.click("nav >> text=Bộ tiêu chí")
    page.click("text=Nhập tệp Excel")
    page.set_input_files("#workbook", str(workbook))
    page.click("button.primary")
    page.wait_for_load_state("networkidle")
    assert "Đã tạo bản nháp CQTT v2" in page.content() and "nháp" in page.content()
    draft = db.session.scalar(sa.select(CriteriaVersion).where(CriteriaVersion.code == "CQTT", CriteriaVersion.version == 2))
    assert draft.status == "draft"
    # 2. preview: the questionnaire as the official sees it, scored, nothing stored
    page.click("text=Xem trước phiếu và chấm thử")
    assert EDITED in page.content()
    cset = draft.criteria
    fill_group(page, cset.groups[0], evidence)
    page.click("#preview-submit")
    page.wait_for_load_state("networkidle")
    html = page.content()
    assert "Kết quả chấm thử" in html and "Chưa đạt" in html  # only G1 answered
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0
    # 3. publish
    page.goto(f"{server}/criteria/versions/{draft.id}")
    page.click("text=Công bố phiên bản này")
    page.wait_for_load_state("networkidle")
    assert "Đã công bố CQTT v2" in page.content()
    # 4. create a campaign with the published version
    page.goto(f"{server}/campaigns/new")
    page.fill("#name", "CQTT v2 thử 2027")
    page.select_option("#criteria_version_id", str(draft.id))
    page.fill("#year", "2027")
    page.fill("#opens_on", "01/01/2020")
    page.fill("#closes_on", "31/12/2099")
    page.check("input[name=scope_unit_types][value=phuong]")
    page.click("button.primary")
    page.wait_for_load_state("networkidle")
    assert "Đã tạo đợt đánh giá “CQTT v2 thử 2027”" in page.content()
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == "CQTT v2 thử 2027"))
    assert campaign.criteria_version_id == draft.id
    # 5. the official fills it and submits
    page.context.clear_cookies()
    login(page, server, "canbo.a")
    unit = world["unit_a"]
    for group in cset.groups:
        page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}")
        if group is cset.groups[0]:
            assert EDITED in page.content()
        fill_group(page, group, evidence)
        page.click("button[value=stay]")
        page.wait_for_load_state("networkidle")
        assert f"Đã lưu nháp nhóm {group.code}." in page.content()
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/")
    page.click("text=Gửi phiếu tự đánh giá")
    page.wait_for_load_state("networkidle")
    assert "Sau khi gửi sẽ không sửa được" in page.content()  # the confirmation page
    page.click("#confirm-submit")
    page.wait_for_load_state("networkidle")
    # 6. the result is right: stored, shown, and equal to scoring the stored answers with v2
    html = page.content()
    assert "Kết quả tự chấm" in html and "100%" in html and EDITED in html and "CQTT v2" in html
    db.session.expire_all()
    sub = db.session.scalar(sa.select(Submission).where(Submission.campaign_id == campaign.id, Submission.unit_id == unit.id))
    expected = score_set(cset, answers_of(sub), 2027)
    assert sub.status == "submitted" and sub.self_passed is True and float(sub.self_score) == expected.percent == 100.0
    assert dt.date.today() <= campaign.closes_on
