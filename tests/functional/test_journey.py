"""The official's journey through HTTP: login, fill, upload, draft, resume, submit, score."""

from __future__ import annotations

import io
import re

from app.extensions import db
from app.submissions.models import Submission
from tests.helpers import evidence_file, failing_raw, passing_raw


def group_url(campaign, unit, code):
    return f"/assessments/{campaign.id}/{unit.id}/groups/{code}"


def version_of(client, url) -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="version"[^>]*value="(\d*)"', html)
    return match.group(1) if match else ""


def fill_group(client, campaign, unit, group, *, failing=(), files=True, explanation=None):
    url = group_url(campaign, unit, group.code)
    data = {"version": version_of(client, url), "go": "stay"}
    for ind in group.indicators:
        data[ind.field_name] = failing_raw(ind) if ind.code in failing else passing_raw(ind)
        if explanation and ind.code in failing:
            data[ind.field_name + "_explanation"] = explanation
        if files and ind.evidence.required:
            content, name = evidence_file(ind)
            data[ind.field_name + "_files"] = [(io.BytesIO(content), name)]
    return client.post_form(url, data, content_type="multipart/form-data")


def test_full_journey(client, world):
    campaign, unit = world["campaign"], world["unit_a"]
    cset = campaign.criteria_version.criteria
    assert client.login("canbo.a").status_code == 302

    dash = client.get("/assessments/").get_data(as_text=True)
    assert "Chính quyền thân thiện 2026" in dash and "Phường Hồng Bàng" in dash

    first = cset.groups[0]
    page = client.get(group_url(campaign, unit, first.code)).get_data(as_text=True)
    assert "đề xuất — không có trong văn bản Đề án" in page or all(i.origin == "seed" for i in first.indicators)
    assert "mặc định" in page and "Ngưỡng đạt" in page

    # Fill every group; one indicator in G2 fails its threshold, with an explanation.
    g2_fail = cset.groups[1].indicators[1]
    for group in cset.groups:
        response = fill_group(client, campaign, unit, group, failing={g2_fail.code}, explanation="Đang hoàn thiện quy chế.")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    # Leave and come back: everything kept.
    client.logout()
    client.login("canbo.a")
    page = client.get(group_url(campaign, unit, cset.groups[1].code)).get_data(as_text=True)
    assert "Đang hoàn thiện quy chế." in page
    assert ".pdf" in page or ".png" in page or ".xlsx" in page
    sub = db.session.query(Submission).one()
    assert sub.status == "draft" and len(sub.answers) == len(cset.indicators)

    overview = client.get(f"/assessments/{campaign.id}/{unit.id}/").get_data(as_text=True)
    response = client.post_form(f"/assessments/{campaign.id}/{unit.id}/submit",
                                {"version": re.search(r'name="version"[^>]*value="(\d+)"', overview).group(1)},
                                token_from=f"/assessments/{campaign.id}/{unit.id}/")
    assert response.status_code == 302
    result = client.get(response.location).get_data(as_text=True)
    assert "Kết quả tự chấm" in result
    db.session.expire_all()
    sub = db.session.query(Submission).one()
    assert sub.status == "submitted" and sub.submitted_at is not None
    assert 0 < float(sub.self_score) < 100
    assert sub.self_result["groups"][1]["indicators"][1]["met"] is False
    assert f"{sub.self_score:.2f}".rstrip("0").rstrip(".").replace(".", ",") in result
    assert "Chưa đạt" in result and "Đạt" in result

    # After submission the page is read-only and saving is refused.
    page = client.get(group_url(campaign, unit, first.code)).get_data(as_text=True)
    assert "chỉ xem được" in page and "Lưu nháp" not in page
    denied = client.post_form(group_url(campaign, unit, first.code), {"version": str(sub.version)})
    assert denied.status_code == 403


def test_submit_lists_every_problem_by_group_and_indicator(client, world):
    campaign, unit = world["campaign"], world["unit_a"]
    cset = campaign.criteria_version.criteria
    client.login("canbo.a")
    g1 = cset.groups[0]
    failing = g1.indicators[0]
    response = fill_group(client, campaign, unit, g1, failing={failing.code})  # no explanation given
    assert response.status_code == 302
    overview_url = f"/assessments/{campaign.id}/{unit.id}/"
    version = re.search(r'name="version"[^>]*value="(\d+)"', client.get(overview_url).get_data(as_text=True)).group(1)
    response = client.post_form(f"/assessments/{campaign.id}/{unit.id}/submit", {"version": version}, token_from=overview_url)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Chưa gửi được" in html
    assert f"Nhóm {g1.code}, chỉ tiêu {failing.code}" in html and "cần ghi giải trình" in html
    unanswered = cset.groups[-1].indicators[0]
    assert f"Nhóm {cset.groups[-1].code}, chỉ tiêu {unanswered.code}</a>: Chưa trả lời." in html
    assert db.session.query(Submission).one().status == "draft"
