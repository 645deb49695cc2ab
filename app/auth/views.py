"""Login, logout and the admin user screens."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.errors import ValidationFailed
from app.extensions import db, limiter
from app.web import commit_after, csrf_rerender, invalid_form, render_service_errors, safe_next

from . import services
from .forms import ROLE_CHOICES, EndSessionsForm, LoginForm, PasswordChangeForm, UserFilterForm, UserForm

bp = Blueprint("auth", __name__)


def hash_cost() -> services.HashCost:
    return services.HashCost(current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])


def _login_rerender():
    """The login page after a missing or stale CSRF token (e.g. the session expired while the page was open): the
    username typed is kept, never the password (app.web.csrf_rerender)."""
    return render_template("auth/login.html", form=LoginForm())


@bp.route("/login", methods=["GET", "POST"])
@csrf_rerender(_login_rerender, anonymous=True)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@commit_after
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.username.data, form.password.data, hash_cost())
        if user is None:
            flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "error")
            return render_template("auth/login.html", form=form), 401
        lang = session.get("lang")
        session.clear()  # new session at login
        if lang:
            session["lang"] = lang
        login_user(user)
        if user.role == "admin":
            from app.audit.services import record

            record(db.session, user, "admin.login", user, ip=request.remote_addr)
        return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@commit_after
def logout():
    """End every session of this user for good (new session token), then this browser's session."""
    if current_user.is_authenticated:
        current_user.end_sessions()
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))


def _password_rerender():
    """The change-password page after a missing or stale CSRF token; passwords are never shown back."""
    return render_template("auth/password.html", form=PasswordChangeForm(formdata=None))


@bp.route("/account/password", methods=["GET", "POST"])
@csrf_rerender(_password_rerender)
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@commit_after
def change_password():
    """"Đổi mật khẩu": other sessions end; this one goes on with the new session token."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(db.session, current_user, current_password=form.current_password.data,
                                         new_password=form.new_password.data, cost=hash_cost())
        except ValidationFailed as exc:
            return render_service_errors("auth/password.html", form, exc)
        login_user(current_user._get_current_object())  # this session carries the new token
        flash(_("Đã đổi mật khẩu. Mọi phiên đăng nhập khác của bạn đã kết thúc."), "success")
        return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200


def _user_form(obj=None) -> UserForm:
    from app.campaigns.services import known_set_codes, set_choices
    from app.units.services import unit_choices

    form = UserForm(obj=obj)
    form.unit_id.choices = [("", _("— không —"))] + unit_choices(db.session)
    form.scope_codes.choices = set_choices(db.session, known_set_codes(db.session))
    form.owner_codes.choices = set_choices(db.session, known_set_codes(db.session))
    return form


def _save_owner_codes(form: UserForm, user) -> None:
    """Criteria-owner scopes (app.criteria_sets) are saved with the user; ValidationFailed comes back to the form."""
    from app.criteria_sets.services import set_owned_codes

    set_owned_codes(db.session, current_user, user, form.owner_codes.data or [])


@bp.route("/admin/users")
@login_required
def users():
    """The users list with search (q), filters (role, unit_id, active = 1/0) and pages (page); a filter value that
    cannot be read is ignored with a message."""
    from app.params import int_arg, warn_ignored_filters
    from app.units.services import unit_choices

    services.require_admin(current_user)
    form = UserFilterForm(request.args)
    form.role.choices = [("", _("Mọi vai trò"))] + [(code, str(label)) for code, label in ROLE_CHOICES]
    form.unit_id.choices = [("", _("Mọi đơn vị"))] + unit_choices(db.session)
    warn_ignored_filters(form)
    query = (form.q.data or "").strip()[:100]
    flt = services.UserFilter(q=query, role=form.role.data or "", unit_id=form.unit_id.data, active=form.active.data)
    result = services.list_users(db.session, current_user, flt, int_arg("page", 1, minimum=1) or 1)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("auth/users.html", users=result.users, result=result, form=form, filtered=bool(args), page_args=args)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@csrf_rerender()
@login_required
@commit_after
def user_new():
    services.require_admin(current_user)
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session, current_user, username=form.username.data, password=form.password.data or "",
                role=form.role.data, full_name=form.full_name.data, unit_id=form.unit_id.data,
                scope_codes=form.scope_codes.data, cost=hash_cost(), email=form.email.data or "",
            )
            _save_owner_codes(form, user)
        except ValidationFailed as exc:
            return render_service_errors("auth/user_form.html", form, exc, creating=True)
        flash(_("Đã tạo người dùng %(name)s.", name=user.username), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, creating=True), 422 if form.errors else 200


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@csrf_rerender()
@login_required
@commit_after
def user_edit(user_id: int):
    user = services.get_user(db.session, current_user, user_id)
    form = _user_form(obj=user)
    if request.method == "GET":
        form.scope_codes.data = sorted(user.scope_codes)
        form.owner_codes.data = sorted(s.set_code for s in user.owned_sets)
    if form.validate_on_submit():
        try:
            services.update_user(
                db.session, current_user, user.id, role=form.role.data, full_name=form.full_name.data,
                unit_id=form.unit_id.data, scope_codes=form.scope_codes.data, is_enabled=form.is_enabled.data,
                new_password=form.password.data or None, cost=hash_cost(), email=form.email.data or "",
            )
            _save_owner_codes(form, user)
        except ValidationFailed as exc:
            return render_service_errors("auth/user_form.html", form, exc, creating=False, user=user)
        if user.id == current_user.id:
            login_user(user)  # an admin who changed their own password keeps this session, with the new token
        flash(_("Đã lưu người dùng %(name)s.", name=user.username), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, creating=False, user=user,
                           ), 422 if form.errors else 200


@bp.route("/admin/users/<int:user_id>/end-sessions", methods=["POST"])
@login_required
@commit_after
def user_end_sessions(user_id: int):
    """"Đăng xuất mọi nơi": every session of the user ends for good (an admin doing it to themself is logged out too)."""
    form = EndSessionsForm()
    if not form.validate_on_submit():
        return invalid_form()
    user = services.end_user_sessions(db.session, current_user, user_id)
    if user.id == current_user.id:
        logout_user()
        session.clear()
        flash(_("Bạn đã đăng xuất khỏi mọi nơi."), "info")
        return redirect(url_for("auth.login"))
    flash(_("Đã đăng xuất %(name)s khỏi mọi nơi; người này phải đăng nhập lại.", name=user.username), "success")
    return redirect(url_for("auth.user_edit", user_id=user.id))

