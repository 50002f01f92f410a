"""Structured logs: one JSON object per line, with the request id, and no personal data.

Every process (`examreg serve`, `examreg worker`, the other commands) formats its
records here. The request id lives in a context variable set per HTTP request by
RequestIds (it follows the query into its worker thread) and is returned to the
client as `X-Request-ID`, so a user quoting it leads to that request's lines.

Code should never log an ID number or a mobile number; the formatter still
masks anything that looks like one (18-character citizen ID numbers, 11-digit
mainland mobiles), as a last guard.
"""

from __future__ import annotations

import contextvars
import datetime
import logging
import re
import uuid

import orjson

from app.registrations.masking import mask_personal_numbers

REQUEST_ID_HEADER = "x-request-id"

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("examreg_request_id", default=None)

# A client's own request id is kept only if it is short and plain; otherwise we make one.
_ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def new_request_id(offered: str | None = None) -> str:
    """The client's X-Request-ID when it is a plain token (a proxy's id), else a fresh one."""
    if offered and _ACCEPTED_REQUEST_ID.fullmatch(offered):
        return offered
    # Groups of four: never a run of digits the scrubber below could take for a phone number.
    digits = uuid.uuid4().hex[:16]
    return "-".join(digits[i:i + 4] for i in range(0, 16, 4))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current is not None:
            entry["request_id"] = current
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_") and key not in entry:
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return mask_personal_numbers(orjson.dumps(entry).decode())


def configure(level: int = logging.INFO) -> None:
    """Send every logger's records (uvicorn's and dramatiq's included) to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


class RequestIds:
    """Pure ASGI middleware: a request id per HTTP request, in the logs' context and the response."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        offered = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        current = new_request_id(offered)
        token = request_id.set(current)

        async def send_with_id(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", current.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
