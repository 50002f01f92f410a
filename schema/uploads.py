"""Reading GraphQL multipart uploads (Starlette UploadFile) within a size limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from app.errors import AppError, ErrorCode

CHUNK = 1 << 20


@dataclass(frozen=True)
class ReceivedFile:
    filename: str
    content_type: str | None
    data: bytes


def read_upload(upload, *, max_bytes: int, field: str = "file") -> ReceivedFile:  # noqa: ANN001
    """The whole upload, refused as soon as it passes `max_bytes`.

    The multipart parser has spooled the file (memory, then a temporary file) before any resolver
    runs, so it is read synchronously: mutations run in a worker thread, like queries.
    """
    stream = getattr(upload, "file", None)
    if stream is None:
        raise AppError(ErrorCode.REQUIRED, "请选择要上传的文件", field)
    stream.seek(0)
    chunks, size = [], 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise AppError(ErrorCode.FILE_TOO_LARGE,
                           f"文件超过{max_bytes // (1 << 20)}MB的上限，请压缩或拆分后再上传", field)
        chunks.append(chunk)
    return ReceivedFile(filename=getattr(upload, "filename", None) or "", content_type=getattr(upload, "content_type", None),
                        data=b"".join(chunks))


@dataclass(frozen=True)
class SpooledUpload:
    """An upload left where the multipart parser spooled it (memory, then a temporary file)."""

    filename: str
    stream: BinaryIO
    size: int


def spooled_upload(upload, *, field: str = "files") -> SpooledUpload:  # noqa: ANN001
    """For large batches: the file is streamed to storage instead of being read into memory."""
    stream = getattr(upload, "file", None)
    if stream is None:
        raise AppError(ErrorCode.REQUIRED, "请选择要上传的文件", field)
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return SpooledUpload(filename=getattr(upload, "filename", None) or "", stream=stream, size=size)


def perform_upload(info, payload, upload, *, max_bytes: int, work):  # noqa: ANN001, ANN201
    """Read the upload (refused past `max_bytes`), then run `work(session, received)` as perform() does."""
    from schema.errors import perform, user_errors

    try:
        received = read_upload(upload, max_bytes=max_bytes)
    except AppError as error:
        return payload(errors=user_errors(error))
    return perform(info, payload, lambda session: work(session, received))
