"""S3-compatible object storage (Amazon S3, MinIO, Alibaba OSS, Tencent COS ...), chosen by settings.

Keys are the same content-hash keys as on local disk. A PUT is atomic in S3: an
object is either absent or whole, so no temporary name is needed.
"""

from __future__ import annotations

import hashlib
import tempfile
from typing import BinaryIO

from app.settings import Settings
from app.storage.base import CHUNK, StoredFile, _chunks, key_for

# Uploads larger than this are spooled to a temporary file while being hashed.
SPOOL_BYTES = 8 << 20


class S3Storage:
    def __init__(self, client, *, bucket: str, prefix: str = "") -> None:  # noqa: ANN001
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=settings.storage_s3_endpoint_url or None,
            region_name=settings.storage_s3_region or None,
            aws_access_key_id=settings.storage_s3_access_key_id or None,
            aws_secret_access_key=settings.storage_s3_secret_access_key.get_secret_value() or None,
            config=Config(
                s3={"addressing_style": settings.storage_s3_addressing_style},
                retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=10, read_timeout=60,
            ),
        )
        return cls(client, bucket=settings.storage_s3_bucket, prefix=settings.storage_s3_prefix)

    def put(self, data: bytes | BinaryIO, *, folder: str, suffix: str) -> StoredFile:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            digest = hashlib.sha256()
            size = 0
            for chunk in _chunks(data):
                digest.update(chunk)
                size += len(chunk)
                spool.write(chunk)
            sha = digest.hexdigest()
            key = key_for(folder, sha, suffix)
            if not self._has(key, size):  # the same content stored before is the same object
                spool.seek(0)
                self.client.put_object(Bucket=self.bucket, Key=self._object(key), Body=spool,
                                       ContentLength=size)
        return StoredFile(key=key, sha256=sha, size=size)

    def read(self, key: str) -> bytes:
        with self.open(key) as body:
            return body.read()

    def open(self, key: str) -> BinaryIO:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._object(key))
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc
        return _Body(answer["Body"])

    def exists(self, key: str) -> bool:
        return self._has(key)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def _has(self, key: str, size: int | None = None) -> bool:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return size is None or head.get("ContentLength") == size

    def _object(self, key: str) -> str:
        parts = key.split("/")
        if key.startswith("/") or "\\" in key or any(p in ("", ".", "..") for p in parts):
            raise ValueError("storage key outside the storage root")
        return self.prefix + key


class _Body:
    """A botocore streaming body as a closable binary file."""

    def __init__(self, body) -> None:  # noqa: ANN001
        self._body = body

    def read(self, size: int = -1) -> bytes:
        return self._body.read(None if size is None or size < 0 else size)

    def readinto(self, buffer) -> int:  # noqa: ANN001
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> _Body:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self):  # noqa: ANN204
        while chunk := self.read(CHUNK):
            yield chunk
