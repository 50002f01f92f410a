"""How domain errors reach clients.

Business-rule failures become `UserError`s in the payload; missing rights become
GraphQL errors with `extensions.code`; anything unexpected is masked, logged with
a request id, and never shows a traceback.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from app import logs
from app.accounts.models import User
from app.errors import (
    AccessError,
    AppError,
    ErrorCode,
    password_change_required,
    token_idle_expired,
    unauthenticated,
)
from schema.common import described_enum

log = logging.getLogger("examreg.graphql")

ErrorCodeEnum = described_enum(
    ErrorCode,
    name="ErrorCode",
    description="错误代码 Stable error codes: UserError.code, Blocker.code and extensions.code of GraphQL errors",
    values={
        "UNAUTHENTICATED": "未登录或登录已过期 Not signed in, or the token expired (GraphQL error): sign in again",
        "FORBIDDEN": "无权操作 The account may not do this (GraphQL error)",
        "PASSWORD_CHANGE_REQUIRED": "须先修改初始密码 The initial password must be changed first (GraphQL error)",
        "BAD_REQUEST": "请求格式错误 Malformed request: syntax, validation or variables (GraphQL error)",
        "INTERNAL_SERVER_ERROR": "服务器内部错误 Unexpected server failure, masked; quote extensions.requestId (GraphQL error)",
        "QUERY_TOO_LARGE": "查询语句过长 Document over the token limit (GRAPHQL_MAX_TOKENS); nothing ran (GraphQL error)",
        "QUERY_TOO_DEEP": "查询嵌套过深 Selections nested deeper than GRAPHQL_MAX_DEPTH; nothing ran (GraphQL error)",
        "TOO_MANY_ALIASES": "别名过多 More aliases than GRAPHQL_MAX_ALIASES, fragments included; nothing ran (GraphQL error)",
        "QUERY_TOO_COMPLEX": "查询过于复杂 Estimated cost (first × nesting) over GRAPHQL_MAX_COST; nothing ran (GraphQL error)",
        "PAGE_SIZE_TOO_LARGE": "每页条数过大 A list asked for more than 100 items (first); nothing ran (GraphQL error)",
        "INTROSPECTION_DISABLED": "已关闭自省查询 __schema / __type are off in production (GraphQL error)",
        "BATCH_NOT_SUPPORTED": "不支持批量请求 A JSON array of operations was sent; send one operation per request (HTTP 400)",
        "METHOD_NOT_ALLOWED": "请求方式不允许 Mutations only by POST, never by GET (HTTP 405)",
        "PREFLIGHT_REQUIRED": "缺少防跨站请求头 Uploads (multipart/form-data) need the GraphQL-Preflight: 1 header (HTTP 400)",
        "REQUEST_TOO_LARGE": "请求体过大 Request body over the size limit, refused while it arrived (HTTP 413)",
        "NOT_FOUND": "记录不存在或无权查看 Record not found or outside the caller's jurisdiction",
        "INVALID": "内容不符合要求 Value not acceptable; the message says why",
        "REQUIRED": "必填项未填写 Required field missing",
        "TOO_LONG": "内容过长 Text too long",
        "NOT_IN_LIST": "不在下拉选项中 Value not in the template's fixed list",
        "INVALID_ID_NUMBER": "身份证号码无效 Citizen ID number invalid (GB 11643 checksum, date or length)",
        "ID_NUMBER_MISMATCH": "与身份证号码不一致 Gender or birth date disagrees with the ID number",
        "INVALID_PHONE": "电话号码无效 Mobile or office phone number invalid",
        "INVALID_DATE": "日期无效 Date invalid or out of range",
        "INVALID_CREDIT_CODE": "统一社会信用代码无效 Unified social credit code invalid (GB 32100 checksum)",
        "DUPLICATE_ID_NUMBER": "身份证号码重复报名 ID number already registered in this exam session, region-wide, or twice in a file",
        "DUPLICATE": "重复 Already exists (unit, username, pending request)",
        "CERTIFICATE_REQUIRED": "续职考试须填原执法证号 Renewal exam needs the previous certificate number",
        "WINDOW_CLOSED": "不在报名时间内 Outside the exam session's registration window",
        "INVALID_STATE": "当前状态不允许此操作 Not allowed in the record's current state",
        "INVALID_CREDENTIALS": "用户名或密码错误 Wrong username or password",
        "ACCOUNT_LOCKED": "账号已锁定 Locked after repeated failed sign-ins; retry later",
        "WEAK_PASSWORD": "新密码不符合要求 New password too weak or unchanged; the message says which rule",
        "WRONG_PASSWORD": "原密码错误 Current password wrong",
        "CONFLICT": "记录刚被他人修改 Changed by someone else meanwhile; reload and retry",
        "PHOTO_MISSING": "未上传电子照片 ID photo missing or still being checked",
        "PHOTO_REJECTED": "电子照片不合格 ID photo failed its checks",
        "ATTACHMENT_MISSING": "缺少证明材料 Required proof PDF missing (三定方案, 权责清单, 在编在职证明, 委托书)",
        "COMMENT_REQUIRED": "须填写原因 A comment is required (e.g. when returning a record)",
        "ROLLBACK_USED": "回退机会已用过 The record's one rollback was already granted",
        "NOT_YOUR_STAGE": "不在本人审核环节 The record awaits another reviewer's stage",
        "RATE_LIMITED": "操作过于频繁 Too many requests; retry later",
        "FILE_TOO_LARGE": "文件过大 File too large",
        "FILE_TOO_SMALL": "文件过小 File too small (photos: at least 100 KB)",
        "WRONG_FILE_TYPE": "文件类型不对 Wrong file type, checked by content (JPEG photos, PDF proofs)",
        "WRONG_FILE_NAME": "文件名不对 Wrong file name (photos: <ID number>.jpg)",
        "TOO_FEW_PIXELS": "照片像素不足 Photo smaller than 402 × 461 px",
        "LOW_RESOLUTION": "照片分辨率不足 Photo below 300 dpi",
        "BAD_FILE": "文件无法读取或不是官方模板 File damaged, encrypted, unreadable, or not the official template",
    },
)


@strawberry.type(description="业务错误 A business-rule failure the user can fix: code for programs, message in Chinese")
class UserError:
    code: ErrorCodeEnum = strawberry.field(description="错误代码 Stable error code")
    field: str | None = strawberry.field(description="出错的字段（API 字段名）Input field at fault, if any")
    message: str = strawberry.field(description="给用户看的中文说明 What to fix, in Chinese")


def user_errors(error: AppError) -> list[UserError]:
    return [UserError(code=p.code, field=p.field, message=p.message) for p in error.problems]


def access_error(error: AccessError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": error.code.value})


def require_user(info: Info, *, allow_pending_password: bool = False) -> User:
    """The signed-in user; an account with the initial password may only change it."""
    user = info.context.user
    if user is None:
        raise access_error(token_idle_expired() if info.context.token_idle else unauthenticated())
    if user.must_change_password and not allow_pending_password:
        raise access_error(password_change_required())
    return user


P = TypeVar("P")


def perform(info: Info, payload: Callable[..., P], work: Callable[..., P]) -> P:
    """Run a mutation's work in one transaction; business errors go into the payload."""
    try:
        with info.context.transaction() as session:
            return work(session)
    except AppError as error:
        return payload(errors=user_errors(error))
    except AccessError as error:
        raise access_error(error) from error


class ErrorPolicy(SchemaExtension):
    """Codes on every error, masking for the unexpected ones (see also shape_errors)."""

    def on_operation(self):  # noqa: ANN201
        yield
        result = self.execution_context.result
        if result is not None and getattr(result, "errors", None):
            result.errors = shape_errors(result.errors)


def shape_errors(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Idempotent: the transport applies it again to errors raised before execution."""
    return [_shape(error) for error in errors]


def _shape(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    where = (error.nodes, error.source, error.positions, error.path)
    if error.extensions and "code" in error.extensions:
        return error
    if original is None or isinstance(original, GraphQLError):
        # Parsing, validation and variable errors: the client sent a malformed request.
        return GraphQLError(error.message, *where, extensions={"code": ErrorCode.BAD_REQUEST.value})
    if isinstance(original, AccessError):
        return GraphQLError(original.message, *where, extensions={"code": original.code.value})
    if isinstance(original, AppError):
        return GraphQLError(original.message, *where,
                            extensions={"code": original.code.value, "field": original.field})
    # The id of the HTTP request (X-Request-ID, on its log lines); a fresh one outside a request.
    request_id = logs.request_id.get() or uuid.uuid4().hex[:12]
    log.error("unexpected error, request id %s", request_id, exc_info=original)
    return GraphQLError(
        f"服务器内部错误，请稍后重试；如仍有问题请联系客服并提供请求编号 {request_id}", *where,
        extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    )


class CloseSession(SchemaExtension):
    """Close the request's database session once the operation is done."""

    def on_operation(self):  # noqa: ANN201
        yield
        context = self.execution_context.context
        if hasattr(context, "close"):
            context.close()
