"""`flask backup DEST` / `flask restore SRC`: SQLite through its online backup API, PostgreSQL through
pg_dump / pg_restore (custom format). Stored files (evidence, scans, certificates, exports) are not in the
database: back up UPLOAD_DIR (STORAGE_BACKEND=local) or the bucket (STORAGE_BACKEND=s3) as well; see
`files_backup_hint`."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess  # nosec B404  # noqa: S404 - runs pg_dump/pg_restore with fixed arguments, no shell
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db


def _pg_tool(name: str) -> str:
    for candidate in (shutil.which(name), f"/usr/lib/postgresql/15/bin/{name}"):
        if candidate and Path(candidate).exists():
            return candidate
    raise click.ClickException(f"{name} not found: install the PostgreSQL client tools")


def _pg_args(url: sa.URL) -> tuple[list[str], dict]:
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432), "-U", url.username or "postgres", "-d", url.database or ""]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, env


def backup_database(dest: Path) -> None:
    url = sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    dest.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        raw = db.engine.raw_connection()
        try:
            target = sqlite3.connect(dest)
            raw.driver_connection.backup(target)
            target.close()
        finally:
            raw.close()
        return
    args, env = _pg_args(url)
    import os

    subprocess.run([_pg_tool("pg_dump"), "-Fc", "-f", str(dest), *args], check=True, env={**os.environ, **env})  # nosec B603  # noqa: S603


def restore_database(src: Path) -> None:
    if not src.is_file():
        raise click.ClickException(f"{src}: no such backup file")
    url = sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(src)
        raw = db.engine.raw_connection()
        try:
            source.backup(raw.driver_connection)
        finally:
            raw.close()
            source.close()
        return
    db.engine.dispose()
    args, env = _pg_args(url)
    import os

    subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(src)],  # nosec B603  # noqa: S603
                   check=True, env={**os.environ, **env})


def files_backup_hint(config) -> str:
    """What to back up besides the database, from the storage settings in `config`: the folder UPLOAD_DIR, or
    the bucket (and prefix) with its endpoint."""
    if config.get("STORAGE_BACKEND") == "s3":
        prefix = (config.get("S3_PREFIX") or "").strip("/")
        where = f"s3://{config.get('S3_BUCKET')}/{prefix + '/' if prefix else ''}"
        endpoint = config.get("S3_ENDPOINT_URL")
        return (f"back up the bucket {where}{' at ' + endpoint if endpoint else ''} as well (bucket versioning or replication, "
                "or a copy such as `mc mirror` / `aws s3 sync`)")
    return f"back up {config.get('UPLOAD_DIR')} as well"


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(dest: str) -> None:
    """Back up the database to DEST (SQLite file copy, or pg_dump custom format)."""
    backup_database(Path(dest))
    click.echo(f"database backed up to {dest}; {files_backup_hint(current_app.config)}")


@click.command("restore")
@click.argument("src", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(src: str, yes: bool) -> None:
    """Replace the database's content with the backup SRC."""
    if not yes:
        click.confirm("This replaces every row in the database. Continue?", abort=True)
    restore_database(Path(src))
    click.echo(f"database restored from {src}")
