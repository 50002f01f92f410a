"""Requests the GraphQL endpoint refuses at the HTTP level, each with a stable code and a Chinese message.

* Uploads: a cross-site HTML form can POST `multipart/form-data` (or `text/plain`) to any
  address without the browser asking first, so a POST that is not `application/json` must
  carry a header such a form cannot send (`GraphQL-Preflight: 1`, or Apollo's
  `Apollo-Require-Preflight: true`); a custom header makes the browser ask the server first,
  and the server grants no cross-origin request.
* JSON arrays of operations (batches): one request, one operation, so every limit holds per request.
* Mutations by GET: a link or an image could otherwise change data; GET serves queries only.
"""

from __future__ import annotations

from cross_web import HTTPException
from starlette.responses import JSONResponse

from app.errors import ErrorCode

PREFLIGHT_HEADERS = ("graphql-preflight", "apollo-require-preflight", "x-apollo-operation-name")


class RequestRefused(HTTPException):
    def __init__(self, status_code: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, message)
        self.code = code
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return refusal_response(self.status_code, self.code, self.reason, self.headers)


def refusal_response(status_code: int, code: ErrorCode, message: str,
                     headers: dict[str, str] | None = None, **extensions: object) -> JSONResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code.value, **extensions}}]}
    return JSONResponse(body, status_code=status_code, headers=headers,
                        media_type="application/json; charset=utf-8")


def require_preflight(method: str, headers: dict[str, str] | object) -> None:
    """A POST whose body is not JSON needs one of the PREFLIGHT_HEADERS (any non-empty value)."""
    if method != "POST":
        return
    content_type = (headers.get("content-type") or "").lower()  # type: ignore[attr-defined]
    if "application/json" in content_type:
        return
    if any((headers.get(name) or "").strip() for name in PREFLIGHT_HEADERS):  # type: ignore[attr-defined]
        return
    raise RequestRefused(
        400, ErrorCode.PREFLIGHT_REQUIRED,
        "上传文件（multipart/form-data）等非 JSON 请求须带请求头 GraphQL-Preflight: 1，以防跨站伪造请求")


def refuse_batch(data: object) -> None:
    if isinstance(data, list):
        raise RequestRefused(400, ErrorCode.BATCH_NOT_SUPPORTED,
                             "不支持批量请求（JSON 数组）：每个请求只发送一个 GraphQL 操作 {\"query\": ...}")


def mutation_by_get() -> RequestRefused:
    return RequestRefused(405, ErrorCode.METHOD_NOT_ALLOWED, "修改数据的操作（mutation）只能用 POST 请求发送，不能用 GET",
                          headers={"Allow": "POST"})
