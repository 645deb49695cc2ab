"""Sessions end for good (logout, password change, disabling, log out everywhere, idle expiry), each checked with
a copy of the raw session cookie taken before; and the production refusal of per-worker rate limits."""

from __future__ import annotations

import datetime as dt
import runpy
import socket
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from app.audit.models import AuditEntry
from app.auth.models import User
from app.extensions import db
from tests.conftest import PASSWORD, Client, FreshContextClient, _reset_schema

PROTECTED = "/assessments/"
START = dt.datetime(2026, 11, 27, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def cookie_of(client: Client) -> str:
    """The raw value of the client's session cookie (what a thief would copy)."""
    cookie = client.c.get_cookie("session")
    assert cookie is not None and cookie.value
    return cookie.value


def replay(app, raw_cookie: str) -> Client:
    """A fresh browser that sends only the stolen cookie."""
    app.test_client_class = FreshContextClient
    thief = app.test_client()
    thief.set_cookie("session", raw_cookie)
    return Client(thief)


def is_logged_in(client: Client) -> bool:
    response = client.c.get(PROTECTED)
    if response.status_code == 302:
        assert "/login" in response.location
        return False
    assert response.status_code == 200
    return True


def token_of(username: str) -> str:
    db.session.expire_all()
    return db.session.scalar(sa.select(User.session_token).where(User.username == username))


def test_session_cookie_holds_a_random_token_not_the_user_id(client, world):
    client.login("canbo.a")
    with client.c.session_transaction() as session:
        assert session["_user_id"] == token_of("canbo.a")
    assert len(token_of("canbo.a")) >= 40 and token_of("canbo.a") != token_of("canbo.b")


def test_cookie_copied_before_logout_does_not_work_afterwards(app, client, world):
    assert client.login("canbo.a").status_code == 302
    stolen = cookie_of(client)
    assert is_logged_in(replay(app, stolen))  # the copy works while the session lives
    assert client.logout().status_code == 302
    assert not is_logged_in(client)
    assert not is_logged_in(replay(app, stolen))
    assert client.login("canbo.a").status_code == 302 and is_logged_in(client)  # logging in again works
    assert not is_logged_in(replay(app, stolen))  # ...and does not revive the old cookie


def test_logout_ends_every_session_of_the_user(app, client, world):
    other = replay(app, "")
    other.login("canbo.a")
    client.login("canbo.a")
    client.logout()
    assert not is_logged_in(other)


def test_own_password_change_ends_other_sessions_and_keeps_this_one(app, client, world):
    laptop = replay(app, "")
    laptop.login("canbo.a")
    client.login("canbo.a")
    stolen = cookie_of(client)
    # Wrong current password and a mismatched confirmation: refused, nothing changes, sessions live on.
    wrong = client.post_form("/account/password", {"current_password": "sai-mat-khau", "new_password": "mat-khau-moi-2",
                                                   "confirm_password": "mat-khau-moi-2"})
    assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng." in wrong.get_data(as_text=True)
    mismatch = client.post_form("/account/password", {"current_password": PASSWORD, "new_password": "mat-khau-moi-2",
                                                      "confirm_password": "mat-khau-moi-3"})
    assert mismatch.status_code == 422 and "Hai lần nhập mật khẩu mới không giống nhau." in mismatch.get_data(as_text=True)
    assert is_logged_in(laptop) and is_logged_in(replay(app, stolen))
    # The real change.
    page = client.get("/account/password").get_data(as_text=True)
    assert "Đổi mật khẩu" in page
    done = client.post_form("/account/password", {"current_password": PASSWORD, "new_password": "mat-khau-moi-2",
                                                   "confirm_password": "mat-khau-moi-2"})
    assert done.status_code == 302
    assert "Mọi phiên đăng nhập khác của bạn đã kết thúc." in client.get(done.location, follow_redirects=True).get_data(as_text=True)
    assert is_logged_in(client)  # this session goes on, with the new token
    assert not is_logged_in(laptop)
    assert not is_logged_in(replay(app, stolen))
    assert client.logout().status_code == 302
    assert client.login("canbo.a", PASSWORD).status_code == 401
    assert client.login("canbo.a", "mat-khau-moi-2").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "user.password_change")) == 1


def test_admin_password_reset_ends_the_users_sessions(app, client, world):
    official = replay(app, "")
    official.login("canbo.a")
    stolen = cookie_of(official)
    client.login("quantri")
    user = world["official_a"]
    response = client.post_form(f"/admin/users/{user.id}", {"full_name": "Cán bộ A", "role": "official", "unit_id": str(world["unit_a"].id),
                                                            "is_enabled": "y", "password": "dat-lai-mat-khau"})
    assert response.status_code == 302
    assert not is_logged_in(official) and not is_logged_in(replay(app, stolen))
    assert is_logged_in(client)  # the admin's own session is untouched


def test_admin_changing_own_password_keeps_own_session(client, world):
    client.login("quantri")
    admin = world["admin"]
    response = client.post_form(f"/admin/users/{admin.id}", {"full_name": "Quản trị", "role": "admin", "unit_id": "", "is_enabled": "y",
                                                             "password": "mat-khau-quan-tri-moi"})
    assert response.status_code == 302 and is_logged_in(client)


def _set_enabled(client: Client, world, enabled: bool):
    user = world["official_a"]
    data = {"full_name": "Cán bộ A", "role": "official", "unit_id": str(world["unit_a"].id)}
    if enabled:
        data["is_enabled"] = "y"
    response = client.post_form(f"/admin/users/{user.id}", data)
    assert response.status_code == 302


def test_disabling_ends_sessions_and_enabling_again_does_not_revive_them(app, client, world):
    official = replay(app, "")
    official.login("canbo.a")
    stolen = cookie_of(official)
    client.login("quantri")
    _set_enabled(client, world, False)
    assert not is_logged_in(replay(app, stolen))
    _set_enabled(client, world, True)
    assert not is_logged_in(replay(app, stolen))
    assert not is_logged_in(official)
    assert official.login("canbo.a").status_code == 302 and is_logged_in(official)


def test_admin_logs_a_user_out_everywhere(app, client, world):
    phone, desk = replay(app, ""), replay(app, "")
    phone.login("canbo.a")
    desk.login("canbo.a")
    stolen = cookie_of(desk)
    client.login("quantri")
    user = world["official_a"]
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Đăng xuất mọi nơi" in page and f"/admin/users/{user.id}/end-sessions" in page
    response = client.post_form(f"/admin/users/{user.id}/end-sessions", token_from=f"/admin/users/{user.id}")
    assert response.status_code == 302
    assert "Đã đăng xuất canbo.a khỏi mọi nơi" in client.get(response.location).get_data(as_text=True)
    assert not is_logged_in(phone) and not is_logged_in(desk) and not is_logged_in(replay(app, stolen))
    assert is_logged_in(client)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.end_sessions"))
    assert entry is not None and entry.object_id == user.id and entry.actor_id == world["admin"].id
    # Without a CSRF token nothing happens; a non-admin is refused.
    before = token_of("canbo.b")
    assert client.c.post(f"/admin/users/{world['official_b'].id}/end-sessions").status_code == 400
    other = replay(app, "")
    other.login("canbo.a")
    assert other.post_form(f"/admin/users/{world['official_b'].id}/end-sessions", token_from="/").status_code == 403
    assert token_of("canbo.b") == before


def test_admin_logging_themself_out_everywhere_ends_own_session(client, world):
    client.login("quantri")
    admin = world["admin"]
    response = client.post_form(f"/admin/users/{admin.id}/end-sessions", token_from=f"/admin/users/{admin.id}")
    assert response.status_code == 302 and response.location.endswith("/login")
    assert not is_logged_in(client)


# ------------------------------------------------------------------ idle expiry

def test_idle_session_expires_after_8_hours_with_a_message_and_next(app, client, world):
    with time_machine.travel(START, tick=False) as clock:
        client.login("canbo.a")
        clock.shift(dt.timedelta(hours=7, minutes=59))
        assert is_logged_in(client)  # 7 h 59 idle: still on, and the request counts as activity
        clock.shift(dt.timedelta(hours=7, minutes=59))
        stolen = cookie_of(client)
        assert is_logged_in(client)
        clock.shift(dt.timedelta(hours=8, minutes=1))
        response = client.c.get("/assessments/?tab=1")
        assert response.status_code == 302 and "/login?next=" in response.location
        page = client.get(response.location).get_data(as_text=True)
        assert "Phiên làm việc đã hết hạn do không hoạt động quá 8 giờ; vui lòng đăng nhập lại." in page
        assert not is_logged_in(client)
        assert not is_logged_in(replay(app, stolen))  # a copy of the idle cookie has the same old stamp
        # Logging in again offers the page the user was on.
        login = client.post_form(response.location, {"username": "canbo.a", "password": PASSWORD}, token_from="/login")
        assert login.status_code == 302 and login.location == "/assessments/?tab=1"
        assert is_logged_in(client)


def test_idle_timeout_is_configurable_and_named_in_minutes(app, client, world):
    app.config["IDLE_TIMEOUT_MINUTES"] = 90
    with time_machine.travel(START, tick=False) as clock:
        client.login("canbo.a")
        clock.shift(dt.timedelta(minutes=89))
        assert is_logged_in(client)
        clock.shift(dt.timedelta(minutes=91))
        response = client.c.get(PROTECTED, follow_redirects=True)
        assert "không hoạt động quá 90 phút" in response.get_data(as_text=True)


def test_expired_post_keeps_what_was_typed_and_saves_nothing(app, client, world):
    with time_machine.travel(START, tick=False) as clock:
        client.login("quantri")
        token = client.token("/admin/users/new")
        clock.shift(dt.timedelta(hours=9))
        response = client.c.post("/admin/users/new", data={"csrf_token": token, "username": "canbo.moi", "full_name": "Nguyễn Thị Hoà",
                                                            "password": "bi-mat-123456", "role": "viewer"})
        html = response.get_data(as_text=True)
        assert response.status_code == 401
        assert "Phiên làm việc đã hết hạn do không hoạt động quá 8 giờ" in html and "CHƯA được lưu" in html
        assert "Nguyễn Thị Hoà" in html and "canbo.moi" in html and "bi-mat-123456" not in html
        assert "/login?next=/admin/users/new" in html
        assert db.session.scalar(sa.select(User).where(User.username == "canbo.moi")) is None


def test_next_after_expiry_never_leaves_the_site(client, world):
    with time_machine.travel(START, tick=False) as clock:
        client.login("canbo.a")
        clock.shift(dt.timedelta(hours=9))
        client.c.get(PROTECTED)
        login = client.post_form("/login?next=https://evil.example/", {"username": "canbo.a", "password": PASSWORD}, token_from="/login")
        assert login.location == "/"


# ------------------------------------------------------------------ configuration

def test_settings_are_read_when_the_app_is_created(monkeypatch):
    from app import create_app

    monkeypatch.setenv("IDLE_TIMEOUT_MINUTES", "30")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6399/3")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["IDLE_TIMEOUT_MINUTES"] == 30 and app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6399/3"
    monkeypatch.setenv("IDLE_TIMEOUT_MINUTES", "tám giờ")
    with pytest.raises(ValueError, match="IDLE_TIMEOUT_MINUTES"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize(("workers", "storage", "refused"), [
    ("3", "", True), ("3", "memory://", True), ("1", "", False), ("3", "redis://127.0.0.1:6399/0", False),
])
def test_production_refuses_in_memory_rate_limits_with_several_workers(monkeypatch, workers, storage, refused):
    from app import InsecureConfig, create_app

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("WEB_CONCURRENCY", workers)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", storage)
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k" * 40}
    if refused:
        with pytest.raises(InsecureConfig, match=r"RATELIMIT_STORAGE_URI is memory:// but 3 web workers .*redis://"):
            create_app(config)
    else:
        assert create_app(config).config["RATELIMIT_STORAGE_URI"] == (storage or "memory://")


def test_gunicorn_refuses_memory_limits_with_several_workers_in_production(monkeypatch):
    from app.config import PROJECT_ROOT

    settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    with pytest.raises(SystemExit, match="RATELIMIT_STORAGE_URI"):
        settings["on_starting"](SimpleNamespace(cfg=SimpleNamespace(workers=3)))
    settings["on_starting"](SimpleNamespace(cfg=SimpleNamespace(workers=1)))
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    settings["on_starting"](SimpleNamespace(cfg=SimpleNamespace(workers=3)))
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    settings["on_starting"](SimpleNamespace(cfg=SimpleNamespace(workers=3)))


def test_login_still_works_when_the_shared_rate_limit_store_is_down(monkeypatch):
    """Redis unreachable: the limiter falls back to this worker's memory (still limited), never a 500."""
    from app import create_app
    from app.auth.services import HashCost, create_user
    from app.config import TestConfig

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens here once the socket is closed

    class DownConfig(TestConfig):
        RATELIMIT_STORAGE_URI = f"redis://127.0.0.1:{closed_port}/0"
        LOGIN_RATE_LIMIT = "3 per hour"

    app = create_app(DownConfig)
    app.test_client_class = FreshContextClient
    with app.app_context():
        _reset_schema()  # its own app, not the fixture's: start from an empty database (PostgreSQL keeps the last test's rows)
        db.create_all()
        create_user(db.session, None, username="xem", password=PASSWORD, role="viewer", cost=HashCost(1, 1024), system=True)
        db.session.commit()
        client = Client(app.test_client())
        assert [client.login("xem", "sai-mat-khau").status_code for _ in range(3)] == [401, 401, 401]
        assert client.login("xem").status_code == 429
        db.session.remove()
