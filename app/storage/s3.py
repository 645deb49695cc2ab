"""The S3-compatible storage backend (STORAGE_BACKEND=s3): objects in a bucket, through boto3.

Works with AWS S3, MinIO and the S3-compatible object storage of Vietnamese clouds. With S3_ENDPOINT_URL set,
requests use path-style addressing (http://host/bucket/key), which every S3-compatible server accepts, and
checksums are only sent where S3 requires them (boto3's newer default CRC headers are refused by some
S3-compatible servers). Uploads stream through boto3's transfer manager (multipart above 8 MiB, so at most a
few 8 MiB parts are in memory at once); downloads stream the response body in chunks.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import IO

from . import CHUNK, PART_MAX_AGE, HashingReader, KeyNotFound, Storage, WriteFailed, check_key

#: Partial objects (see save_pending) live under this key prefix, so a sweep lists only them.
PARTIAL_PREFIX = "_partial/"
#: Multipart threshold and part size of uploads and copies (bytes).
PART_BYTES = 8 * 1024 * 1024
_SESSION = None
_SESSION_LOCK = threading.Lock()


class S3Reader:
    """A binary reader over an S3 response body: `read(n)` in chunks, `close()`, usable in `with`. Deliberately
    without `fileno()` (a WSGI server must not try sendfile on it)."""

    def __init__(self, body, size: int, last_modified: dt.datetime | None = None):
        self.body = body
        #: Content-Length of the object (bytes).
        self.size = size
        self.last_modified = last_modified

    def read(self, n: int = -1) -> bytes:
        """Up to `n` bytes of the body (all the rest when n is -1 or None)."""
        return self.body.read(None if n is None or n < 0 else n)

    def readable(self) -> bool:
        """Always True."""
        return True

    def close(self) -> None:
        """Release the HTTP connection."""
        self.body.close()

    def __enter__(self) -> S3Reader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class S3Storage(Storage):
    """Objects in `bucket`, each under `prefix` + key. Credentials: the given key pair, else boto3's own chain
    (AWS_* variables, instance role). The client is created once and shared by threads (boto3 clients are
    thread-safe)."""

    name = "s3"

    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str = "us-east-1", access_key_id: str | None = None,
                 secret_access_key: str | None = None, prefix: str = ""):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.endpoint_url = endpoint_url
        prefix = prefix.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        config = Config(region_name=region, retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=60,
                        s3={"addressing_style": "path"} if endpoint_url else None,
                        request_checksum_calculation="when_required", response_checksum_validation="when_required")
        with _SESSION_LOCK:  # one boto3 session (its loaded service models) for every client; creating clients is not thread-safe
            global _SESSION
            if _SESSION is None:
                _SESSION = boto3.session.Session()
            self.client = _SESSION.client("s3", endpoint_url=endpoint_url, aws_access_key_id=access_key_id,
                                          aws_secret_access_key=secret_access_key, config=config)
        self.transfer = TransferConfig(multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES, max_concurrency=2,
                                       use_threads=True)
        from botocore.exceptions import BotoCoreError, ClientError

        self._errors = (BotoCoreError, ClientError)

    def describe(self) -> str:
        """s3://bucket/prefix (and the endpoint when not AWS)."""
        where = f"s3://{self.bucket}/{self.prefix}"
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    @staticmethod
    def _missing(exc) -> bool:
        error = getattr(exc, "response", {}).get("Error", {})
        return str(error.get("Code")) in ("404", "NoSuchKey", "NotFound")

    def save(self, key: str, fileobj: IO[bytes]) -> tuple[int, str]:
        """See Storage.save: one streamed upload (multipart above PART_BYTES; an aborted upload leaves no object).
        Raises WriteFailed with the server's or the connection's message."""
        target = self._key(key)
        reader = HashingReader(fileobj)
        try:
            self.client.upload_fileobj(reader, self.bucket, target, Config=self.transfer)
        except self._errors as exc:
            raise WriteFailed(str(exc)) from exc
        return reader.size, reader.hexdigest

    def open(self, key: str) -> S3Reader:
        """See Storage.open: an S3Reader over a GET of the object."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors as exc:
            if self._missing(exc):
                raise KeyNotFound(key) from None
            raise
        return S3Reader(answer["Body"], int(answer["ContentLength"]), answer.get("LastModified"))

    def delete(self, key: str) -> None:
        """See Storage.delete (S3 deletes are idempotent)."""
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def _head(self, key: str) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors as exc:
            if self._missing(exc):
                return None
            raise

    def exists(self, key: str) -> bool:
        """See Storage.exists (a HEAD request)."""
        return self._head(key) is not None

    def size(self, key: str) -> int:
        """See Storage.size (a HEAD request)."""
        head = self._head(key)
        if head is None:
            raise KeyNotFound(key)
        return int(head["ContentLength"])

    def _list(self, prefix: str) -> Iterator[dict]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        for page in pages:
            yield from page.get("Contents", [])

    def keys(self, prefix: str = "") -> Iterator[str]:
        """See Storage.keys: the bucket's keys under S3_PREFIX + `prefix`, without S3_PREFIX, partial objects excluded."""
        for item in self._list(prefix):
            key = item["Key"][len(self.prefix):]
            if not key.startswith(PARTIAL_PREFIX):
                yield key

    def move(self, src: str, dst: str) -> None:
        """See Storage.move: a server-side copy (multipart above PART_BYTES), then a delete of `src`."""
        try:
            self.client.copy({"Bucket": self.bucket, "Key": self._key(src)}, self.bucket, self._key(dst), Config=self.transfer)
        except self._errors as exc:
            if self._missing(exc):
                raise KeyNotFound(src) from None
            raise WriteFailed(str(exc)) from exc
        self.client.delete_object(Bucket=self.bucket, Key=self._key(src))

    def partial_key(self, key: str) -> str:
        """`_partial/<key>`: partial objects sit under their own prefix."""
        return PARTIAL_PREFIX + key

    def sweep_partial(self, max_age: float = PART_MAX_AGE) -> int:
        """See Storage.sweep_partial: objects under `_partial/` whose LastModified is older than `max_age` seconds."""
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=max_age)
        removed = 0
        for item in list(self._list(PARTIAL_PREFIX)):
            if item["LastModified"] < cutoff:
                self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
                removed += 1
        return removed

    def send(self, key: str, download_name: str, mimetype: str):
        """See Storage.send: one GET; the body streams to the client in CHUNK-sized reads (a HEAD request
        to this app still opens the object and closes it unread). Content-Length and Last-Modified come from S3."""
        from werkzeug.wsgi import FileWrapper

        from app.web import send_attachment

        reader = self.open(key)
        try:
            response = send_attachment(reader, mimetype, download_name)
        except BaseException:
            reader.close()
            raise
        response.response = FileWrapper(reader, CHUNK)  # Werkzeug's default is 8 KiB reads; S3 bodies read better in larger ones
        response.content_length = reader.size
        if reader.last_modified is not None:
            response.last_modified = reader.last_modified
        return response
