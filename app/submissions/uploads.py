"""Evidence uploads: size limit, type sniffed from the bytes, zip checks, random stored names."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype

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
#: Office files are zip archives; refuse ones that expand beyond this (zip bombs).
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 5000
MAX_ZIP_RATIO = 100


class UploadError(ValueError):
    """`code` names the problem: too_large, empty, bad_type, kind_not_allowed, bad_archive."""

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
    """Validate one uploaded file by its content, not its name or the browser's content type."""
    if not data:
        raise UploadError("empty")
    if len(data) > max_bytes:
        raise UploadError("too_large", limit_mb=round(max_bytes / 1024 / 1024, 1))
    guess = filetype.guess(data)
    extension = guess.extension if guess else None
    if extension not in ALLOWED:
        raise UploadError("bad_type")
    kind, content_type = ALLOWED[extension]
    if kind not in allowed_kinds:
        raise UploadError("kind_not_allowed", kinds=", ".join(allowed_kinds))
    if kind in ("docx", "xlsx"):
        _check_zip(data)
    return CheckedFile(data, kind, content_type, extension, hashlib.sha256(data).hexdigest())


def store(upload_dir: str | Path, checked: CheckedFile) -> str:
    """Write the file under a random name (no user input in the path); return that name."""
    folder = Path(upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{checked.extension}"
    path = folder / name
    with open(path, "xb") as handle:
        handle.write(checked.data)
    os.chmod(path, 0o640)
    return name


def stored_path(upload_dir: str | Path, stored_name: str) -> Path:
    """Resolve a stored name, refusing anything that would leave the upload folder."""
    root = Path(upload_dir).resolve()
    path = (root / stored_name).resolve()
    if path.parent != root:
        raise ValueError("stored name escapes the upload folder")
    return path
