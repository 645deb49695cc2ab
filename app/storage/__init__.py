"""Where evidence files, decision scans, certificate PDFs and export results live: one interface, two backends.

`get_storage()` returns the backend the configuration names (STORAGE_BACKEND):

- ``local`` (default): a folder, UPLOAD_DIR. Keys are the paths relative to it, exactly the names used before
  this module existed (evidence ``<name>``, ``certificates/<name>``, ``exports/<name>``), so an existing
  install needs no move.
- ``s3``: an S3-compatible bucket (MinIO, a cloud's object storage) through boto3: S3_BUCKET, S3_ENDPOINT_URL,
  S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_PREFIX (prepended to every key).

Every backend offers `save(key, fileobj) -> (size, sha256)`, `open(key)`, `delete(key)`, `exists(key)`,
`size(key)`, `keys(prefix)`, `send(key, download_name, mimetype)` and `sha256(key)`; files stream through in
chunks (CHUNK bytes), never whole in memory.

Files never outlive a rolled-back transaction: `save_pending(session, key, fileobj)` writes a partial object
first and remembers it in the SQLAlchemy session; just before the session commits it takes its final key, and
if the transaction ends without a commit (rollback, error, closed session) it is deleted. A process killed
between the write and the commit leaves only a partial object, which no database row names and which
`Storage.sweep_partial` removes (run from `save_pending` at most once an hour per process, and by
`flask storage check --sweep`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

#: Bytes read or written at a time when a file streams through.
CHUNK = 64 * 1024
#: Key prefixes of the generated files (evidence and decision scans sit at the top level).
CERTIFICATES = "certificates/"
EXPORTS = "exports/"
#: A partial object older than this (seconds) belongs to a save that died; `sweep_partial` removes it.
PART_MAX_AGE = 3600
#: Key in Session.info holding the objects written in the current transaction.
PENDING_KEY = "pending_uploads"
BACKENDS = ("local", "s3")
#: The configuration keys that decide which storage `get_storage` builds.
SETTING_KEYS = ("STORAGE_BACKEND", "UPLOAD_DIR", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "S3_ACCESS_KEY_ID",
                "S3_SECRET_ACCESS_KEY", "S3_PREFIX")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class StorageError(Exception):
    """Base class of the storage errors."""


class KeyNotFound(StorageError, FileNotFoundError):  # noqa: N818 - reads like the condition it names
    """No object is stored under the key."""


class BadKey(StorageError, ValueError):  # noqa: N818
    """A key that could leave the storage root (``..``, absolute, empty segment) or has characters keys never have."""


class WriteFailed(StorageError):  # noqa: N818
    """The backend refused a write (disk full, read-only, bucket unreachable). `reason` says why, in the backend's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_key(key: str) -> str:
    """Return `key` if it is a safe relative key: segments of letters, digits, '.', '_', '-' separated by '/',
    none empty, '.' or '..', at most 512 characters. Raises BadKey otherwise (path traversal refused here,
    before any backend sees the key)."""
    if not isinstance(key, str) or not key or len(key) > 512:
        raise BadKey(f"bad storage key {key!r}")
    for segment in key.split("/"):
        if segment in ("", ".", "..") or not set(segment) <= _KEY_CHARS:
            raise BadKey(f"bad storage key {key!r}")
    return key


class HashingReader:
    """Wraps a binary file object: every `read` feeds a SHA-256 and a byte count. Not seekable on purpose, so that
    a consumer (boto3's transfer manager) reads it once, front to back."""

    def __init__(self, source: IO[bytes]):
        self.source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        """Up to `n` bytes (all the rest when n < 0), hashed and counted."""
        data = self.source.read(n if n is not None and n >= 0 else -1)
        self.digest.update(data)
        self.size += len(data)
        return data

    def readable(self) -> bool:
        """Always True (a reader)."""
        return True

    @property
    def hexdigest(self) -> str:
        """The SHA-256 of the bytes read so far, lowercase hex."""
        return self.digest.hexdigest()


class Storage:
    """The storage interface. Keys are relative, '/'-separated (see check_key). Subclasses implement the
    primitives; `sha256` and `copy_from` are built on them."""

    #: "local" or "s3".
    name = ""

    def describe(self) -> str:
        """Where the objects are, for messages (a folder path, or s3://bucket/prefix)."""
        raise NotImplementedError

    def save(self, key: str, fileobj: IO[bytes]) -> tuple[int, str]:
        """Store the bytes of `fileobj` (read in chunks from its current position) under `key`, replacing any
        object there, atomically (a reader sees the old object or the whole new one). Returns (size in bytes,
        SHA-256 hex). Raises BadKey, WriteFailed (nothing is left behind)."""
        raise NotImplementedError

    def open(self, key: str) -> IO[bytes]:
        """A binary reader of the object (read in chunks; close it, or use it in a `with`). Raises KeyNotFound, BadKey."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove the object; no error when it is already gone. Raises BadKey."""
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`. Raises BadKey."""
        raise NotImplementedError

    def size(self, key: str) -> int:
        """The object's size in bytes. Raises KeyNotFound, BadKey."""
        raise NotImplementedError

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with `prefix` (partial objects excluded), in no particular order."""
        raise NotImplementedError

    def move(self, src: str, dst: str) -> None:
        """Give the object `src` the key `dst` (replacing any object there); `src` is gone afterwards.
        Raises KeyNotFound, WriteFailed."""
        raise NotImplementedError

    def partial_key(self, key: str) -> str:
        """Where `save_pending` writes `key` before its transaction commits."""
        raise NotImplementedError

    def sweep_partial(self, max_age: float = PART_MAX_AGE) -> int:
        """Delete partial objects older than `max_age` seconds (left by a process killed before its commit);
        return how many were deleted."""
        raise NotImplementedError

    def send(self, key: str, download_name: str, mimetype: str):
        """A streaming Flask response that downloads the object: Content-Type exactly `mimetype`, Content-Length,
        Content-Disposition attachment with the cleaned `download_name`, X-Content-Type-Options nosniff (see
        app.web.send_attachment). The body is read in chunks while the response is sent. Raises KeyNotFound, BadKey."""
        raise NotImplementedError

    def sha256(self, key: str) -> tuple[int, str]:
        """(size, SHA-256 hex) of the stored object, read in chunks. Raises KeyNotFound, BadKey."""
        digest, size = hashlib.sha256(), 0
        with self.open(key) as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return size, digest.hexdigest()

    def copy_from(self, other: Storage, key: str) -> tuple[int, str]:
        """Stream the object `key` of `other` into this storage under the same key; returns (size, SHA-256 hex)
        of the bytes read from `other`. Raises KeyNotFound (in `other`), WriteFailed."""
        with other.open(key) as handle:
            return self.save(key, handle)


# ------------------------------------------------------------------ configuration


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The storage settings from the environment (default os.environ), read when the app is created:
    STORAGE_BACKEND ("local"), S3_BUCKET (""), S3_ENDPOINT_URL ("" = AWS), S3_REGION ("us-east-1"),
    S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY ("" = boto3's own credential chain), S3_PREFIX ("").
    UPLOAD_DIR stays in app.config.Config. Values are stripped; nothing is validated here (see check_settings)."""
    import os

    env = os.environ if environ is None else environ

    def get(name: str, default: str = "") -> str:
        return (env.get(name) or "").strip() or default

    return {"STORAGE_BACKEND": get("STORAGE_BACKEND", "local").lower(), "S3_BUCKET": get("S3_BUCKET"),
            "S3_ENDPOINT_URL": get("S3_ENDPOINT_URL"), "S3_REGION": get("S3_REGION", "us-east-1"),
            "S3_ACCESS_KEY_ID": get("S3_ACCESS_KEY_ID"), "S3_SECRET_ACCESS_KEY": get("S3_SECRET_ACCESS_KEY"),
            "S3_PREFIX": get("S3_PREFIX")}


def check_settings(config: Mapping[str, Any], backend: str | None = None) -> None:
    """Raise ValueError naming the variable when the settings of `backend` (default STORAGE_BACKEND) cannot work:
    an unknown backend, s3 without S3_BUCKET, or a prefix that is not a safe key."""
    backend = backend or config.get("STORAGE_BACKEND") or "local"
    if backend not in BACKENDS:
        raise ValueError(f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "local" and not config.get("UPLOAD_DIR"):
        raise ValueError("UPLOAD_DIR must be set for STORAGE_BACKEND=local")
    if backend == "s3":
        if not config.get("S3_BUCKET"):
            raise ValueError("S3_BUCKET must be set for STORAGE_BACKEND=s3")
        prefix = (config.get("S3_PREFIX") or "").strip("/")
        if prefix:
            try:
                check_key(prefix)
            except BadKey:
                raise ValueError(f"S3_PREFIX must be letters, digits, '.', '_', '-' and '/', not {prefix!r}") from None


def build(config: Mapping[str, Any], backend: str | None = None) -> Storage:
    """A new storage object for `backend` ("local" or "s3"; default STORAGE_BACKEND) from `config` (a mapping
    holding SETTING_KEYS). Raises ValueError as check_settings does."""
    backend = backend or config.get("STORAGE_BACKEND") or "local"
    check_settings(config, backend)
    if backend == "s3":
        from .s3 import S3Storage

        return S3Storage(bucket=config["S3_BUCKET"], endpoint_url=config.get("S3_ENDPOINT_URL") or None,
                         region=config.get("S3_REGION") or "us-east-1", access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
                         secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None, prefix=config.get("S3_PREFIX") or "")
    from .local import LocalStorage

    return LocalStorage(config["UPLOAD_DIR"])


def get_storage(app=None) -> Storage:
    """The storage of `app` (default: the current app), built from its config on first use and rebuilt when
    one of SETTING_KEYS changes. Raises ValueError on unusable settings, RuntimeError outside an app context."""
    from flask import current_app

    app = app or current_app._get_current_object()
    settings = tuple(app.config.get(k) for k in SETTING_KEYS)
    cached = app.extensions.get("storage")
    if cached is None or cached[0] != settings:
        cached = (settings, build(app.config))
        app.extensions["storage"] = cached
    return cached[1]


def init_app(app) -> None:
    """Validate the storage settings (ValueError naming the variable) and register `flask storage`."""
    check_settings(app.config)
    from .cli import storage_cli

    app.cli.add_command(storage_cli)


# ------------------------------------------------------------------ transactional saves


@dataclass
class _Pending:
    storage: Storage
    partial: str
    key: str
    moved: bool = False


_last_sweep: dict[str, float] = {}


def _maybe_sweep(storage: Storage) -> None:
    where = storage.describe()
    if time.monotonic() - _last_sweep.get(where, -PART_MAX_AGE) >= PART_MAX_AGE:
        _last_sweep[where] = time.monotonic()
        try:
            storage.sweep_partial()
        except Exception:  # noqa: BLE001 - a failed sweep must not fail a save; it runs again later
            log.warning("sweep of partial files in %s failed", where, exc_info=True)


def save_pending(session: Session, key: str, fileobj: IO[bytes], storage: Storage | None = None) -> tuple[int, str]:
    """Store `fileobj` under `key` as part of `session`'s transaction; returns (size, SHA-256 hex).

    The bytes go to `storage.partial_key(key)` now; the object takes `key` when the session commits and is
    deleted when the transaction ends without a commit. Raises BadKey, WriteFailed (nothing left behind).
    `storage` defaults to get_storage().
    """
    storage = storage or get_storage()
    check_key(key)
    _maybe_sweep(storage)
    partial = storage.partial_key(key)
    result = storage.save(partial, fileobj)
    session.info.setdefault(PENDING_KEY, []).append(_Pending(storage, partial, key))
    return result


def discard_pending(session: Session, key: str) -> None:
    """Forget and delete an object `save_pending` wrote under `key` in this transaction (no error if none)."""
    items = session.info.get(PENDING_KEY, [])
    for item in [i for i in items if i.key == key]:
        items.remove(item)
        _quiet_delete(item.storage, item.key if item.moved else item.partial)


def _quiet_delete(storage: Storage, key: str) -> None:
    with contextlib.suppress(Exception):  # nothing more can be done; a partial object is swept later
        storage.delete(key)


@sa.event.listens_for(Session, "before_commit")
def _move_into_place(session: Session) -> None:
    """Give each object written in this transaction its final key, just before the database commits
    (a failure here aborts the commit, and the rollback deletes the objects)."""
    for item in session.info.get(PENDING_KEY, []):
        if not item.moved:
            item.storage.move(item.partial, item.key)
            item.moved = True


@sa.event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


@sa.event.listens_for(Session, "after_transaction_end")
def _discard_uncommitted(session: Session, transaction) -> None:
    """A transaction that ended without a commit: delete the objects it wrote (moved or not)."""
    if transaction.parent is not None:
        return
    for item in session.info.pop(PENDING_KEY, []):
        _quiet_delete(item.storage, item.key if item.moved else item.partial)
