"""The storage interface (app.storage), backend by backend: the local folder, and S3 against moto's server.

The same contract runs on both (`store` is parametrised); local-only and S3-only behaviour follows.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
from pathlib import Path

import pytest

from app import storage
from app.storage.local import LocalStorage


def _s3(config: dict, **changes) -> storage.Storage:
    return storage.build({**config, **changes}, "s3")


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> storage.Storage:
    """A bare storage object (no app) of each backend."""
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    return _s3(request.getfixturevalue("s3_config"))


class ChunkCounter(io.RawIOBase):
    """A source that yields `size` bytes and records the largest read asked of it (to show nothing reads it whole)."""

    def __init__(self, size: int, byte: bytes = b"x"):
        self.left, self.byte, self.largest = size, byte, 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:  # "the rest": allowed only once nothing is left (s3transfer checks for the end so)
            assert self.left == 0, "the whole source was asked for at once"
            return b""
        self.largest = max(self.largest, n)
        data = self.byte * min(n, self.left)
        self.left -= len(data)
        self.digest.update(data)
        return data


# ------------------------------------------------------------------ the contract, on both backends


def test_save_open_size_exists_keys_delete(store):
    data = b"%PDF-1.4 minh chung\n" * 100
    assert store.save("a1.pdf", io.BytesIO(data)) == (len(data), hashlib.sha256(data).hexdigest())
    store.save("certificates/c1.pdf", io.BytesIO(b"cert"))
    store.save("exports/e1.xlsx", io.BytesIO(b"export"))
    with store.open("a1.pdf") as handle:
        assert handle.read() == data
    assert store.exists("a1.pdf") and not store.exists("a2.pdf")
    assert store.size("certificates/c1.pdf") == 4
    assert sorted(store.keys("")) == ["a1.pdf", "certificates/c1.pdf", "exports/e1.xlsx"]
    assert list(store.keys("exports/")) == ["exports/e1.xlsx"]
    assert store.sha256("exports/e1.xlsx") == (6, hashlib.sha256(b"export").hexdigest())
    store.save("a1.pdf", io.BytesIO(b"replaced"))  # a save replaces the object whole
    with store.open("a1.pdf") as handle:
        assert handle.read() == b"replaced"
    store.delete("a1.pdf")
    store.delete("a1.pdf")  # already gone: no error
    assert not store.exists("a1.pdf")
    with pytest.raises(storage.KeyNotFound):
        store.open("a1.pdf")
    with pytest.raises(storage.KeyNotFound):
        store.size("a1.pdf")


BAD_KEYS = ["../escape.pdf", "/etc/passwd", "a//b.pdf", "a/../b.pdf", "exports/..", ".", "", "a\\b.pdf", "tệp.pdf", "a b.pdf",
            "x\x00.pdf", "certificates/../../x", "exports/", "a" * 513]


def test_path_traversal_and_strange_keys_are_refused(store):
    for key in BAD_KEYS:
        for action in (lambda k: store.save(k, io.BytesIO(b"x")), store.open, store.exists, store.delete, store.size,
                       lambda k: store.move("a.pdf", k)):
            with pytest.raises(storage.BadKey):
                action(key)
    assert list(store.keys("")) == []


def test_save_streams_in_chunks_and_hashes_on_the_way(store):
    source = ChunkCounter(3 * 1024 * 1024 + 5)  # past several chunks
    size, digest = store.save("big.pdf", source)
    assert (size, digest) == (3 * 1024 * 1024 + 5, source.digest.hexdigest())
    assert 0 < source.largest <= 8 * 1024 * 1024  # read in bounded pieces (S3: at most one 8 MiB part)
    assert store.sha256("big.pdf") == (size, digest)


def test_move_and_partial_objects_are_swept_only_when_old(store):
    store.save(store.partial_key("p1.pdf"), io.BytesIO(b"partial"))
    assert list(store.keys("")) == []  # a partial object is not a stored file
    assert store.sweep_partial(3600) == 0  # fresh: a save may still be running
    store.move(store.partial_key("p1.pdf"), "p1.pdf")
    assert list(store.keys("")) == ["p1.pdf"] and not store.exists(store.partial_key("p1.pdf"))
    store.save(store.partial_key("dead.pdf"), io.BytesIO(b"left by a killed save"))
    assert store.sweep_partial(-1) == 1  # older than "-1 s ago": swept
    assert list(store.keys("")) == ["p1.pdf"] and not store.exists(store.partial_key("dead.pdf"))
    with pytest.raises(storage.KeyNotFound):
        store.move("nothing.pdf", "x.pdf")


def test_send_streams_in_bounded_chunks_with_the_download_headers(store, app):
    size = 1024 * 1024 + 17
    store.save("exports/big.xlsx", ChunkCounter(size, b"z"))
    with app.test_request_context("/"):
        response = store.send("exports/big.xlsx", "Báo cáo\u202e.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        assert response.is_streamed and response.direct_passthrough  # an iterator over the object, not a body in memory
        assert response.headers["Content-Length"] == str(size)
        assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and "\u202e" not in disposition and "filename*=UTF-8''B%C3%A1o%20c%C3%A1o.xlsx" in disposition
        chunks = list(response.response)
        response.close()
    assert sum(len(c) for c in chunks) == size and set(b"".join(chunks)) == {ord("z")}
    assert len(chunks) > 1 and max(len(c) for c in chunks) <= storage.CHUNK


def test_send_of_a_missing_or_bad_key(store, app):
    with app.test_request_context("/"):
        with pytest.raises(storage.KeyNotFound):
            store.send("exports/none.pdf", "a.pdf", "application/pdf")
        with pytest.raises(storage.BadKey):
            store.send("../none.pdf", "a.pdf", "application/pdf")


# ------------------------------------------------------------------ local folder only


def test_local_keys_are_todays_paths_under_upload_dir(tmp_path):
    local = LocalStorage(tmp_path)
    local.save("ab12.pdf", io.BytesIO(b"e"))
    local.save("certificates/cd34.pdf", io.BytesIO(b"c"))
    assert (tmp_path / "ab12.pdf").read_bytes() == b"e" and (tmp_path / "certificates" / "cd34.pdf").read_bytes() == b"c"
    assert oct((tmp_path / "ab12.pdf").stat().st_mode & 0o777) == "0o640"
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "old.xlsx").write_bytes(b"written before app.storage existed")
    assert local.exists("exports/old.xlsx") and local.sha256("exports/old.xlsx")[0] == 34


def test_local_refuses_a_symlink_out_of_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(b"secret")
    root = tmp_path / "files"
    root.mkdir()
    os.symlink(outside, root / "certificates")
    local = LocalStorage(root)
    with pytest.raises(storage.BadKey):
        local.open("certificates/secret.pdf")


def test_local_write_failure_leaves_nothing_and_keeps_the_old_file(tmp_path, monkeypatch):
    from app.storage import local as local_module

    local = LocalStorage(tmp_path)
    local.save("a.pdf", io.BytesIO(b"old"))

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(local_module.os, "fsync", full)
    with pytest.raises(storage.WriteFailed, match="No space left on device"):
        local.save("a.pdf", io.BytesIO(b"new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"] and (tmp_path / "a.pdf").read_bytes() == b"old"


def test_local_sweep_reaches_subfolders_and_old_temporary_files(tmp_path):
    local = LocalStorage(tmp_path)
    for name in ("x.pdf.part", "certificates/y.pdf.part", "exports/z.xlsx.1a2b3c4d.part"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"-")
        os.utime(path, (0, 0))
    (tmp_path / "fresh.pdf.part").write_bytes(b"-")
    assert local.sweep_partial() == 3
    assert [p.name for p in Path(tmp_path).rglob("*.part")] == ["fresh.pdf.part"]


# ------------------------------------------------------------------ S3 only


def test_s3_multipart_upload_of_a_file_larger_than_a_part(s3_config):
    s3 = _s3(s3_config)
    size = 9 * 1024 * 1024  # above the 8 MiB multipart threshold: two parts
    source = ChunkCounter(size, b"m")
    assert s3.save("exports/big.zip", source) == (size, source.digest.hexdigest())
    assert source.largest <= 8 * 1024 * 1024
    assert s3.sha256("exports/big.zip") == (size, source.digest.hexdigest())


def test_s3_prefix_keeps_installations_apart(s3_config):
    one, two = _s3(s3_config, S3_PREFIX="haiphong/"), _s3(s3_config, S3_PREFIX="/thu-nghiem")
    one.save("a.pdf", io.BytesIO(b"1"))
    two.save("a.pdf", io.BytesIO(b"2"))
    assert list(one.keys("")) == ["a.pdf"] and list(two.keys("")) == ["a.pdf"]
    with one.open("a.pdf") as handle:
        assert handle.read() == b"1"
    raw = sorted(o["Key"] for o in one.client.list_objects_v2(Bucket=s3_config["S3_BUCKET"])["Contents"])
    assert raw == ["haiphong/a.pdf", "thu-nghiem/a.pdf"]


def test_s3_unreachable_is_a_write_failure(s3_config):
    import boto3
    from botocore.config import Config

    from tests.s3server import free_port

    dead = _s3(s3_config)
    dead.client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{free_port()}", region_name="us-east-1", aws_access_key_id="t",
                               aws_secret_access_key="t", config=Config(retries={"max_attempts": 1}, connect_timeout=2))  # nothing listens there
    with pytest.raises(storage.WriteFailed):
        dead.save("a.pdf", io.BytesIO(b"x"))


# ------------------------------------------------------------------ configuration


def test_settings_are_read_from_the_environment_with_defaults():
    assert storage.settings_from_environment({}) == {
        "STORAGE_BACKEND": "local", "S3_BUCKET": "", "S3_ENDPOINT_URL": "", "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "",
        "S3_SECRET_ACCESS_KEY": "", "S3_PREFIX": ""}
    got = storage.settings_from_environment({"STORAGE_BACKEND": " S3 ", "S3_BUCKET": "datchuan", "S3_REGION": "", "S3_PREFIX": "hp/"})
    assert (got["STORAGE_BACKEND"], got["S3_BUCKET"], got["S3_REGION"], got["S3_PREFIX"]) == ("s3", "datchuan", "us-east-1", "hp/")


@pytest.mark.parametrize(("config", "message"), [
    ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be one of local, s3, not 'ftp'"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": ""}, "S3_BUCKET must be set"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "b", "S3_PREFIX": "../x"}, "S3_PREFIX must be"),
])
def test_create_app_refuses_unusable_storage_settings(monkeypatch, config, message):
    from app import create_app

    for name, value in config.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_get_storage_follows_the_app_config(app, s3_config, tmp_path):
    assert storage.get_storage().name == "local" and storage.get_storage() is storage.get_storage()
    app.config.update(s3_config)
    assert storage.get_storage().name == "s3" and storage.get_storage().bucket == s3_config["S3_BUCKET"]
