"""The S3 backend against moto's S3 server over real HTTP (boto3 signs and sends real requests)."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator

import pytest

from app.settings import Settings
from app.storage import storage_for
from app.storage.s3 import S3Storage

moto_server = pytest.importorskip("moto.server", reason="moto[server] is a test dependency: pip install -e '.[test]'")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_settings() -> Iterator[Settings]:
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    settings = Settings(
        _env_file=None, storage_backend="s3", storage_s3_endpoint_url=f"http://127.0.0.1:{port}",
        storage_s3_region="cn-south-1", storage_s3_bucket="examreg-test", storage_s3_prefix="files",
        storage_s3_access_key_id="test", storage_s3_secret_access_key="test",
    )
    storage = storage_for(settings)
    storage.client.create_bucket(Bucket="examreg-test",
                                 CreateBucketConfiguration={"LocationConstraint": "cn-south-1"})
    yield settings
    server.stop()


def test_s3_files_are_named_by_content_and_round_trip(s3_settings):
    storage = storage_for(s3_settings)
    assert isinstance(storage, S3Storage)
    first = storage.put(b"%PDF-1.7 proof", folder="attachments", suffix=".pdf")
    again = storage.put(io.BytesIO(b"%PDF-1.7 proof"), folder="attachments", suffix=".pdf")
    assert first == again and first.key.endswith(first.sha256 + ".pdf") and first.size == 14
    assert storage.exists(first.key) and storage.read(first.key) == b"%PDF-1.7 proof"
    with storage.open(first.key) as body:
        assert body.read(5) == b"%PDF-"
    # the prefix keeps our objects together in a shared bucket
    listed = storage.client.list_objects_v2(Bucket="examreg-test")["Contents"]
    assert [o["Key"] for o in listed] == [f"files/{first.key}"]
    storage.delete(first.key)
    assert not storage.exists(first.key)
    with pytest.raises(FileNotFoundError):
        storage.read(first.key)


def test_s3_large_uploads_are_spooled_and_keys_cannot_escape(s3_settings):
    storage = storage_for(s3_settings)
    big = bytes(range(256)) * 40_000  # 10 MB: past the in-memory spool
    stored = storage.put(io.BytesIO(big), folder="photo-batches", suffix=".zip")
    assert storage.read(stored.key) == big
    for key in ("../outside", "/etc/passwd", "a/../../b", "a\\b"):
        with pytest.raises(ValueError):
            storage.read(key)


def test_settings_choose_the_backend():
    assert type(storage_for(Settings(_env_file=None))).__name__ == "LocalStorage"
    with pytest.raises(ValueError, match="STORAGE_S3_BUCKET"):
        Settings(_env_file=None, storage_backend="s3")
    with pytest.raises(ValueError, match="local or s3"):
        Settings(_env_file=None, storage_backend="ftp")
