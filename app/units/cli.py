"""`flask units ...` commands."""

from __future__ import annotations

import click
from flask import Blueprint

from app.extensions import db

from . import services

bp = Blueprint("units_cli", __name__, cli_group="units")


@bp.cli.command("load")
@click.option("--sample/--no-sample", default=False, help="Also load the labelled sample departments and schools.")
def load(sample: bool) -> None:
    """Load the official 2025 units of Hải Phòng (province code 31). Idempotent."""
    counts = services.load_official_units(db.session)
    if sample:
        services.load_sample_units(db.session)
    db.session.commit()
    by_type = services.count_by_type(db.session)
    click.echo(f"units: {counts['created']} created, {counts['updated']} updated; by type: {by_type}")
