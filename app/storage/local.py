"""The local-folder storage backend (STORAGE_BACKEND=local, the default): objects are files under UPLOAD_DIR."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from . import CHUNK, PART_MAX_AGE, BadKey, HashingReader, KeyNotFound, Storage, WriteFailed, check_key

#: Suffix of a file written but not yet in place (the temporary file of `save`, and `save_pending`'s partial file).
PART_SUFFIX = ".part"


class LocalStorage(Storage):
    """Files under `root` (created on first write). Key `a/b.pdf` is the file `root/a/b.pdf`; a key that would
    resolve outside `root` (through '..' or a symbolic link) is refused with BadKey. Writes go to a `.part` file,
    are flushed to disk (fsync) and then renamed, so a reader never sees half a file. Files are mode 0640."""

    name = "local"

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def describe(self) -> str:
        """The folder's path."""
        return str(self.root)

    def path(self, key: str) -> Path:
        """The file of `key`. Raises BadKey when it would leave the folder."""
        check_key(key)
        root = self.root.resolve()
        path = (root / key).resolve()
        if root not in path.parents:
            raise BadKey(f"storage key {key!r} leaves {root}")
        return path

    def save(self, key: str, fileobj: IO[bytes]) -> tuple[int, str]:
        """See Storage.save. The temporary file `<key>.<random>.part` is removed on failure (or swept if the
        process dies). Raises WriteFailed with the system's reason (e.g. 'No space left on device')."""
        path = self.path(key)
        temp = path.with_name(f"{path.name}.{secrets.token_hex(4)}{PART_SUFFIX}")
        reader = HashingReader(fileobj)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "xb") as handle:
                while chunk := reader.read(CHUNK):
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o640)
            os.replace(temp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
            raise WriteFailed(exc.strerror or str(exc)) from exc
        return reader.size, reader.hexdigest

    def open(self, key: str) -> IO[bytes]:
        """See Storage.open: the file opened for reading."""
        try:
            return open(self.path(key), "rb")  # noqa: SIM115 - the caller closes it
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyNotFound(key) from None

    def delete(self, key: str) -> None:
        """See Storage.delete."""
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()

    def exists(self, key: str) -> bool:
        """See Storage.exists."""
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        """See Storage.size."""
        path = self.path(key)
        if not path.is_file():
            raise KeyNotFound(key)
        return path.stat().st_size

    def keys(self, prefix: str = "") -> Iterator[str]:
        """See Storage.keys: every regular file below the folder (not `.part` files), as '/'-separated keys."""
        if not self.root.is_dir():
            return
        for folder, _dirs, files in os.walk(self.root):
            base = Path(folder).relative_to(self.root).as_posix()
            for name in files:
                key = name if base == "." else f"{base}/{name}"
                if not name.endswith(PART_SUFFIX) and key.startswith(prefix):
                    yield key

    def move(self, src: str, dst: str) -> None:
        """See Storage.move: a rename within the folder."""
        try:
            os.replace(self.path(src), self.path(dst))
        except FileNotFoundError:
            raise KeyNotFound(src) from None
        except OSError as exc:
            raise WriteFailed(exc.strerror or str(exc)) from exc

    def partial_key(self, key: str) -> str:
        """`<key>.part`, beside the final file."""
        return key + PART_SUFFIX

    def sweep_partial(self, max_age: float = PART_MAX_AGE) -> int:
        """See Storage.sweep_partial: `.part` files anywhere below the folder whose modification time is older."""
        removed = 0
        cutoff = time.time() - max_age
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if not name.endswith(PART_SUFFIX):
                    continue
                path = os.path.join(folder, name)
                try:
                    if os.stat(path).st_mtime < cutoff:
                        os.unlink(path)
                        removed += 1
                except OSError:
                    continue
        return removed

    def send(self, key: str, download_name: str, mimetype: str):
        """See Storage.send: Flask's send_file on the path (Content-Length, Last-Modified, ETag, ranges; the
        server's sendfile when it has one), through app.web.send_attachment, exactly as before this module."""
        from app.web import send_attachment

        path = self.path(key)
        if not path.is_file():
            raise KeyNotFound(key)
        return send_attachment(path, mimetype, download_name)
