"""Evidence uploads: size limit, type sniffed from the bytes, zip checks, random stored names.

Uploads stream: `check_file` reads the request's (spooled) file in chunks, hashing and counting it, and sniffs
the type from its first bytes; `store` streams it into the storage backend (app.storage). No file is held whole
in memory. Files never outlive a rolled-back save: `store` writes through `app.storage.save_pending`, so the
object takes its name when the SQLAlchemy session commits and is deleted when the transaction ends without a
commit; a process killed in between leaves only a partial object, which the storage's sweep removes.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass
from typing import IO

import filetype
from sqlalchemy.orm import Session

from app import storage

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
#: Bytes filetype looks at to tell a format (its signature length).
HEAD_BYTES = 8192


class UploadError(ValueError):
    """`code` names the problem: too_large, empty, bad_type, kind_not_allowed, bad_archive, write_failed
    (the disk refused the file), too_many_files, submission_total. `params` fill the message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed `check_file`: its kind, content type, detected extension, SHA-256 (hex) and size
    (bytes). `data` holds the bytes only when it was checked from memory (`check_upload`); otherwise `source`
    is the seekable file object it was read from. `open()` gives a reader from the first byte."""

    data: bytes | None
    kind: str
    content_type: str
    extension: str
    sha256: str
    size: int = 0
    source: IO[bytes] | None = None

    def open(self) -> IO[bytes]:
        """A binary reader positioned at the file's first byte."""
        if self.data is not None:
            return io.BytesIO(self.data)
        if self.source is None:
            raise ValueError("a CheckedFile without data has a source")
        self.source.seek(0)
        return self.source


def _check_zip(fileobj: IO[bytes]) -> None:
    try:
        with zipfile.ZipFile(fileobj) as archive:
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


def check_file(fileobj: IO[bytes], allowed_kinds: tuple[str, ...], max_bytes: int) -> CheckedFile:
    """Validate one uploaded file by its content, not its name or the browser's content type, reading it in
    chunks (`fileobj` must be seekable: the request's spooled file, or a BytesIO).

    `allowed_kinds` are evidence kinds ('pdf', 'image', 'docx', 'xlsx'); the formats each covers are
    ALLOWED's (see `accepted_labels`). Reading stops as soon as `max_bytes` is passed. Raises UploadError:
    empty, too_large, bad_type and kind_not_allowed (both with `kinds`; kind_not_allowed also with `found`, the
    format detected), bad_archive. Returns a CheckedFile whose `source` is `fileobj`, rewound.
    """
    fileobj.seek(0)
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := fileobj.read(storage.CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise UploadError("too_large", limit_mb=round(max_bytes / 1024 / 1024, 1))
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        digest.update(chunk)
    if not size:
        raise UploadError("empty")
    guess = filetype.guess(head)
    extension = guess.extension if guess else None
    if extension not in ALLOWED:
        raise UploadError("bad_type", kinds=tuple(allowed_kinds))
    kind, content_type = ALLOWED[extension]
    if kind not in allowed_kinds:
        raise UploadError("kind_not_allowed", kinds=tuple(allowed_kinds), found=FORMAT_LABELS[extension])
    if kind in ("docx", "xlsx"):
        fileobj.seek(0)
        _check_zip(fileobj)
    fileobj.seek(0)
    return CheckedFile(None, kind, content_type, extension, digest.hexdigest(), size, fileobj)


def check_upload(data: bytes, allowed_kinds: tuple[str, ...], max_bytes: int) -> CheckedFile:
    """`check_file` on bytes already in memory (same checks, same errors); the CheckedFile keeps `data`."""
    if not data:
        raise UploadError("empty")
    checked = check_file(io.BytesIO(data), allowed_kinds, max_bytes)
    return CheckedFile(data, checked.kind, checked.content_type, checked.extension, checked.sha256, checked.size)


def store(checked: CheckedFile, session: Session) -> str:
    """Stream the file into the storage backend (app.storage.get_storage()) under a random name (no user input
    in the key) and return that name, which is also its key.

    The backend comes from the configuration. The object takes its name when `session` commits and is deleted when the session's transaction ends without a
    commit (app.storage.save_pending). Raises UploadError("write_failed") when the backend refuses the write
    (disk full, read-only, bucket unreachable), or when the bytes stored are not the bytes checked: nothing is
    left behind.
    """
    name = f"{secrets.token_hex(16)}.{checked.extension}"
    try:
        size, digest = storage.save_pending(session, name, checked.open())
    except storage.WriteFailed as exc:
        raise UploadError("write_failed", reason=exc.reason) from exc
    if (size, digest) != (checked.size, checked.sha256):
        storage.discard_pending(session, name)
        raise UploadError("write_failed", reason="the file changed while it was stored")
    return name
