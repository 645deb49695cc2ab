"""Every failure of a questionnaire or appraisal save keeps what the user typed (issue 11, part 2).

Each example of the issue is a test here with its right value: stale/missing CSRF token, oversize
saves (per file, per save, hard cap), database down, disk full, version conflict on the first save
and with a missing version, files never orphaned, quotas, deadlines in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.submissions.models import Answer, Evidence, Submission
from tests.conftest import CSRF_RE, pdf_bytes
from tests.functional.test_journey import group_url, version_of

MiB = 1024 * 1024


def _g1(world):
    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    pct = next(i for i in group.indicators if i.type == "percent")
    boolean = next(i for i in group.indicators if i.type == "boolean")
    pdf_ind = next(i for i in group.indicators if "pdf" in i.evidence.kinds)
    return campaign, unit, group, pct, boolean, pdf_ind


def _files_on_disk(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _answers() -> int:
    db.session.remove()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Answer))


def _token(html: str) -> str:
    return CSRF_RE.search(html).group(1)


# ------------------------------------------------------------------ stale or missing CSRF token


def test_stale_form_after_logout_and_login_elsewhere_keeps_everything(client, world, app):
    campaign, unit, group, pct, boolean, pdf_ind = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    page = client.get(url).get_data(as_text=True)
    old_token, version = _token(page), version_of(client, url)
    client.logout()  # "another tab": same cookies
    client.login("canbo.a")
    response = client.post(url, data={"csrf_token": old_token, "version": version, "go": "stay", pct.field_name: "62,5",
                                      boolean.field_name: "no", boolean.field_name + "_explanation": "Chưa ban hành quy chế số 7",
                                      pdf_ind.field_name + "_files": [(io.BytesIO(pdf_bytes()), "bien-ban-hop.pdf")]},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Phiên làm việc đã thay đổi" in html and "KHÔNG có gì được lưu" in html and "Đã lưu: không có gì." in html
    assert 'value="62,5"' in html and "Chưa ban hành quy chế số 7" in html
    assert re.search(rf'name="{boolean.field_name}"[^>]*value="no"[^>]*checked|checked[^>]*name="{boolean.field_name}"[^>]*value="no"', html)
    assert "bien-ban-hop.pdf" in html and "Tệp cần chọn lại" in html  # a browser cannot keep a chosen file
    assert 'form="group-form"' in html and "Lưu lại" in html  # one button to save again
    new_token = _token(html)
    assert new_token != old_token
    assert _answers() == 0 and _files_on_disk(app) == []
    # Saving again from that page works.
    again = client.post(url, data={"csrf_token": new_token, "version": version, "go": "stay", pct.field_name: "62,5"},
                        content_type="multipart/form-data")
    assert again.status_code == 302
    assert db.session.scalar(sa.select(Submission)).answer_for(pct.code).parsed == 62.5


def test_missing_csrf_token_re_shows_the_page(client, world):
    campaign, unit, group, pct, _boolean, _pdf = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    response = client.post(url, data={"version": version_of(client, url), pct.field_name: "40"}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "thiếu mã CSRF (mã bảo mật)" in html and 'value="40"' in html
    assert _answers() == 0


def test_logged_out_save_keeps_typed_values(client, world):
    campaign, unit, group, pct, boolean, _pdf = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    token, version = _token(client.get(url).get_data(as_text=True)), version_of(client, url)
    client.logout()
    response = client.post(url, data={"csrf_token": token, "version": version, pct.field_name: "55",
                                      boolean.field_name + "_explanation": "Giải trình không được mất"}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 401 and "Bạn đã đăng xuất" in html and "CHƯA được lưu" in html
    assert ">55</textarea>" in html and "Giải trình không được mất" in html and f'action="{url}"' in html


# ------------------------------------------------------------------ oversize saves


def test_six_9_mib_scans_in_one_save_are_all_saved(client, world, app):
    """The issue's example, with production limits (10 MiB per file, 60 MiB per save): no 413, all six kept."""
    app.config.update(MAX_EVIDENCE_BYTES=10 * MiB, MAX_SAVE_BYTES=60 * MiB)
    campaign, unit, group, pct, _boolean, pdf_ind = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    scan = pdf_bytes(9 * MiB)
    response = client.post_form(url, {"version": version_of(client, url), pct.field_name: "81",
                                      pdf_ind.field_name + "_files": [(io.BytesIO(scan), f"ban-quet-{n}.pdf") for n in range(1, 7)]},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    sub = db.session.scalar(sa.select(Submission))
    assert sorted(e.original_name for e in sub.evidence) == [f"ban-quet-{n}.pdf" for n in range(1, 7)]
    assert all(e.size == 9 * MiB for e in sub.evidence) and sub.answer_for(pct.code).parsed == 81
    assert len(_files_on_disk(app)) == 6


def test_files_over_the_per_file_and_per_save_limits_are_named_and_the_text_is_saved(client, world, app):
    app.config.update(MAX_EVIDENCE_BYTES=300 * 1024, MAX_SAVE_BYTES=700 * 1024)
    campaign, unit, group, pct, boolean, pdf_ind = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    files = [(io.BytesIO(pdf_bytes(250 * 1024)), "mot.pdf"), (io.BytesIO(pdf_bytes(400 * 1024)), "qua-lon.pdf"),
             (io.BytesIO(pdf_bytes(250 * 1024)), "hai.pdf"), (io.BytesIO(pdf_bytes(250 * 1024)), "ba.pdf")]
    response = client.post_form(url, {"version": version_of(client, url), pct.field_name: "70", boolean.field_name: "no",
                                      boolean.field_name + "_explanation": "Đang chờ quyết định",
                                      pdf_ind.field_name + "_files": files}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tệp “qua-lon.pdf” vượt quá giới hạn 300 KB mỗi tệp (tệp nặng 400 KB)" in html
    assert "Tệp “ba.pdf” (250 KB) CHƯA được lưu: tổng dung lượng tệp của một lần lưu tối đa 700 KB" in html
    assert "Đã lưu:" in html and "“mot.pdf”, “hai.pdf”" in html
    assert 'value="70"' in html and "Đang chờ quyết định" in html
    sub = db.session.scalar(sa.select(Submission))
    assert sorted(e.original_name for e in sub.evidence) == ["hai.pdf", "mot.pdf"]
    assert sub.answer_for(pct.code).parsed == 70 and sub.answer_for(boolean.code).explanation == "Đang chờ quyết định"
    # The limits are on the page for the progressive size check.
    assert 'data-max-file-bytes="307200"' in html and 'data-max-save-bytes="716800"' in html


def test_a_body_over_the_hard_cap_gets_a_friendly_page_not_a_bare_413(client, world, app):
    app.config.update(MAX_SAVE_BODY_BYTES=200 * 1024)
    campaign, unit, group, pct, _boolean, pdf_ind = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    response = client.post_form(url, {"version": version_of(client, url), pct.field_name: "70",
                                      pdf_ind.field_name + "_files": [(io.BytesIO(pdf_bytes(300 * 1024)), "rat-lon.pdf")]},
                                content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "vượt giới hạn tuyệt đối 0,2 MB" in html and "KHÔNG có gì được lưu" in html and "không giữ lại được" in html
    assert 'id="group-form"' in html  # the questionnaire page itself, not a bare error
    assert _answers() == 0 and _files_on_disk(app) == []


# ------------------------------------------------------------------ database down, disk full


def _kill_database(engine):
    def dead(conn, cursor, statement, parameters, context, executemany):
        raise sa.exc.OperationalError(statement, parameters, Exception("server closed the connection unexpectedly"))

    sa.event.listen(engine, "before_cursor_execute", dead)
    return lambda: sa.event.remove(engine, "before_cursor_execute", dead)


def test_database_down_page_renders_for_a_logged_in_user_and_keeps_typed_values(client, world):
    campaign, unit, group, pct, boolean, _pdf = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    token, version = _token(client.get(url).get_data(as_text=True)), version_of(client, url)
    revive = _kill_database(db.engine)
    try:
        page = client.get("/assessments/")
        response = client.post(url, data={"csrf_token": token, "version": version, pct.field_name: "66",
                                          boolean.field_name + "_explanation": "Biên bản họp ngày 2/3"}, content_type="multipart/form-data")
    finally:
        revive()
    assert page.status_code == 503 and "Không kết nối được cơ sở dữ liệu" in page.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "dữ liệu CHƯA được lưu" in html
    assert ">66</textarea>" in html and "Biên bản họp ngày 2/3" in html and "Lưu lại" in html
    assert f'name="version" value="{version}"' in html
    # The page's "save again" works once the database is back.
    again = client.post(url, data={"csrf_token": _token(html), "version": version, pct.field_name: "66"}, content_type="multipart/form-data")
    assert again.status_code == 302


def test_disk_full_keeps_answer_and_explanation_and_leaves_no_file(client, world, app, monkeypatch):
    from app.storage import local

    campaign, unit, group, pct, boolean, pdf_ind = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(local.os, "fsync", full)  # the bytes were written to the .part file, then the disk is full
    response = client.post_form(url, {"version": version_of(client, url), pct.field_name: "90", boolean.field_name: "no",
                                      boolean.field_name + "_explanation": "Giải trình quan trọng",
                                      pdf_ind.field_name + "_files": [(io.BytesIO(pdf_bytes()), "bien-ban.pdf")]},
                                content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tệp “bien-ban.pdf” CHƯA được lưu vì máy chủ không ghi được tệp" in html
    assert 'value="90"' in html and "Giải trình quan trọng" in html and "bien-ban.pdf" in html
    sub = db.session.scalar(sa.select(Submission))
    assert sub.answer_for(pct.code).parsed == 90 and sub.answer_for(boolean.code).explanation == "Giải trình quan trọng"
    assert sub.evidence == [] and _files_on_disk(app) == []


# ------------------------------------------------------------------ files never orphaned


def test_a_commit_that_fails_after_the_file_write_leaves_no_file(client, world, app):
    campaign, unit, group, pct, _boolean, pdf_ind = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    version = version_of(client, url)

    def refuse_commit(conn):
        raise sa.exc.OperationalError("COMMIT", {}, Exception("connection lost at commit"))

    sa.event.listen(db.engine, "commit", refuse_commit)
    try:
        response = client.post_form(url, {"version": version, pct.field_name: "75",
                                          pdf_ind.field_name + "_files": [(io.BytesIO(pdf_bytes()), "bien-ban.pdf")]},
                                    content_type="multipart/form-data")
    finally:
        sa.event.remove(db.engine, "commit", refuse_commit)
    assert response.status_code == 503 and "bien-ban.pdf" in response.get_data(as_text=True)
    assert _files_on_disk(app) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def test_a_save_killed_between_the_file_write_and_the_commit_leaves_no_file(client, world, app, monkeypatch):
    from app.submissions import services

    campaign, unit, group, pct, _boolean, pdf_ind = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    version = version_of(client, url)
    real_record = services.record

    def crash(session, actor, action, *args, **kwargs):
        if action == "evidence.upload":
            assert any(p.name.endswith(".part") for p in _files_on_disk(app))  # the file is written…
            raise RuntimeError("worker killed")  # …and the save dies before the commit
        return real_record(session, actor, action, *args, **kwargs)

    monkeypatch.setattr(services, "record", crash)
    with pytest.raises(RuntimeError):
        client.post_form(url, {"version": version, pct.field_name: "75",
                               pdf_ind.field_name + "_files": [(io.BytesIO(pdf_bytes()), "bien-ban.pdf")]},
                         content_type="multipart/form-data")
    assert _files_on_disk(app) == []
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def test_every_stored_evidence_row_has_its_file_and_stale_part_files_are_swept(client, world, app):
    from app.storage import get_storage

    campaign, unit, group, pct, _boolean, pdf_ind = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    client.post_form(url, {"version": version_of(client, url), pdf_ind.field_name + "_files": [(io.BytesIO(pdf_bytes()), "a.pdf")]},
                     content_type="multipart/form-data")
    item = db.session.scalar(sa.select(Evidence))
    assert [p.name for p in _files_on_disk(app)] == [item.stored_name]
    # A .part file left by a process killed before its commit is removed once old enough; a fresh one is not.
    root = Path(app.config["UPLOAD_DIR"])
    old, fresh = root / "dead.pdf.part", root / "busy.pdf.part"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(old, (0, 0))
    assert get_storage().sweep_partial() == 1
    assert not old.exists() and fresh.exists() and (root / item.stored_name).exists()


# ------------------------------------------------------------------ version conflicts


def test_two_officials_saving_a_brand_new_questionnaire_one_after_the_other(client, world, app, make_user):
    from tests.conftest import Client, FreshContextClient

    make_user("canbo.a2", "official", world["unit_a"])
    campaign, unit, group, pct, _boolean, _pdf = _g1(world)
    url = group_url(campaign, unit, group.code)
    client.login("canbo.a")
    first_version = version_of(client, url)
    other = Client(app.test_client())
    other.login("canbo.a2")
    second_version = version_of(other, url)
    assert first_version == second_version == "0"  # "no submission yet" is an explicit version
    assert client.post_form(url, {"version": first_version, pct.field_name: "50"}, content_type="multipart/form-data").status_code == 302
    response = other.post_form(url, {"version": second_version, pct.field_name: "95"}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "Canbo.A" in html and "CHƯA được lưu" in html and 'value="95"' in html
    db.session.remove()
    assert db.session.scalar(sa.select(Submission)).answer_for(pct.code).parsed == 50
    assert isinstance(app.test_client_class, type) and issubclass(app.test_client_class, FreshContextClient)


@pytest.mark.parametrize("version", [None, "", "abc", "-1", "99999999999999999999"])
def test_a_missing_or_garbage_version_is_a_conflict_never_a_skip(client, world, version):
    campaign, unit, group, pct, _boolean, _pdf = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    data = {pct.field_name: "33"} | ({} if version is None else {"version": version})
    response = client.post_form(url, data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and 'value="33"' in html and "CHƯA được lưu" in html
    assert _answers() == 0
    # The conflict page carries the right version: saving from it works.
    assert re.search(r'name="version"[^>]*value="0"', html)


def test_submit_without_a_version_is_a_conflict(client, world):
    campaign, unit, group, pct, _boolean, _pdf = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    assert client.post_form(url, {"version": version_of(client, url), pct.field_name: "33"}, content_type="multipart/form-data").status_code == 302
    overview = f"/assessments/{campaign.id}/{unit.id}/"
    response = client.post_form(f"/assessments/{campaign.id}/{unit.id}/submit", {"version": ""}, token_from=overview)
    assert response.status_code == 409 and "phiên bản" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Submission)).status == "draft"


# ------------------------------------------------------------------ the appraisal save


@pytest.fixture
def submitted(client, world):
    from tests.functional.test_review_loop import submit_all

    client.login("canbo.a")
    sub = submit_all(client, world["campaign"], world["unit_a"])
    client.logout()
    return sub


def test_appraisal_stale_form_and_missing_version_keep_the_reviewer_input(client, world, submitted):
    sid = submitted.id
    client.login("thamdinh.cqtt")
    url = f"/review/{sid}"
    page = client.get(url).get_data(as_text=True)
    token, version = _token(page), version_of(client, url)
    client.logout()
    client.login("thamdinh.cqtt")
    comment = "Ảnh minh chứng chụp mờ, đề nghị bổ sung"
    response = client.post(url, data={"csrf_token": token, "version": version, "action": "save",
                                      "ind_G1_1_met": "not_met", "ind_G1_1_comment": comment})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "KHÔNG có gì được lưu" in html and comment in html
    assert 'form="appraisal-form"' in html
    from app.review.models import Appraisal

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appraisal)) == 0
    response = client.post_form(url, {"action": "save", "ind_G1_1_comment": comment})  # no version at all
    assert response.status_code == 409 and comment in response.get_data(as_text=True)
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appraisal)) == 0


def test_appraisal_comment_over_the_quota_is_refused_and_kept(client, world, submitted, app):
    app.config["MAX_EXPLANATION_CHARS"] = 40
    client.login("thamdinh.cqtt")
    url = f"/review/{submitted.id}"
    long = "Nhận xét rất dài " * 5
    response = client.post_form(url, {"version": version_of(client, url), "action": "save", "ind_G1_1_comment": long,
                                      "ind_G1_2_comment": "Đạt"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "quá giới hạn 40 ký tự" in html and long.strip() in html


# ------------------------------------------------------------------ quotas


def test_quotas_files_per_indicator_total_per_submission_explanation_length(client, world, app):
    app.config.update(MAX_FILES_PER_INDICATOR=2, MAX_EXPLANATION_CHARS=30)
    campaign, unit, group, pct, boolean, pdf_ind = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    too_long = "Giải trình dài hơn ba mươi ký tự cho phép"
    response = client.post_form(url, {"version": version_of(client, url), pct.field_name: "60", boolean.field_name: "no",
                                      boolean.field_name + "_explanation": too_long,
                                      pdf_ind.field_name + "_files": [(io.BytesIO(pdf_bytes()), f"tep-{n}.pdf") for n in (1, 2, 3)]},
                                content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tệp “tep-3.pdf” CHƯA được lưu: mỗi chỉ tiêu nhận tối đa 2 tệp minh chứng" in html
    assert f"dài {len(too_long)} ký tự, quá giới hạn 30 ký tự nên CHƯA được lưu" in html and too_long in html
    sub = db.session.scalar(sa.select(Submission))
    assert sorted(e.original_name for e in sub.evidence) == ["tep-1.pdf", "tep-2.pdf"]
    assert sub.answer_for(pct.code).parsed == 60 and sub.answer_for(boolean.code).explanation == ""
    # Total evidence per submission.
    app.config.update(MAX_FILES_PER_INDICATOR=20, MAX_EVIDENCE_TOTAL_BYTES=1000)
    other = next(i for i in group.indicators if "pdf" in i.evidence.kinds and i.code != pdf_ind.code) if sum(
        "pdf" in i.evidence.kinds for i in group.indicators) > 1 else pdf_ind
    response = client.post_form(url, {"version": version_of(client, url), other.field_name + "_files": [(io.BytesIO(pdf_bytes()), "them.pdf")]},
                                content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Tệp “them.pdf” CHƯA được lưu: tổng minh chứng của phiếu" in html


def test_quota_defaults_are_far_above_honest_use(app):
    assert app.config["MAX_FILES_PER_INDICATOR"] == 20
    assert app.config["MAX_EVIDENCE_TOTAL_BYTES"] == 1024 * MiB
    assert app.config["MAX_EXPLANATION_CHARS"] == 20000
    assert app.config["MAX_SAVE_BYTES"] == 60 * MiB and app.config["MAX_SAVE_BODY_BYTES"] == 500 * MiB


# ------------------------------------------------------------------ deadlines in Asia/Ho_Chi_Minh


def test_a_campaign_closing_29_11_is_editable_until_23_59_59_local(client, world):
    import time_machine

    from app.clock import LOCAL_TZ

    campaign, unit, group, pct, _boolean, _pdf = _g1(world)
    campaign.opens_on, campaign.closes_on = dt.date(2026, 11, 1), dt.date(2026, 11, 29)
    db.session.commit()
    url = group_url(campaign, unit, group.code)
    with time_machine.travel(dt.datetime(2026, 11, 29, 23, 59, 59, tzinfo=LOCAL_TZ), tick=False):
        client.login("canbo.a")
        page = client.get(url).get_data(as_text=True)
        assert "đã đóng" not in page and 'id="group-form"' in page and "Lưu nháp" in page
        assert client.post_form(url, {"version": "0", pct.field_name: "20"}, content_type="multipart/form-data").status_code == 302
    with time_machine.travel(dt.datetime(2026, 11, 30, 0, 0, 0, tzinfo=LOCAL_TZ), tick=False):
        page = client.get(url).get_data(as_text=True)
        assert "Đợt đánh giá đã đóng ngày 29/11/2026; phiếu chỉ xem được." in page and "Lưu nháp" not in page
        response = client.post_form(url, {"version": "1", pct.field_name: "30"}, content_type="multipart/form-data")
        assert response.status_code == 403
    with time_machine.travel(dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=LOCAL_TZ), tick=False):
        client.login("canbo.a")  # a session cookie signed "in the future" is refused by itsdangerous
        assert "Đợt đánh giá chưa mở (mở từ 01/11/2026)" in client.get(url).get_data(as_text=True)
    db.session.remove()
    assert db.session.scalar(sa.select(Submission)).answer_for(pct.code).parsed == 20


def test_today_local_is_the_date_in_ho_chi_minh_city():
    import time_machine

    from app.submissions.services import today_local

    with time_machine.travel(dt.datetime(2026, 11, 29, 17, 0, 0, tzinfo=dt.UTC), tick=False):
        assert today_local() == dt.date(2026, 11, 30)
    with time_machine.travel(dt.datetime(2026, 11, 29, 16, 59, 59, tzinfo=dt.UTC), tick=False):
        assert today_local() == dt.date(2026, 11, 29)
