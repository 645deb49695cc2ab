"""Auth services: authenticate, create and change users. They flush; the caller commits."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.text import nfc
from app.units.models import Unit

from .models import ROLES, ReviewerScope, User
from .passwords import hash_password, verify_password

USERNAME_RE = re.compile(r"^[a-z0-9._-]{3,80}$")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class HashCost:
    time_cost: int = 3
    memory_cost: int = 65536


def require_admin(actor: User) -> None:
    if actor is None or actor.role != "admin":
        raise PermissionDenied(_("Chỉ quản trị viên được thực hiện thao tác này."))


def authenticate(session: Session, username: str, password: str, cost: HashCost) -> User | None:
    """The user when the name and password match and the account is enabled, else None.

    The same amount of hashing work is done whether or not the user exists, and the caller shows
    one generic message, so a failed login never tells whether a username exists.
    """
    name = (nfc(username) or "").lower()
    user = session.scalar(sa.select(User).where(User.username == name))
    ok = verify_password(user.password_hash if user else None, password, cost.time_cost, cost.memory_cost)
    if not ok or user is None or not user.is_enabled:
        return None
    user.last_login_at = dt.datetime.now(dt.UTC)
    session.flush()
    return user


def _validate_user_fields(session: Session, username: str | None, role: str, unit_id: int | None,
                          password: str | None, existing: User | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if username is not None:
        if not USERNAME_RE.match(username):
            errors["username"] = [_("Tên đăng nhập gồm 3-80 ký tự: chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang.")]
        elif session.scalar(sa.select(User.id).where(User.username == username)) not in (None, getattr(existing, "id", None)):
            errors["username"] = [_("Tên đăng nhập này đã được dùng.")]
    if role not in ROLES:
        errors["role"] = [_("Vai trò không hợp lệ.")]
    if role == "official":
        if unit_id is None:
            errors["unit_id"] = [_("Cán bộ đơn vị phải gắn với một đơn vị.")]
        elif session.get(Unit, unit_id) is None:
            errors["unit_id"] = [_("Không tìm thấy đơn vị.")]
    if password is not None and len(password) < MIN_PASSWORD:
        errors["password"] = [_("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD)]
    return errors


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_email(email: str | None, errors: dict[str, list[str]]) -> None:
    if email and not EMAIL_RE.match(email.strip()):
        errors["email"] = [_("Địa chỉ thư điện tử không hợp lệ.")]


def create_user(session: Session, actor: User | None, *, username: str, password: str, role: str,
                full_name: str = "", unit_id: int | None = None, scope_codes: list[str] | None = None,
                cost: HashCost = HashCost(), system: bool = False, email: str = "") -> User:
    """Create a user. `system=True` is for CLI/demo seeding, where there is no acting admin."""
    if not system:
        require_admin(actor)
    username = (nfc(username) or "").lower()
    errors = _validate_user_fields(session, username, role, unit_id, password, None)
    _check_email(email, errors)
    if errors:
        raise ValidationFailed(_("Không thể tạo người dùng. Vui lòng sửa các lỗi bên dưới."), errors)
    user = User(
        username=username,
        email=(nfc(email) or "").lower(),
        full_name=nfc(full_name) or "",
        password_hash=hash_password(password, cost.time_cost, cost.memory_cost),
        role=role,
        unit_id=unit_id if role == "official" else None,
    )
    if role == "reviewer":
        user.scopes = [ReviewerScope(set_code=c) for c in sorted(set(scope_codes or []))]
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, actor: User, user_id: int, *, role: str, full_name: str,
                unit_id: int | None, scope_codes: list[str], is_enabled: bool,
                new_password: str | None = None, cost: HashCost = HashCost(), email: str = "") -> User:
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("Không tìm thấy người dùng."))
    errors = _validate_user_fields(session, None, role, unit_id, new_password or None, user)
    _check_email(email, errors)
    if user.id == actor.id and (not is_enabled or role != "admin"):
        errors.setdefault("role", []).append(_("Bạn không thể tự khóa hoặc bỏ quyền quản trị của chính mình."))
    if errors:
        raise ValidationFailed(_("Không thể lưu người dùng. Vui lòng sửa các lỗi bên dưới."), errors)
    user.role = role
    user.email = (nfc(email) or "").lower()
    user.full_name = nfc(full_name) or ""
    user.unit_id = unit_id if role == "official" else None
    if user.is_enabled and not is_enabled:
        user.end_sessions()  # disabled: every session ends, and enabling again later does not bring them back
    user.is_enabled = is_enabled
    wanted = set(scope_codes) if role == "reviewer" else set()
    user.scopes = [s for s in user.scopes if s.set_code in wanted] + [
        ReviewerScope(set_code=c) for c in sorted(wanted - user.scope_codes)
    ]
    if new_password:
        user.password_hash = hash_password(new_password, cost.time_cost, cost.memory_cost)
        user.end_sessions()
    session.flush()
    return user


def change_own_password(session: Session, user: User, *, current_password: str, new_password: str,
                        cost: HashCost = HashCost()) -> User:
    """The logged-in `user` changes their password. Every session of theirs ends (new session token);
    the caller logs the current one in again. Raises ValidationFailed (fields current_password,
    new_password) when the current password is wrong or the new one too short."""
    errors: dict[str, list[str]] = {}
    if not verify_password(user.password_hash, current_password or "", cost.time_cost, cost.memory_cost):
        errors["current_password"] = [_("Mật khẩu hiện tại không đúng.")]
    if len(new_password or "") < MIN_PASSWORD:
        errors["new_password"] = [_("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD)]
    if errors:
        raise ValidationFailed(_("Chưa đổi được mật khẩu. Vui lòng sửa các lỗi bên dưới."), errors)
    user.password_hash = hash_password(new_password, cost.time_cost, cost.memory_cost)
    user.end_sessions()
    from app.audit.services import record

    record(session, user, "user.password_change", user)
    session.flush()
    return user


def end_user_sessions(session: Session, actor: User, user_id: int) -> User:
    """An admin logs `user_id` out everywhere: every existing session of that user ends for good.
    Returns the user; raises PermissionDenied (not an admin) or NotFound."""
    user = get_user(session, actor, user_id)
    user.end_sessions()
    from app.audit.services import record

    record(session, actor, "user.end_sessions", user, username=user.username)
    session.flush()
    return user


@dataclass(frozen=True)
class UserFilter:
    """The users list's filter: `q` searches username, full name and e-mail (tones, case and NFC/NFD ignored);
    `role` one of ROLES or ""; `unit_id` a unit's id or None; `active` True (enabled), False (locked) or None (all)."""

    q: str = ""
    role: str = ""
    unit_id: int | None = None
    active: bool | None = None


@dataclass
class UserPage:
    """One page of the users list: `users` on this page, `total` matching, `page` (1-based, clamped) of `pages`."""

    users: list[User]
    total: int
    page: int
    pages: int


#: Users per page of the admin list.
USERS_PER_PAGE = 50


def list_users(session: Session, actor: User, flt: UserFilter | None = None, page: int = 1,
               per_page: int = USERS_PER_PAGE) -> UserPage:
    """The users matching `flt`, ordered by role then username, one page of `per_page` (page clamped to 1…pages).

    Role, unit and active are filtered in SQL; the text search is done on the folded text (app.text.fold) so
    "hoa" finds "Nguyễn Thị Hoà". Units and reviewer scopes are loaded with the users (no query per row).
    Raises PermissionDenied for a non-admin."""
    from sqlalchemy.orm import selectinload

    from app.text import fold

    require_admin(actor)
    flt = flt or UserFilter()
    query = sa.select(User).options(selectinload(User.unit), selectinload(User.scopes)).order_by(User.role, User.username)
    if flt.role:
        query = query.where(User.role == flt.role)
    if flt.unit_id is not None:
        query = query.where(User.unit_id == flt.unit_id)
    if flt.active is not None:
        query = query.where(User.is_enabled == sa.literal(flt.active))
    users = list(session.scalars(query))
    needle = fold(flt.q.strip())
    if needle:
        users = [u for u in users if needle in fold(u.username) or needle in fold(u.full_name) or needle in fold(u.email)]
    pages = max(1, -(-len(users) // per_page))
    page = min(max(page, 1), pages)
    return UserPage(users[(page - 1) * per_page: page * per_page], len(users), page, pages)


def get_user(session: Session, actor: User, user_id: int) -> User:
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("Không tìm thấy người dùng."))
    return user
