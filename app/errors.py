"""Domain errors: a stable code for programs, a Chinese message for people."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    # rights (sent as GraphQL errors with extensions.code)
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"
    # transport (GraphQL errors only): a malformed request, or a failure the server masks
    BAD_REQUEST = "BAD_REQUEST"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    # abuse (GraphQL errors or HTTP answers, before anything runs): documents and requests the server refuses
    QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    PAGE_SIZE_TOO_LARGE = "PAGE_SIZE_TOO_LARGE"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    BATCH_NOT_SUPPORTED = "BATCH_NOT_SUPPORTED"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    PREFLIGHT_REQUIRED = "PREFLIGHT_REQUIRED"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    # business rules (sent as UserError in the payload)
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOT_IN_LIST = "NOT_IN_LIST"
    INVALID_ID_NUMBER = "INVALID_ID_NUMBER"
    ID_NUMBER_MISMATCH = "ID_NUMBER_MISMATCH"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_DATE = "INVALID_DATE"
    INVALID_CREDIT_CODE = "INVALID_CREDIT_CODE"
    DUPLICATE_ID_NUMBER = "DUPLICATE_ID_NUMBER"
    DUPLICATE = "DUPLICATE"
    CERTIFICATE_REQUIRED = "CERTIFICATE_REQUIRED"
    WINDOW_CLOSED = "WINDOW_CLOSED"
    INVALID_STATE = "INVALID_STATE"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    WRONG_PASSWORD = "WRONG_PASSWORD"
    CONFLICT = "CONFLICT"
    PHOTO_MISSING = "PHOTO_MISSING"
    PHOTO_REJECTED = "PHOTO_REJECTED"
    ATTACHMENT_MISSING = "ATTACHMENT_MISSING"
    COMMENT_REQUIRED = "COMMENT_REQUIRED"
    ROLLBACK_USED = "ROLLBACK_USED"
    NOT_YOUR_STAGE = "NOT_YOUR_STAGE"
    RATE_LIMITED = "RATE_LIMITED"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_TOO_SMALL = "FILE_TOO_SMALL"
    WRONG_FILE_TYPE = "WRONG_FILE_TYPE"
    WRONG_FILE_NAME = "WRONG_FILE_NAME"
    TOO_FEW_PIXELS = "TOO_FEW_PIXELS"
    LOW_RESOLUTION = "LOW_RESOLUTION"
    BAD_FILE = "BAD_FILE"


@dataclass(frozen=True)
class FieldProblem:
    code: ErrorCode
    message: str
    field: str | None = None


class AppError(Exception):
    """A business-rule failure the user can act on."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def problems(self) -> list[FieldProblem]:
        return [FieldProblem(self.code, self.message, self.field)]


class ValidationFailed(AppError):
    """Several field problems at once: every one is reported."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        first = problems[0]
        super().__init__(first.code, first.message, first.field)
        self._problems = problems

    @property
    def problems(self) -> list[FieldProblem]:
        return list(self._problems)


class NotFound(AppError):
    def __init__(self, what: str = "记录", field: str | None = "id") -> None:
        super().__init__(ErrorCode.NOT_FOUND, f"{what}不存在或您无权查看", field)


class AccessError(Exception):
    """Missing or insufficient rights; sent as a GraphQL error, not a payload error."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def unauthenticated() -> AccessError:
    return AccessError(ErrorCode.UNAUTHENTICATED, "请先登录，或登录已过期请重新登录")


def token_idle_expired() -> AccessError:
    return AccessError(ErrorCode.UNAUTHENTICATED, "长时间未操作，登录已失效，为保护信息安全请重新登录")


def forbidden(message: str = "您没有执行此操作的权限") -> AccessError:
    return AccessError(ErrorCode.FORBIDDEN, message)


def password_change_required() -> AccessError:
    return AccessError(ErrorCode.PASSWORD_CHANGE_REQUIRED, "首次登录请先修改初始密码，修改后才能使用其他功能")
