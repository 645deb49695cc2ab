"""`flask criteria ...` commands: check, list and load the criteria files."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Blueprint, current_app

from app.assessment.sources import SeedLibrary, check_sources
from app.extensions import db

from . import services

bp = Blueprint("criteria_cli", __name__, cli_group="criteria")


def _paths(paths: tuple[str, ...]) -> list[str]:
    return list(paths) or [current_app.config["CRITERIA_DIR"]]


@bp.cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--sources", "sources_dir", type=click.Path(file_okay=False), help="Folder of seed texts to check quotes against.")
def check(paths: tuple[str, ...], sources_dir: str | None) -> None:
    """Validate criteria files; errors are printed as file:line and the exit code is 1."""
    sets, errors = services.validate_paths(_paths(paths))
    if sources_dir:
        if not Path(sources_dir).is_dir():
            click.echo(f"{sources_dir}: seed folder not found", err=True)
            sys.exit(2)
        library = SeedLibrary(sources_dir)
        for path, cset in sets:
            errors += check_sources(cset, str(path), library)
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} error(s) in criteria files", err=True)
        sys.exit(1)
    checked = " and seed quotes" if sources_dir else ""
    click.echo(f"OK: {len(sets)} file(s){checked} valid")


@bp.cli.command("list")
@click.argument("paths", nargs=-1, type=click.Path())
def list_sets(paths: tuple[str, ...]) -> None:
    """List sets, versions and indicator counts (seed / proposed)."""
    sets, errors = services.validate_paths(_paths(paths))
    click.echo(f"{'code':<10}{'ver':>4}  {'groups':>6}  {'indicators':>10}  {'seed':>5}  {'proposed':>8}  applies to / name")
    for _path, cset in sorted(sets, key=lambda s: (s[1].code, s[1].version)):
        counts = cset.count_by_origin()
        click.echo(
            f"{cset.code:<10}{cset.version:>4}  {len(cset.groups):>6}  {len(cset.indicators):>10}  {counts['seed']:>5}  "
            f"{counts['proposed']:>8}  {','.join(cset.applies_to)} — {cset.name_vi}"
        )
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        sys.exit(1)


@bp.cli.command("load")
@click.argument("paths", nargs=-1, type=click.Path())
def load(paths: tuple[str, ...]) -> None:
    """Load criteria files into the database (idempotent; a changed file becomes a new revision)."""
    sets, errors = services.validate_paths(_paths(paths))
    if errors:
        for error in errors:
            click.echo(str(error), err=True)
        sys.exit(1)
    outcome = services.load_criteria(db.session, sets)
    db.session.commit()
    for label, result in outcome.items():
        click.echo(f"{label}: {result}")


DOCS_BEGIN = "<!-- BEGIN generated field tables: flask --app wsgi criteria docs -->"
DOCS_END = "<!-- END generated field tables -->"


@bp.cli.command("docs")
@click.option("--readme", type=click.Path(dir_okay=False), default=None, help="README to update (default: <CRITERIA_DIR>/README.md).")
def docs(readme: str | None) -> None:
    """Write the field tables generated from the schema between the markers of criteria/README.md."""
    from app.assessment.schema import field_tables

    path = Path(readme or Path(current_app.config["CRITERIA_DIR"]) / "README.md")
    text = path.read_text(encoding="utf-8")
    if DOCS_BEGIN not in text or DOCS_END not in text:
        click.echo(f"{path}: markers not found ({DOCS_BEGIN} … {DOCS_END})", err=True)
        sys.exit(1)
    head, rest = text.split(DOCS_BEGIN, 1)
    _old, tail = rest.split(DOCS_END, 1)
    new = f"{head}{DOCS_BEGIN}\n\n{field_tables()}\n{DOCS_END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
        click.echo(f"{path}: field tables updated")
    else:
        click.echo(f"{path}: up to date")


@bp.cli.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of a criteria file (derived from the pydantic models)."""
    import json

    from app.assessment.schema import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


def _export_source(code: str) -> tuple[dict, str] | None:
    """(data, where it came from) of the latest version of `code`: the database, else the criteria folder."""
    import sqlalchemy as sa

    from .models import CriteriaVersion

    try:
        row = db.session.scalar(
            sa.select(CriteriaVersion).where(CriteriaVersion.code == code)
            .order_by(CriteriaVersion.version.desc(), CriteriaVersion.revision.desc()).limit(1)
        )
    except sa.exc.SQLAlchemyError:  # database not created yet: fall back to the folder
        db.session.rollback()
        row = None
    if row is not None:
        return row.criteria.data, f"from the database: {row.label} (latest version, loaded from {row.source_file})"
    sets, _errors = services.validate_paths([current_app.config["CRITERIA_DIR"]])
    found = sorted((cset.version, path, cset) for path, cset in sets if cset.code == code)
    if not found:
        return None
    _version, path, cset = found[-1]
    return cset.data, f"from the criteria folder: {path} (not loaded in the database)"


@bp.cli.command("export")
@click.argument("code")
@click.option("--xlsx", "xlsx_path", required=True, type=click.Path(dir_okay=False), help="Workbook (.xlsx) to write.")
def export_command(code: str, xlsx_path: str) -> None:
    """Write the latest version of set CODE as an Excel workbook (from the database, else from the criteria folder)."""
    from app.assessment.workbook import export_workbook

    found = _export_source(code.strip().upper())
    if found is None:
        click.echo(f"{code}: no such criteria set in the database or in {current_app.config['CRITERIA_DIR']}", err=True)
        sys.exit(1)
    data, where = found
    Path(xlsx_path).write_bytes(export_workbook(data))
    click.echo(f"{data['code']} v{data['version']} {where} → {xlsx_path}")


@bp.cli.command("import")
@click.argument("xlsx_path", type=click.Path(exists=True, dir_okay=False))
def import_command(xlsx_path: str) -> None:
    """Read a criteria workbook and store it as a NEW draft version (never changes an existing version).

    Errors are printed as `sheet!cell: message` and the exit code is 1.
    """
    from app.assessment.workbook import import_workbook
    from app.criteria_sets.services import create_draft_version
    from app.errors import ValidationFailed

    data, errors = import_workbook(Path(xlsx_path).read_bytes())
    if data is None:
        for error in errors:
            click.echo(str(error), err=True)
        click.echo(f"{len(errors)} error(s) in {xlsx_path}; nothing imported", err=True)
        sys.exit(1)
    try:
        row = create_draft_version(db.session, None, data, source=Path(xlsx_path).name)
    except ValidationFailed as exc:
        db.session.rollback()
        for error in exc.errors.get("data", []):
            click.echo(f"{xlsx_path}: {error}", err=True)
        click.echo(f"{exc.message} ({xlsx_path}; nothing imported)", err=True)
        sys.exit(1)
    db.session.commit()
    given = data.get("version")
    renumbered = f" (the workbook said v{given}; a new draft always takes the next number)" if given != row.version else ""
    click.echo(f"{row.label}: imported from {xlsx_path} as a new draft version (id {row.id}){renumbered}; existing versions unchanged")
