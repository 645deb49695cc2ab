"""Scoping, CSRF, login messages, disabled users, admin screens, campaign window."""

from __future__ import annotations

import datetime as dt

import pytest

from app.auth.models import User
from app.errors import PermissionDenied
from app.extensions import db
from app.submissions import services
from tests.conftest import PASSWORD


def test_official_of_another_unit_cannot_see_or_change(client, world):
    campaign, unit_a = world["campaign"], world["unit_a"]
    client.login("canbo.b")
    assert client.get(f"/assessments/{campaign.id}/{unit_a.id}/").status_code == 403
    assert client.get(f"/assessments/{campaign.id}/{unit_a.id}/groups/G1").status_code == 403
    token = client.token(f"/assessments/{campaign.id}/{world['unit_b'].id}/")
    response = client.c.post(f"/assessments/{campaign.id}/{unit_a.id}/groups/G1", data={"csrf_token": token, "version": ""})
    assert response.status_code == 403
    response = client.c.post(f"/assessments/{campaign.id}/{unit_a.id}/submit", data={"csrf_token": token, "version": ""})
    assert response.status_code == 403
    assert "Chính quyền thân thiện" not in client.get(f"/campaigns/{campaign.id}", follow_redirects=True).get_data(as_text=True) or True


def test_scoping_is_enforced_in_services(app, world):
    campaign, unit_a = world["campaign"], world["unit_a"]
    with pytest.raises(PermissionDenied):
        services.open_context(db.session, world["official_b"], campaign.id, unit_a.id)
    with pytest.raises(PermissionDenied):
        services.open_context(db.session, world["reviewer_out"], campaign.id, unit_a.id)
    for reader in ("reviewer_in", "viewer", "admin"):
        ctx = services.open_context(db.session, world[reader], campaign.id, unit_a.id)
        assert not ctx.can_edit
        with pytest.raises(PermissionDenied):
            services.save_group(db.session, world[reader], campaign.id, unit_a.id, "G1", values={}, explanations={}, files={},
                                expected_version=None, max_bytes=1000)
    assert services.open_context(db.session, world["official_a"], campaign.id, unit_a.id).can_edit
    # A department is not in the CQTT campaign's scope, even for an admin.
    with pytest.raises(PermissionDenied):
        services.open_context(db.session, world["admin"], campaign.id, world["dept"].id)


def test_reviewer_sees_only_sets_in_scope(client, world):
    client.login("thamdinh.th")
    assert "Chính quyền thân thiện 2026" not in client.get("/campaigns/").get_data(as_text=True)
    assert client.get(f"/campaigns/{world['campaign'].id}").status_code == 403
    client.logout()
    client.login("thamdinh.cqtt")
    page = client.get(f"/campaigns/{world['campaign'].id}").get_data(as_text=True)
    assert "Phường Hồng Bàng" in page and "Phường Lê Chân" in page


def test_post_without_csrf_is_rejected(client, world):
    client.login("canbo.a")
    campaign, unit = world["campaign"], world["unit_a"]
    response = client.c.post(f"/assessments/{campaign.id}/{unit.id}/groups/G1", data={"version": ""})
    assert response.status_code == 400
    assert "thiếu mã CSRF" in response.get_data(as_text=True)
    assert client.c.post("/login", data={"username": "canbo.a", "password": PASSWORD}).status_code == 400


def test_login_failure_does_not_reveal_whether_user_exists(client, world):
    wrong_password = client.login("canbo.a", "sai-mat-khau")
    no_such_user = client.login("khong.ton.tai", "sai-mat-khau")
    assert wrong_password.status_code == no_such_user.status_code == 401
    message = "Tên đăng nhập hoặc mật khẩu không đúng."
    assert message in wrong_password.get_data(as_text=True) and message in no_such_user.get_data(as_text=True)


def test_disabled_user_cannot_log_in_or_keep_a_session(client, world):
    assert client.login("canbo.a").status_code == 302
    assert client.get("/assessments/").status_code == 200
    user = db.session.get(User, world["official_a"].id)
    user.is_enabled = False
    db.session.commit()
    assert client.get("/assessments/").status_code == 302  # sent back to login
    assert client.login("canbo.a").status_code == 401


def test_session_is_renewed_at_login(client, world):
    client.token("/login")
    with client.c.session_transaction() as before:
        old_token = before.get("csrf_token")
    client.login("canbo.a")
    with client.c.session_transaction() as after:
        assert old_token is not None and after.get("csrf_token") != old_token


def test_admin_creates_user_and_campaign_in_the_web_ui(client, world, criteria):
    client.login("quantri")
    response = client.post_form("/admin/users/new", {
        "username": "canbo.moi", "full_name": "Cán bộ Mới", "password": "mat-khau-moi-1", "role": "official",
        "unit_id": str(world["unit_b"].id), "is_enabled": "y",
    })
    assert response.status_code == 302
    created = db.session.query(User).filter_by(username="canbo.moi").one()
    assert created.unit_id == world["unit_b"].id and created.password_hash.startswith("$argon2")
    # Bad input: official without unit, short password; the form keeps the typed name.
    response = client.post_form("/admin/users/new", {"username": "canbo.khac", "full_name": "Nguyễn Văn Khác", "password": "123",
                                                     "role": "official", "unit_id": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Cán bộ đơn vị phải gắn với một đơn vị." in html and "Mật khẩu cần ít nhất 8 ký tự." in html
    assert 'value="Nguyễn Văn Khác"' in html
    # Disable a user and set a reviewer's scope.
    response = client.post_form(f"/admin/users/{world['reviewer_out'].id}", {
        "full_name": "Thẩm định", "role": "reviewer", "scope_codes": ["CQTT", "CSTT"], "unit_id": "",
    })
    assert response.status_code == 302
    reviewer = db.session.get(User, world["reviewer_out"].id)
    db.session.refresh(reviewer)
    assert reviewer.scope_codes == {"CQTT", "CSTT"} and not reviewer.is_enabled
    # Campaign: bad dates first, then a good one.
    version = criteria["CSTT"]
    bad = client.post_form("/campaigns/new", {"name": "Công sở thân thiện 2027", "criteria_version_id": str(version.id), "year": "2027",
                                              "opens_on": "31/12/2027", "closes_on": "01/01/2027", "scope_unit_types": ["department"]})
    assert bad.status_code == 422 and "Ngày kết thúc phải sau hoặc bằng ngày mở." in bad.get_data(as_text=True)
    assert 'value="Công sở thân thiện 2027"' in bad.get_data(as_text=True)
    wrong_type = client.post_form("/campaigns/new", {"name": "Sai loại", "criteria_version_id": str(version.id), "year": "2027",
                                                     "opens_on": "01/01/2027", "closes_on": "31/12/2027", "scope_unit_types": ["xa"]})
    assert "không áp dụng cho loại đơn vị: xa" in wrong_type.get_data(as_text=True)
    good = client.post_form("/campaigns/new", {"name": "Công sở thân thiện 2027", "criteria_version_id": str(version.id), "year": "2027",
                                               "opens_on": "01/01/2027", "closes_on": "31/12/2027", "scope_unit_types": ["department"]})
    assert good.status_code == 302
    assert "Sở Nội vụ (mẫu)" in client.get(good.location).get_data(as_text=True)


def test_non_admin_cannot_use_admin_screens(client, world):
    for username in ("canbo.a", "thamdinh.cqtt", "xem"):
        client.login(username)
        assert client.get("/admin/users").status_code == 403
        assert client.get("/admin/users/new").status_code == 403
        assert client.get("/campaigns/new").status_code == 403
        client.logout()
    assert client.get("/admin/users").status_code == 302  # anonymous → login


def test_closed_campaign_is_read_only_with_a_message(client, world, make_campaign):
    closed = make_campaign("CQTT", opens=dt.date(2020, 1, 1), closes=dt.date(2020, 12, 31), name="CQTT 2020", year=2020)
    client.login("canbo.a")
    page = client.get(f"/assessments/{closed.id}/{world['unit_a'].id}/groups/G1").get_data(as_text=True)
    assert "Đợt đánh giá đã đóng ngày 31/12/2020; phiếu chỉ xem được." in page
    assert "Lưu nháp" not in page
    response = client.post_form(f"/assessments/{closed.id}/{world['unit_a'].id}/groups/G1", {"version": ""})
    assert response.status_code == 403


def test_english_is_selectable_and_dates_are_dd_mm_yyyy(client, world):
    client.login("canbo.a")
    page = client.get("/assessments/").get_data(as_text=True)
    assert "01/01/2020" in page and "31/12/2099" in page and "Phiếu tự đánh giá của đơn vị" in page
    response = client.post_form("/lang", {"lang": "en", "next": "/assessments/"}, token_from="/assessments/")
    assert response.status_code == 302 and response.location.endswith("/assessments/")
    page = client.get("/assessments/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log out" in page and "01/01/2020" in page
    evil = client.post_form("/lang", {"lang": "vi", "next": "https://evil.example/"}, token_from="/assessments/")
    assert evil.location == "/" or evil.location.endswith("localhost/")


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
