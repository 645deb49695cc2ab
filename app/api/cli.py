"""`flask api-tokens issue|revoke|list`: API tokens from the command line (audited with via=cli)."""

from __future__ import annotations

import datetime as dt

import click
import sqlalchemy as sa
from flask import Blueprint

from app.errors import DomainError, ValidationFailed
from app.extensions import db

from . import services

bp = Blueprint("api_tokens_cli", __name__, cli_group="api-tokens")


@bp.cli.command("issue")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--expires", "expires", default=None, help="Local date YYYY-MM-DD from which the token is refused (optional).")
def issue(username: str, name: str, expires: str | None) -> None:
    """Issue a token to USERNAME and print it once (only its SHA-256 is stored)."""
    from app.auth.models import User

    from .admin import expiry_of

    user = db.session.scalar(sa.select(User).where(User.username == username.lower()))
    if user is None:
        raise click.ClickException(f"no user {username}")
    try:
        day = dt.date.fromisoformat(expires) if expires else None
    except ValueError:
        raise click.ClickException("--expires must be YYYY-MM-DD") from None
    try:
        token, plain = services.issue_token(db.session, None, user.id, name, expiry_of(day), system=True)
    except ValidationFailed as exc:
        raise click.ClickException("; ".join(m for ms in exc.errors.values() for m in ms) or exc.message) from None
    db.session.commit()
    click.echo(f"token {token.id} ({token.prefix}) for {user.username}; shown once, store it now:")
    click.echo(plain)


@bp.cli.command("revoke")
@click.argument("token")
def revoke(token: str) -> None:
    """Revoke a token given by its id or its prefix."""
    from .models import ApiToken

    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == token.lower())) if not token.isdigit() else db.session.get(ApiToken, int(token))
    if row is None:
        raise click.ClickException(f"no token {token}")
    try:
        services.revoke_token(db.session, None, row.id, system=True)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"token {row.id} ({row.prefix}) revoked")


@bp.cli.command("list")
def list_() -> None:
    """Every token: id, prefix, user, state, expiry, last use, purpose."""
    now = dt.datetime.now(dt.UTC)
    for t in services.list_tokens(db.session, None, system=True):
        expires = t.expires_at.date().isoformat() if t.expires_at else "-"
        used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "-"
        click.echo(f"{t.id}\t{t.prefix}\t{t.user.username}\t{t.state(now)}\t{expires}\t{used}\t{t.name}")
