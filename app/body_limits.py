"""Request bodies are counted while they arrive and refused (413) once past their limit.

A declared Content-Length over the limit is refused before a byte of the body is read; a
chunked body is counted as the application reads it, and the read that passes the limit
fails, so the application never receives more than the limit. Nothing is buffered here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from app.errors import ErrorCode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyTooLarge(Exception):  # noqa: N818  raised inside receive() to stop the application reading
    pass


def size_text(size: int) -> str:
    return f"{size / (1 << 20):.0f} MB" if size >= 1 << 20 else f"{max(size // 1024, 1)} KB"


def upload_or_body_limit(*, upload_bytes: int, body_bytes: int, upload_paths: frozenset[str]) -> Callable[[Scope], int]:
    """Multipart requests to `upload_paths` may be as large as uploads go; every other body is small."""

    def limit_for(scope: Scope) -> int:
        if scope["path"] in upload_paths:
            for name, value in scope["headers"]:
                if name == b"content-type" and value.lower().startswith(b"multipart/form-data"):
                    return upload_bytes
        return body_bytes

    return limit_for


class BodySizeLimit:
    """Pure ASGI middleware; `limit_for(scope)` gives the byte limit of a request."""

    def __init__(self, app: Callable[..., Awaitable[None]], *, limit_for: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        if _declared_length(scope) > limit:
            await _refuse(send, limit)
            return
        state = {"received": 0, "exceeded": False, "started": False}

        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["exceeded"] = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if state["exceeded"]:
                return  # whatever the application answers to a body cut short, ours is the answer
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            pass
        if state["exceeded"] and not state["started"]:
            await _refuse(send, limit)


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _refuse(send: Send, limit: int) -> None:
    body = orjson.dumps({"errors": [{
        "message": f"请求内容过大，超过 {size_text(limit)} 的上限，已停止接收；请压缩或分批上传",
        "extensions": {"code": ErrorCode.REQUEST_TOO_LARGE.value, "limit": limit},
    }]})
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})
