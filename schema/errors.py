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

from app.accounts.models import User
from app.errors import AccessError, AppError, ErrorCode, password_change_required, unauthenticated

log = logging.getLogger("examreg.graphql")

ErrorCodeEnum = strawberry.enum(
    ErrorCode,
    name="ErrorCode",
    description="错误代码 Stable error codes: UserError.code and extensions.code",
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
        raise access_error(unauthenticated())
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
        return GraphQLError(error.message, *where, extensions={"code": "BAD_REQUEST"})
    if isinstance(original, AccessError):
        return GraphQLError(original.message, *where, extensions={"code": original.code.value})
    if isinstance(original, AppError):
        return GraphQLError(original.message, *where,
                            extensions={"code": original.code.value, "field": original.field})
    request_id = uuid.uuid4().hex[:12]
    log.error("unexpected error, request id %s", request_id, exc_info=original)
    return GraphQLError(
        f"服务器内部错误，请稍后重试；如仍有问题请联系客服并提供请求编号 {request_id}", *where,
        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )


class CloseSession(SchemaExtension):
    """Close the request's database session once the operation is done."""

    def on_operation(self):  # noqa: ANN201
        yield
        context = self.execution_context.context
        if hasattr(context, "close"):
            context.close()
