"""What a commune official sees (issue 13): why an indicator is not met, the result page, the confirmation
before submitting, the dashboard cards and the formats each upload field accepts."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import io
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.submissions import services as subs
from app.submissions.models import Submission
from tests.conftest import pdf_bytes, png_bytes
from tests.helpers import docx_bytes, evidence_file, passing_raw

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def _text(page: str) -> str:
    """The page's visible text, tags removed and whitespace collapsed (entities decoded)."""
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", page)))


def _box(page: str, start: str, end: str) -> str:
    """The visible text between the element with id `start` and the next `end` tag."""
    begin = page.index(f'id="{start}"')
    return _text(page[begin:page.index(end, begin)])


def _save(app, official, campaign, unit, group_code, values, files=None, explanations=None):
    return subs.save_group(db.session, official, campaign.id, unit.id, group_code, values=values, explanations=explanations or {},
                           files=files or {}, expected_version=None, max_bytes=app.config["MAX_EVIDENCE_BYTES"])


def _fill_all(app, official, campaign, unit, *, skip=(), values=None, explanations=None):
    """Answer every indicator so it is met (with evidence), except codes in `skip`; `values` overrides raw answers,
    `explanations` gives explanations (both keyed by indicator code)."""
    cset = campaign.criteria_version.criteria
    for group in cset.groups:
        vals, files = {}, {}
        notes = {i.field_name: (explanations or {}).get(i.code, "") for i in group.indicators}
        for ind in group.indicators:
            if ind.code in skip:
                continue
            vals[ind.field_name] = (values or {}).get(ind.code, passing_raw(ind))
            if ind.evidence.required:
                content, name = evidence_file(ind)
                files[ind.field_name] = [subs.Upload(name, content)]
        _save(app, official, campaign, unit, group.code, vals, files, notes)
    db.session.commit()


# ------------------------------------------------------------------ 1. a not-met indicator says why


def test_answer_meeting_the_threshold_without_required_evidence_says_evidence_is_missing(app, client, world):
    """4 against "≥ 3 kênh" with the required evidence missing: not a bare "Chưa đạt" on the group and result pages."""
    campaign, unit = world["campaign"], world["unit_a"]
    _save(app, world["official_a"], campaign, unit, "G1", {"ind_G1_2": "4"})
    db.session.commit()
    client.login("canbo.a")
    group = client.get(f"/assessments/{campaign.id}/{unit.id}/groups/G1").get_data(as_text=True)
    box = _box(group, "ind_G1_2-box", "</p>")  # the labels line of G1.2: threshold and verdict
    assert "✗ Chưa đạt" in box
    assert "4 ≥ 3: đạt ngưỡng ≥ 3 kênh" in box and "thiếu minh chứng bắt buộc" in box
    result = client.get(f"/assessments/{campaign.id}/{unit.id}/result").get_data(as_text=True)
    row = _box(result, "r-ind_G1_2", "</tr>")
    assert "✗ Chưa đạt" in row and "4 ≥ 3" in row and "thiếu minh chứng bắt buộc" in row
    assert "Trả lời: 4" in row or "4 " in row


def test_value_below_threshold_shows_the_value_against_the_threshold_in_vietnamese(app, client, world):
    campaign, unit = world["campaign"], world["unit_a"]
    content, name = pdf_bytes(), "ds-kenh.pdf"
    _save(app, world["official_a"], campaign, unit, "G1", {"ind_G1_2": "2,5"}, files={"ind_G1_2": [subs.Upload(name, content)]})
    db.session.commit()
    client.login("canbo.a")
    expected = "2,5 < 3: chưa đạt ngưỡng ≥ 3 kênh"
    group = client.get(f"/assessments/{campaign.id}/{unit.id}/groups/G1").get_data(as_text=True)
    box = _box(group, "ind_G1_2-box", "</p>")
    assert "✗ Chưa đạt" in box and expected in box and "chưa ghi giải trình" in box
    assert "thiếu minh chứng" not in box  # the file is there
    result = _box(client.get(f"/assessments/{campaign.id}/{unit.id}/result").get_data(as_text=True), "r-ind_G1_2", "</tr>")
    assert expected in result
    overview = _text(client.get(f"/assessments/{campaign.id}/{unit.id}/").get_data(as_text=True))
    assert f"G1.2 ✗ Chưa đạt Lý do: {expected}" in overview
    assert f"Chỉ tiêu chưa đạt ({expected}): cần ghi giải trình." in overview  # the blocking problem says it too
    # English numbers in English mode
    client.post_form("/lang", {"lang": "en"}, token_from="/")
    box = _box(client.get(f"/assessments/{campaign.id}/{unit.id}/groups/G1").get_data(as_text=True), "ind_G1_2-box", "</p>")
    assert "2.5 < 3" in box


def test_boolean_and_condition_reasons(app, world):
    """Reasons for a yes/no answer and the missing explanation of "không áp dụng" (the pure function)."""
    from app.assessment.scoring import AnswerInput, evaluate_indicator
    from app.submissions.messages import why_not_met

    cset = world["campaign"].criteria_version.criteria
    g11 = cset.indicator("G1.1")
    with app.test_request_context():
        res = evaluate_indicator(g11, AnswerInput(False, 1, ""), 2026)
        assert why_not_met(g11, res, AnswerInput(False, 1, ""), 2026)[0] == "trả lời “Không”, cần “Có”"
        ok = evaluate_indicator(g11, AnswerInput(True, 1, ""), 2026)
        assert why_not_met(g11, ok, AnswerInput(True, 1, ""), 2026) == []
        unanswered = evaluate_indicator(g11, AnswerInput(), 2026)
        assert why_not_met(g11, unanswered, None, 2026) == ["chưa trả lời", "thiếu minh chứng bắt buộc (chưa tải tệp nào)"]


def test_criteria_preview_says_why(client, world, make_user):
    from app.criteria_sets.models import CriteriaOwnerScope

    owner = make_user("phutrach", "viewer")
    owner.owned_sets.append(CriteriaOwnerScope(set_code="CQTT"))
    db.session.commit()
    client.login("phutrach")
    url = f"/criteria/versions/{world['campaign'].criteria_version_id}/preview"
    page = client.post_form(url, {"year": "2026", "ind_G1_2": "2"}).get_data(as_text=True)
    assert "2 < 3: chưa đạt ngưỡng ≥ 3 kênh" in _box(page, "ind_G1_2-box", "</p>")
    assert "2 < 3: chưa đạt ngưỡng ≥ 3 kênh" in _box(page, "r-ind_G1_2", "</tr>")


# ------------------------------------------------------------------ 2. the result page


def test_result_page_shows_answers_explanations_and_what_happens_next(app, client, world):
    campaign, unit = world["campaign"], world["unit_a"]
    _fill_all(app, world["official_a"], campaign, unit, values={"G1.2": "2"}, explanations={"G1.2": "Đang lập kênh Zalo thứ ba."})
    client.login("canbo.a")
    url = f"/assessments/{campaign.id}/{unit.id}/result"
    draft = client.get(url).get_data(as_text=True)
    row = _box(draft, "r-ind_G1_2", "</tr>")
    assert "2 " in row and "Giải trình: Đang lập kênh Zalo thứ ba." in row and "2 < 3" in row
    assert "Minh chứng:" in row and ".pdf" in row  # the evidence file's name
    assert "Kiểm tra và gửi phiếu" in _text(draft)  # every indicator answered: next is the confirmation
    assert "In / Print" in draft and "result.css" in draft
    subs.submit(db.session, world["official_a"], campaign.id, unit.id, expected_version=None)
    db.session.commit()
    submitted = _text(client.get(url).get_data(as_text=True))
    assert "Đang chờ thẩm định" in submitted and "Đã gửi" in submitted


def test_result_page_next_step_for_returned_approved_rejected_recognised(app, client, make_unit, make_user, make_campaign):
    from app.certificates.services import issue_for_decision
    from app.review.models import RecognitionDecision
    from tests.reports_fixture import build

    data = build(app, make_unit, make_user, make_campaign)
    new, old = data["new"], data["old"]
    units = data["units"]
    client.login("canbo.b")
    returned = _text(client.get(f"/assessments/{new.id}/{units['B'].id}/result").get_data(as_text=True))
    from app.clock import today_local

    deadline = dt.date.today() + dt.timedelta(days=5)  # what the fixture set (the server's date)
    assert "Bổ sung 1 chỉ tiêu bị trả lại rồi gửi lại phiếu" in returned and "G1.1 : Bổ sung" in returned
    assert f"Còn {(deadline - today_local()).days} ngày (hạn {deadline:%d/%m/%Y})" in returned  # counted in Hải Phòng
    client.logout()
    client.login("canbo.c")
    assert "Lý do: Không đạt chỉ tiêu cốt lõi" in _text(client.get(f"/assessments/{new.id}/{units['C'].id}/result").get_data(as_text=True))
    client.logout()
    client.login("canbo.a")
    approved = _text(client.get(f"/assessments/{old.id}/{units['A'].id}/result").get_data(as_text=True))
    assert "Đang chờ quyết định công nhận" in approved
    recognised = client.get(f"/assessments/{new.id}/{units['A'].id}/result").get_data(as_text=True)
    assert "Giấy chứng nhận sẽ có ở đây khi được cấp." in recognised
    cert = issue_for_decision(db.session, data["reviewer"], db.session.scalar(sa.select(RecognitionDecision)).id)[0]
    db.session.commit()
    recognised = client.get(f"/assessments/{new.id}/{units['A'].id}/result").get_data(as_text=True)
    assert f'href="/certificates/{cert.id}.pdf"' in recognised and cert.number in recognised


# ------------------------------------------------------------------ 3. confirmation before submitting


def test_overview_submit_button_leads_to_a_confirmation_that_blocks_until_complete(app, client, world):
    campaign, unit = world["campaign"], world["unit_a"]
    _save(app, world["official_a"], campaign, unit, "G1", {"ind_G1_2": "4"})
    db.session.commit()
    client.login("canbo.a")
    overview = client.get(f"/assessments/{campaign.id}/{unit.id}/").get_data(as_text=True)
    confirm_url = f"/assessments/{campaign.id}/{unit.id}/submit/confirm"
    assert re.search(rf'<form method="get" action="{re.escape(confirm_url)}">', overview)
    page = client.get(confirm_url).get_data(as_text=True)
    text = _text(page)
    assert "Sau khi gửi sẽ không sửa được" in text
    assert "Còn thiếu — phải bổ sung trước khi gửi" in text and "Chưa trả lời." in text
    assert "G1.2" in text and "4 ≥ 3: đạt ngưỡng ≥ 3 kênh; nhưng thiếu minh chứng bắt buộc" in text
    assert 'id="confirm-submit"' not in page  # nothing to press while something is missing


def test_confirmation_page_submits_with_its_version(app, client, world):
    campaign, unit = world["campaign"], world["unit_a"]
    _fill_all(app, world["official_a"], campaign, unit)
    client.login("canbo.a")
    confirm_url = f"/assessments/{campaign.id}/{unit.id}/submit/confirm"
    page = client.get(confirm_url).get_data(as_text=True)
    text = _text(page)
    assert "100% ✓ Đạt" in text and "Mọi chỉ tiêu đều đạt." in text and "Sau khi gửi sẽ không sửa được" in text
    form = re.search(r'<form method="post" action="([^"]+)" class="confirm-form">(.*?)</form>', page, re.S)
    assert form and form.group(1) == f"/assessments/{campaign.id}/{unit.id}/submit"
    assert 'name="csrf_token"' in form.group(2)
    version = re.search(r'name="version"[^>]*value="(\d+)"', form.group(2)).group(1)
    # a save after the page was shown makes its version stale: the submit is refused, nothing is lost
    sub = db.session.scalar(sa.select(Submission))
    assert version == str(sub.version)
    g1 = campaign.criteria_version.criteria.group("G1")
    _save(app, world["official_a"], campaign, unit, "G1", {i.field_name: passing_raw(i) for i in g1.indicators})
    db.session.commit()
    stale = client.post_form(f"/assessments/{campaign.id}/{unit.id}/submit", {"version": version}, token_from=confirm_url)
    assert stale.status_code == 409
    fresh = client.get(confirm_url + f"?version={version}").get_data(as_text=True)
    assert "Phiếu đã được lưu thêm sau khi bạn mở trang tổng quan" in fresh
    version = re.search(r'class="confirm-form">.*?name="version"[^>]*value="(\d+)"', fresh, re.S).group(1)
    done = client.post_form(f"/assessments/{campaign.id}/{unit.id}/submit", {"version": version}, token_from=confirm_url)
    assert done.status_code == 302 and done.location.endswith("/result")
    db.session.expire_all()
    assert db.session.scalar(sa.select(Submission)).status == "submitted"
    after = client.get(confirm_url).get_data(as_text=True)
    assert 'id="confirm-submit"' not in after and "không sửa được" in after


# ------------------------------------------------------------------ 4. dashboard cards


def test_dashboard_card_shows_progress_days_left_and_next_action(app, client, world):
    import time_machine

    from app.clock import LOCAL_TZ

    campaign, unit = world["campaign"], world["unit_a"]
    campaign.closes_on = dt.date(2026, 11, 30)
    db.session.commit()
    total = len(campaign.criteria_version.criteria.indicators)
    with time_machine.travel(dt.datetime(2026, 11, 20, 23, 30, tzinfo=LOCAL_TZ), tick=False):  # 16:30 UTC: still the 20th in Hải Phòng
        client.login("canbo.a")
        page = _text(client.get("/assessments/").get_data(as_text=True))
        assert f"0/{total} chỉ tiêu" in page and "Còn 10 ngày (hạn 30/11/2026)" in page and "Bắt đầu điền phiếu" in page
        _save(app, world["official_a"], campaign, unit, "G1", {"ind_G1_1": "yes", "ind_G1_2": "4"})
        db.session.commit()
        page = _text(client.get("/assessments/").get_data(as_text=True))
        assert f"2/{total} chỉ tiêu" in page and "Điền tiếp nhóm G1" in page
    with time_machine.travel(dt.datetime(2026, 11, 30, 0, 5, tzinfo=LOCAL_TZ), tick=False):  # 29/11 17:05 UTC
        client.login("canbo.a")
        assert "Hạn chót là hôm nay, 30/11/2026" in _text(client.get("/assessments/").get_data(as_text=True))
    with time_machine.travel(dt.datetime(2026, 12, 3, 9, 0, tzinfo=LOCAL_TZ), tick=False):
        client.login("canbo.a")
        page = _text(client.get("/assessments/").get_data(as_text=True))
        assert "Đã quá hạn 3 ngày (hạn 30/11/2026)" in page and "Đợt đánh giá đã đóng" in page


def test_dashboard_queries_do_not_grow_with_campaigns(app, client, world, make_campaign):
    from sqlalchemy import event

    client.login("canbo.a")

    def count() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/assessments/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    _fill_all(app, world["official_a"], world["campaign"], world["unit_a"])
    few = count()
    for year in (2027, 2028, 2029, 2030):
        c = make_campaign("CQTT", year=year, name=f"CQTT {year}")
        _fill_all(app, world["official_a"], c, world["unit_a"])
    assert count() == few


# ------------------------------------------------------------------ 5. upload fields list what the indicator accepts


def test_upload_field_lists_exactly_the_formats_its_indicator_accepts(app, client, world):
    campaign, unit = world["campaign"], world["unit_a"]
    client.login("canbo.a")
    page = client.get(f"/assessments/{campaign.id}/{unit.id}/groups/G1").get_data(as_text=True)
    box = page[page.index('id="ind_G1_1-box"'):page.index("</fieldset>", page.index('id="ind_G1_1-box"'))]  # pdf + image
    assert "Nhận các loại tệp: PDF, PNG, JPEG, GIF, WEBP." in _text(box)
    assert "DOCX" not in box and "XLSX" not in box
    accept = re.search(r'name="ind_G1_1_files"[^>]*|accept="([^"]+)"[^>]*name="ind_G1_1_files"', box).group(0)
    accept = re.search(r'accept="([^"]+)"', accept).group(1)
    assert set(accept.split(",")) == {".pdf", "application/pdf", ".png", "image/png", ".jpg", ".jpeg", "image/jpeg", ".gif",
                                      "image/gif", ".webp", "image/webp"}
    # the validation agrees: a GIF is stored, a DOCX refused with the same list
    url = f"/assessments/{campaign.id}/{unit.id}/groups/G1"
    version = re.search(r'name="version"[^>]*value="(\d*)"', page).group(1)
    ok = client.post_form(url, {"version": version, "go": "stay", "ind_G1_1_files": [(io.BytesIO(GIF), "anh.gif")]},
                          content_type="multipart/form-data")
    assert ok.status_code == 302
    version = re.search(r'name="version"[^>]*value="(\d*)"', client.get(url).get_data(as_text=True)).group(1)
    refused = client.post_form(url, {"version": version, "go": "stay", "ind_G1_1_files": [(io.BytesIO(docx_bytes()), "bc.docx")]},
                               content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "Tệp “bc.docx” là DOCX; chỉ tiêu này chỉ nhận: PDF, PNG, JPEG, GIF, WEBP." in _text(refused.get_data(as_text=True))
    assert [e.original_name for e in db.session.scalar(sa.select(Submission)).evidence] == ["anh.gif"]


def test_a_field_that_accepts_docx_says_so(app, client, make_unit, make_user, make_campaign):
    school = make_unit("Trường THCS Thử", "school")
    make_user("canbo.truong", "official", school)
    campaign = make_campaign("THXHCN", types=("school",))
    cset = campaign.criteria_version.criteria
    ind = next(i for i in cset.indicators if "docx" in i.evidence.kinds)
    group = cset.group_of(ind.code)
    client.login("canbo.truong")
    page = client.get(f"/assessments/{campaign.id}/{school.id}/groups/{group.code}").get_data(as_text=True)
    start = page.index(f'id="{ind.field_name}-box"')
    box = page[start:page.index("</fieldset>", start)]
    from app.submissions.uploads import accepted_labels

    labels = accepted_labels(ind.evidence.kinds)
    assert "DOCX" in labels
    assert f"Nhận các loại tệp: {', '.join(labels)}." in _text(box)
    assert ".docx" in box and "application/vnd.openxmlformats-officedocument.wordprocessingml.document" in box
    if "xlsx" not in ind.evidence.kinds:
        assert "XLSX" not in box and ".xlsx" not in box


@pytest.mark.parametrize("kinds,labels", [(("pdf",), ["PDF"]), (("image",), ["PNG", "JPEG", "GIF", "WEBP"]),
                                           (("xlsx", "pdf"), ["PDF", "XLSX"])])
def test_accepted_labels_follow_the_validation_table(kinds, labels):
    from app.submissions.uploads import ALLOWED, accepted_labels, check_upload

    assert accepted_labels(kinds) == labels
    assert all(ALLOWED[e][0] in kinds for e in ("pdf", "png", "jpg", "gif", "webp", "docx", "xlsx") if e.upper() in labels
               or (e == "jpg" and "JPEG" in labels))
    if "image" in kinds:
        assert check_upload(png_bytes(), kinds, 10**6).kind == "image"
        assert check_upload(GIF, kinds, 10**6).extension == "gif"
