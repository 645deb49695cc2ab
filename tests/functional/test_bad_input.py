"""Bad input gets a clear Vietnamese error and loses nothing the user entered."""

from __future__ import annotations

import io

import pytest

from app.extensions import db
from app.submissions.models import Submission
from tests.conftest import pdf_bytes
from tests.functional.test_journey import group_url, version_of


@pytest.fixture
def g1_page(client, world):
    client.login("canbo.a")
    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    return client, campaign, unit, group


def _post(client, url, data):
    data = {"version": version_of(client, url), "go": "stay", **data}
    return client.post_form(url, data, content_type="multipart/form-data")


def _find(group, type_name):
    return next(i for i in group.indicators if i.type == type_name)


def test_non_number_and_out_of_range_keep_input_and_save_the_rest(g1_page):
    client, campaign, unit, group = g1_page
    url = group_url(campaign, unit, group.code)
    pct = _find(group, "percent")
    boolean = _find(group, "boolean")
    # First a good save.
    assert _post(client, url, {pct.field_name: "80", boolean.field_name: "yes"}).status_code == 302
    # Then bad input in the percent field, together with a new explanation elsewhere.
    response = _post(client, url, {pct.field_name: "tám mươi", boolean.field_name: "no",
                                   boolean.field_name + "_explanation": "Chưa ban hành quy chế"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“tám mươi” không phải là một số" in html
    assert 'value="tám mươi"' in html  # the user's text is still in the field
    assert "Chưa ban hành quy chế" in html
    assert 'aria-invalid="true"' in html
    sub = db.session.query(Submission).one()
    db.session.refresh(sub)
    answers = {a.indicator_code: a for a in sub.answers}
    assert answers[pct.code].parsed == 80  # the previous good value is kept
    assert answers[boolean.code].parsed is False  # valid fields were saved
    response = _post(client, url, {pct.field_name: "120"})
    assert "Tỷ lệ phải nằm trong khoảng từ 0 đến 100% (bạn nhập “120”)" in response.get_data(as_text=True)


def test_negative_count(client, world):
    client.login("canbo.a")
    campaign, unit = world["campaign"], world["unit_a"]
    group = next(g for g in campaign.criteria_version.criteria.groups if any(i.type == "count" for i in g.indicators))
    count = _find(group, "count")
    url = group_url(campaign, unit, group.code)
    response = _post(client, url, {count.field_name: "-2"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Số lần không được là số âm (bạn nhập “-2”)" in html and 'value="-2"' in html


def test_oversize_and_wrong_type_files(g1_page, app):
    client, campaign, unit, group = g1_page
    url = group_url(campaign, unit, group.code)
    ind = next(i for i in group.indicators if "pdf" in i.evidence.kinds)
    big = pdf_bytes(app.config["MAX_EVIDENCE_BYTES"] + 10)
    response = _post(client, url, {ind.field_name: "", ind.field_name + "_files": [(io.BytesIO(big), "qua-lon.pdf")]})
    assert response.status_code == 422
    assert "Tệp “qua-lon.pdf” vượt quá giới hạn" in response.get_data(as_text=True)
    fake = b"MZ\x90\x00 this is an executable pretending to be a pdf"
    response = _post(client, url, {ind.field_name + "_files": [(io.BytesIO(fake), "bien-ban.pdf")]})
    html = response.get_data(as_text=True)
    from app.submissions.uploads import accepted_labels

    accepted = ", ".join(accepted_labels(ind.evidence.kinds))  # the same list the field advertises
    assert response.status_code == 422 and f"không phải loại tệp được nhận (kiểm tra theo nội dung tệp). Chỉ tiêu này nhận: {accepted}." in html
    assert db.session.query(Submission).one().evidence == []


def test_valid_file_is_stored_under_a_random_name_and_served_as_attachment(g1_page, app, world):
    client, campaign, unit, group = g1_page
    url = group_url(campaign, unit, group.code)
    ind = next(i for i in group.indicators if "pdf" in i.evidence.kinds)
    response = _post(client, url, {ind.field_name + "_files": [(io.BytesIO(pdf_bytes()), "../../etc/Biên bản.pdf")]})
    assert response.status_code == 302
    item = db.session.query(Submission).one().evidence[0]
    assert item.original_name.endswith("Biên bản.pdf") and "/" not in item.stored_name and item.kind == "pdf"
    download = client.get(f"/assessments/evidence/{item.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    client.logout()
    client.login("canbo.b")
    assert client.get(f"/assessments/evidence/{item.id}").status_code == 403


def test_missing_explanation_blocks_submit(client, world):
    # covered in detail by test_journey.test_submit_lists_every_problem_by_group_and_indicator;
    # here: an empty submission cannot be submitted and says why.
    client.login("canbo.a")
    campaign, unit = world["campaign"], world["unit_a"]
    overview = f"/assessments/{campaign.id}/{unit.id}/"
    response = client.post_form(f"/assessments/{campaign.id}/{unit.id}/submit", {"version": ""}, token_from=overview)
    assert response.status_code == 422
    assert "Phiếu chưa có dữ liệu" in response.get_data(as_text=True)


def test_concurrent_edit_is_detected_without_losing_input(client, world, app):
    from tests.conftest import Client, FreshContextClient

    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    pct = _find(group, "percent")
    url = group_url(campaign, unit, group.code)
    client.login("canbo.a")
    assert _post(client, url, {pct.field_name: "50"}).status_code == 302
    app.test_client_class = FreshContextClient
    other = Client(app.test_client())
    other.login("canbo.a")
    stale_version = version_of(client, url)
    assert _post(other, url, {pct.field_name: "60"}).status_code == 302  # someone else saves first
    response = client.post_form(url, {"version": stale_version, pct.field_name: "75"}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "CHƯA được lưu" in html and 'value="75"' in html
    sub = db.session.query(Submission).one()
    db.session.refresh(sub)
    assert sub.answer_for(pct.code).parsed == 60
    # Saving again from the conflict page (it carries the new version) succeeds.
    new_version = __import__("re").search(r'name="version"[^>]*value="(\d+)"', html).group(1)
    assert client.post_form(url, {"version": new_version, pct.field_name: "75"}, content_type="multipart/form-data").status_code == 302
