"""`flask storage …`: move stored files between the local folder and an S3-compatible bucket, and check them.

    flask storage migrate --from local --to s3     # copy every file the database names, verify each by SHA-256
    flask storage migrate --from s3 --to local     # and back
    flask storage check                            # every file the database names is there (and intact)

Both backends are configured at once for a migration: the local side is UPLOAD_DIR (or --upload-dir), the S3
side the S3_* variables, whatever STORAGE_BACKEND says. Switch STORAGE_BACKEND after a clean migration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from . import BACKENDS, CERTIFICATES, EXPORTS, BadKey, KeyNotFound, Storage, StorageError, build


@dataclass(frozen=True)
class Reference:
    """One stored file the database names: its key, what names it (for messages), and the SHA-256 and size
    recorded at upload (evidence only; None elsewhere)."""

    key: str
    owner: str
    sha256: str | None = None
    size: int | None = None


def referenced(session) -> Iterator[Reference]:
    """Every stored file the database names: evidence files, decision scans, certificate PDFs and the results of
    finished export jobs. Rows are read in batches (no whole table in memory)."""
    from app.certificates.models import Certificate
    from app.jobs.models import ExportJob
    from app.review.models import RecognitionDecision
    from app.submissions.models import Evidence

    queries = (
        (sa.select(Evidence.id, Evidence.stored_name, Evidence.sha256, Evidence.size), "evidence", ""),
        (sa.select(RecognitionDecision.id, RecognitionDecision.scan_stored_name, sa.null(), sa.null())
         .where(RecognitionDecision.scan_stored_name.is_not(None)), "decision scan", ""),
        (sa.select(Certificate.id, Certificate.pdf_stored_name, sa.null(), sa.null()).where(Certificate.pdf_stored_name.is_not(None)),
         "certificate", CERTIFICATES),
        (sa.select(ExportJob.id, ExportJob.stored_name, sa.null(), sa.null())
         .where(ExportJob.stored_name.is_not(None), ExportJob.stored_name != ""), "export job", EXPORTS),
    )
    for query, owner, prefix in queries:
        for row_id, name, sha, size in session.execute(query.execution_options(yield_per=1000)):
            if name:
                yield Reference(prefix + name, f"{owner} {row_id}", sha, size)


@dataclass
class Tally:
    """Counts printed at the end of a command, and the problems found (key → sentence)."""

    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, what: str, problem: str | None = None) -> None:
        """Count one `what`; a `problem` sentence is printed at once (to stderr) and kept."""
        self.counts[what] = self.counts.get(what, 0) + 1
        if problem:
            self.problems.append(problem)
            click.echo(problem, err=True)


def _storage(backend: str, upload_dir: str | None) -> Storage:
    config = dict(current_app.config)
    if upload_dir:
        config["UPLOAD_DIR"] = upload_dir
    try:
        return build(config, backend)
    except ValueError as exc:
        raise click.ClickException(f"{backend}: {exc}") from None


def _targets(source: Storage, every_key: bool) -> Iterator[Reference]:
    from app.extensions import db

    seen: set[str] = set()
    for ref in referenced(db.session):
        if ref.key not in seen:
            seen.add(ref.key)
            yield ref
    if every_key:
        for key in source.keys(""):
            if key not in seen:
                seen.add(key)
                yield Reference(key, "no database row")


def migrate(source: Storage, target: Storage, refs, tally: Tally, dry_run: bool = False) -> None:
    """Copy each reference's object from `source` to `target`, streaming, and verify the copy by reading it back
    and comparing SHA-256 with the bytes read from the source. A copy already in `target` with the source's
    SHA-256 is left alone ("already there"), so a second run copies only what is missing or different. The
    SHA-256 recorded at upload (evidence) is checked too. Counts go to `tally` (copied, verified already there,
    missing in source, mismatch, bad key)."""
    for ref in refs:
        try:
            if target.exists(ref.key):
                source_sum = source.sha256(ref.key)
                if target.sha256(ref.key) == source_sum:
                    tally.add("already there (verified)")
                    continue
            if dry_run:
                tally.add("to copy")
                continue
            size, digest = target.copy_from(source, ref.key)
        except KeyNotFound:
            tally.add("missing in source", f"MISSING {ref.key} ({ref.owner}): not found in {source.describe()}")
            continue
        except BadKey:
            tally.add("bad key", f"BAD KEY {ref.key!r} ({ref.owner}): refused, not copied")
            continue
        except StorageError as exc:
            tally.add("failed", f"FAILED {ref.key} ({ref.owner}): {exc}")
            continue
        copy_size, copy_digest = target.sha256(ref.key)
        if (copy_size, copy_digest) != (size, digest):
            tally.add("mismatch", f"MISMATCH {ref.key} ({ref.owner}): source sha256 {digest} ({size} bytes), copy in "
                                  f"{target.describe()} sha256 {copy_digest} ({copy_size} bytes)")
        elif ref.sha256 and ref.sha256 != digest:
            tally.add("mismatch", f"MISMATCH {ref.key} ({ref.owner}): source sha256 {digest} differs from the {ref.sha256} "
                                  "recorded at upload (the source file was changed or damaged; copied as it is)")
        else:
            tally.add("copied")


def check(storage: Storage, refs, tally: Tally, verify: bool) -> None:
    """For each reference: present in `storage`; with `verify`, evidence also re-hashed against the SHA-256 and
    size recorded at upload. Counts go to `tally` (ok, missing, mismatch, bad key)."""
    for ref in refs:
        try:
            if verify and ref.sha256:
                size, digest = storage.sha256(ref.key)
                if (ref.sha256, ref.size) != (digest, size):
                    tally.add("mismatch", f"MISMATCH {ref.key} ({ref.owner}): sha256 {digest} ({size} bytes), recorded "
                                          f"{ref.sha256} ({ref.size} bytes)")
                    continue
            elif not storage.exists(ref.key):
                raise KeyNotFound(ref.key)
        except KeyNotFound:
            tally.add("missing", f"MISSING {ref.key} ({ref.owner}): not found in {storage.describe()}")
            continue
        except BadKey:
            tally.add("bad key", f"BAD KEY {ref.key!r} ({ref.owner})")
            continue
        tally.add("ok")


def _summary(tally: Tally) -> str:
    return ", ".join(f"{what}: {n}" for what, n in sorted(tally.counts.items())) or "nothing to do"


@click.group("storage")
def storage_cli() -> None:
    """Stored files (evidence, decision scans, certificates, exports): migrate between backends, check."""


@storage_cli.command("migrate")
@click.option("--from", "source_name", type=click.Choice(BACKENDS), required=True, help="Backend to copy from.")
@click.option("--to", "target_name", type=click.Choice(BACKENDS), required=True, help="Backend to copy to.")
@click.option("--upload-dir", default=None, help="The local folder (default: UPLOAD_DIR).")
@click.option("--all-keys", is_flag=True, help="Also copy objects of the source that no database row names.")
@click.option("--dry-run", is_flag=True, help="Only count what would be copied.")
@with_appcontext
def migrate_command(source_name: str, target_name: str, upload_dir: str | None, all_keys: bool, dry_run: bool) -> None:
    """Copy every stored file the database names from one backend to the other, verifying each copy by SHA-256.

    Safe to run again: copies already verified are skipped. The source is never changed. Exits 1 if any file is
    missing in the source, or any copy does not match (each is named on stderr)."""
    if source_name == target_name:
        raise click.UsageError("--from and --to must differ")
    source, target = _storage(source_name, upload_dir), _storage(target_name, upload_dir)
    click.echo(f"copying from {source.describe()} to {target.describe()}{' (dry run)' if dry_run else ''}")
    tally = Tally()
    migrate(source, target, _targets(source, all_keys), tally, dry_run)
    click.echo(_summary(tally))
    if tally.problems:
        raise click.ClickException(f"{len(tally.problems)} problem(s), listed above; fix them and run the command again "
                                   "(verified copies are skipped). Do not switch STORAGE_BACKEND yet.")
    if not dry_run:
        click.echo(f"all files verified; you can now set STORAGE_BACKEND={target_name}")


@storage_cli.command("check")
@click.option("--backend", type=click.Choice(BACKENDS), default=None, help="Backend to check (default: STORAGE_BACKEND).")
@click.option("--upload-dir", default=None, help="The local folder (default: UPLOAD_DIR).")
@click.option("--verify/--no-verify", default=True, help="Re-hash evidence against the SHA-256 recorded at upload (default on).")
@click.option("--sweep", is_flag=True, help="Also delete partial files older than an hour (left by killed saves).")
@click.option("--orphans", is_flag=True, help="Also count stored objects that no database row names (not deleted).")
@with_appcontext
def check_command(backend: str | None, upload_dir: str | None, verify: bool, sweep: bool, orphans: bool) -> None:
    """Check that every stored file the database names is present (and evidence intact). Exits 1 on any problem."""
    from app.extensions import db

    storage = _storage(backend or current_app.config["STORAGE_BACKEND"], upload_dir)
    click.echo(f"checking {storage.describe()}")
    tally = Tally()
    if sweep:
        click.echo(f"partial files removed: {storage.sweep_partial()}")
    refs = list(referenced(db.session))
    check(storage, refs, tally, verify)
    if orphans:
        named = {r.key for r in refs}
        tally.counts["not named by the database"] = sum(1 for key in storage.keys("") if key not in named)
    click.echo(_summary(tally))
    if tally.problems:
        raise click.ClickException(f"{len(tally.problems)} problem(s), listed above")
