"""`flask users create-admin`: the first administrator of a new installation (no demo data needed)."""

from __future__ import annotations

import click
from flask import Blueprint, current_app

from app.errors import ValidationFailed
from app.extensions import db

from . import services

bp = Blueprint("users_cli", __name__, cli_group="users")


@bp.cli.command("create-admin")
@click.argument("username")
@click.option("--full-name", default="", help="Full name shown in the app.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters (prompted).")
def create_admin(username: str, full_name: str, password: str) -> None:
    """Create an administrator account."""
    cost = services.HashCost(current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    try:
        user = services.create_user(db.session, None, username=username, password=password, role="admin", full_name=full_name,
                                    cost=cost, system=True)
    except ValidationFailed as exc:
        for field, messages in exc.errors.items():
            for message in messages:
                click.echo(f"{field}: {message}", err=True)
        raise click.ClickException(exc.message) from None
    from app.audit.services import record

    record(db.session, None, "admin.create", user, username=user.username, via="cli")
    db.session.commit()
    click.echo(f"administrator {user.username} created")
