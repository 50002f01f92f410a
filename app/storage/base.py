"""The storage interface, its local-directory backend (the embedded default) and S3.

Files are named by the SHA-256 of their content, never by the user's file name,
so a name can neither traverse paths nor collide, and the same upload stored
twice is one file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from app.settings import Settings

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    key: str  # e.g. "uploads/ab/abcdef....xlsx"
    sha256: str
    size: int


class Storage(Protocol):
    def put(self, data: bytes | BinaryIO, *, folder: str, suffix: str) -> StoredFile: ...
    def read(self, key: str) -> bytes: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    """A directory on local disk or a shared volume."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def put(self, data: bytes | BinaryIO, *, folder: str, suffix: str) -> StoredFile:
        target_dir = self.root / _safe(folder)
        target_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        # Write to a temporary file in the same directory, then rename: readers never see half a file.
        with tempfile.NamedTemporaryFile(dir=target_dir, prefix=".incoming-", delete=False) as tmp:
            try:
                for chunk in _chunks(data):
                    digest.update(chunk)
                    size += len(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            except BaseException:
                os.unlink(tmp.name)
                raise
        sha = digest.hexdigest()
        key = key_for(folder, sha, suffix)
        final = self.root / key
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp.name, final)
        return StoredFile(key=key, sha256=sha, size=size)

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError("storage key outside the storage root")
        return path


def key_for(folder: str, sha256: str, suffix: str) -> str:
    """Where a file with this content lives; the same in every backend."""
    return f"{_safe(folder)}/{sha256[:2]}/{sha256}{_safe_suffix(suffix)}"


def storage_for(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        from app.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    return LocalStorage(settings.storage_dir)


def _chunks(data: bytes | BinaryIO):  # noqa: ANN202
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    while chunk := data.read(CHUNK):
        yield chunk


def _safe(folder: str) -> str:
    parts = [p for p in folder.replace("\\", "/").split("/") if p and p not in (".", "..")]
    return "/".join(p for p in parts if p.replace("-", "").replace("_", "").isalnum()) or "files"


def _safe_suffix(suffix: str) -> str:
    suffix = suffix.lower()
    return suffix if suffix.startswith(".") and suffix[1:].isalnum() and len(suffix) <= 6 else ""
