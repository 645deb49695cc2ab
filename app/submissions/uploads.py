"""Evidence uploads: size limit, type sniffed from the bytes, zip checks, random stored names.

Files never outlive a rolled-back save: `store` writes `<random>.<ext>.part` and remembers it in
the SQLAlchemy session; just before the session commits the file is renamed to its final name,
and if the transaction ends without a commit (rollback, error, closed session) the file is
deleted. A process killed between the write and the commit leaves only a `.part` file, which no
database row names and which `sweep_partial` removes (it runs from `store` at most once an hour).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import secrets
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype
import sqlalchemy as sa
from sqlalchemy.orm import Session

#: Detected extension → (evidence kind, content type served).
ALLOWED = {
    "pdf": ("pdf", "application/pdf"),
    "png": ("image", "image/png"),
    "jpg": ("image", "image/jpeg"),
    "gif": ("image", "image/gif"),
    "webp": ("image", "image/webp"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
#: Detected extension → the name people know the format by (shown in help texts and messages).
FORMAT_LABELS = {"pdf": "PDF", "png": "PNG", "jpg": "JPEG", "gif": "GIF", "webp": "WEBP", "docx": "DOCX", "xlsx": "XLSX"}
#: Other file-name suffixes of a detected extension (a JPEG is often named .jpeg).
EXTRA_SUFFIXES = {"jpg": ("jpeg",)}


def accepted_extensions(kinds: tuple[str, ...] | list[str]) -> list[str]:
    """The detected extensions `check_upload` accepts for evidence `kinds` (e.g. ('pdf', 'image') →
    ['pdf', 'png', 'jpg', 'gif', 'webp']), in ALLOWED's order. The single source of the help text,
    the input's `accept` attribute and the validation."""
    return [ext for ext, (kind, _type) in ALLOWED.items() if kind in kinds]


def accepted_labels(kinds: tuple[str, ...] | list[str]) -> list[str]:
    """The format names accepted for `kinds`, e.g. ['PDF', 'PNG', 'JPEG', 'GIF', 'WEBP']."""
    return [FORMAT_LABELS[ext] for ext in accepted_extensions(kinds)]


def accept_attribute(kinds: tuple[str, ...] | list[str]) -> str:
    """The value of `<input type=file accept=…>` for `kinds`: file suffixes and content types,
    e.g. '.pdf,application/pdf,.png,image/png,…' (a browser hint only; `check_upload` decides)."""
    parts: list[str] = []
    for ext in accepted_extensions(kinds):
        parts += [f".{ext}", *(f".{s}" for s in EXTRA_SUFFIXES.get(ext, ())), ALLOWED[ext][1]]
    return ",".join(parts)


#: Office files are zip archives; refuse ones that expand beyond this (zip bombs).
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 5000
MAX_ZIP_RATIO = 100


#: Suffix of a file written but not yet committed.
PART_SUFFIX = ".part"
#: Key in Session.info holding the files written in the current transaction.
PENDING_KEY = "pending_uploads"
#: A `.part` file older than this (seconds) belongs to a save that died; `sweep_partial` removes it.
PART_MAX_AGE = 3600
_last_sweep: dict[str, float] = {}


class UploadError(ValueError):
    """`code` names the problem: too_large, empty, bad_type, kind_not_allowed, bad_archive, write_failed
    (the disk refused the file), too_many_files, submission_total. `params` fill the message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    kind: str
    content_type: str
    extension: str
    sha256: str


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise UploadError("bad_archive")
            total = 0
            for info in infos:
                name = info.filename
                if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
                    raise UploadError("bad_archive")
                total += info.file_size
                if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO and info.file_size > 1024 * 1024:
                    raise UploadError("bad_archive")
            if total > MAX_UNZIPPED_BYTES:
                raise UploadError("bad_archive")
    except zipfile.BadZipFile:
        raise UploadError("bad_archive") from None


def check_upload(data: bytes, allowed_kinds: tuple[str, ...], max_bytes: int) -> CheckedFile:
    """Validate one uploaded file by its content, not its name or the browser's content type.

    `allowed_kinds` are evidence kinds ('pdf', 'image', 'docx', 'xlsx'); the formats each covers are
    ALLOWED's (see `accepted_labels`). Raises UploadError: empty, too_large, bad_type and
    kind_not_allowed (both with `kinds`; kind_not_allowed also with `found`, the format detected), bad_archive.
    """
    if not data:
        raise UploadError("empty")
    if len(data) > max_bytes:
        raise UploadError("too_large", limit_mb=round(max_bytes / 1024 / 1024, 1))
    guess = filetype.guess(data)
    extension = guess.extension if guess else None
    if extension not in ALLOWED:
        raise UploadError("bad_type", kinds=tuple(allowed_kinds))
    kind, content_type = ALLOWED[extension]
    if kind not in allowed_kinds:
        raise UploadError("kind_not_allowed", kinds=tuple(allowed_kinds), found=FORMAT_LABELS[extension])
    if kind in ("docx", "xlsx"):
        _check_zip(data)
    return CheckedFile(data, kind, content_type, extension, hashlib.sha256(data).hexdigest())


@dataclass
class _Pending:
    temp: Path
    final: Path
    moved: bool = False


def store(upload_dir: str | Path, checked: CheckedFile, session: Session) -> str:
    """Write the file under a random name (no user input in the path) and return that name.

    The bytes go to `<name>.part` first; the file takes its name when `session` commits and is
    deleted when the session's transaction ends without a commit. Raises UploadError("write_failed")
    when the disk refuses the write (full, read-only, quota): no partial file is left behind.
    """
    folder = Path(upload_dir)
    name = f"{secrets.token_hex(16)}.{checked.extension}"
    temp = folder / (name + PART_SUFFIX)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _maybe_sweep(folder)
        with open(temp, "xb") as handle:
            handle.write(checked.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o640)
    except OSError as exc:
        _unlink(temp)
        raise UploadError("write_failed", reason=exc.strerror or str(exc)) from exc
    session.info.setdefault(PENDING_KEY, []).append(_Pending(temp, folder / name))
    return name


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):  # nothing more can be done; a .part file is swept later
        path.unlink(missing_ok=True)


@sa.event.listens_for(Session, "before_commit")
def _move_into_place(session: Session) -> None:
    """Give each file written in this transaction its final name, just before the database commits."""
    for item in session.info.get(PENDING_KEY, []):
        if not item.moved:
            os.replace(item.temp, item.final)
            item.moved = True


@sa.event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


@sa.event.listens_for(Session, "after_transaction_end")
def _discard_uncommitted(session: Session, transaction) -> None:
    """A transaction that ended without a commit: delete the files it wrote (renamed or not)."""
    if transaction.parent is not None:
        return
    for item in session.info.pop(PENDING_KEY, []):
        _unlink(item.final if item.moved else item.temp)


def sweep_partial(upload_dir: str | Path, max_age: float = PART_MAX_AGE) -> int:
    """Delete `.part` files older than `max_age` seconds (left by a killed save); return how many."""
    removed = 0
    cutoff = time.time() - max_age
    try:
        entries = list(os.scandir(upload_dir))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.name.endswith(PART_SUFFIX) and entry.is_file() and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


def _maybe_sweep(folder: Path) -> None:
    key = str(folder)
    if time.monotonic() - _last_sweep.get(key, -PART_MAX_AGE) >= PART_MAX_AGE:
        _last_sweep[key] = time.monotonic()
        sweep_partial(folder)


def stored_path(upload_dir: str | Path, stored_name: str) -> Path:
    """Resolve a stored name, refusing anything that would leave the upload folder."""
    root = Path(upload_dir).resolve()
    path = (root / stored_name).resolve()
    if path.parent != root:
        raise ValueError("stored name escapes the upload folder")
    return path
