"""Text that no field may hold is refused with the request, before any resolver runs.

PostgreSQL cannot store or even compare a text value with a NUL character (U+0000): such a value in
any argument (a user name at sign-in, a search, a remark) failed deep in a query as a database error,
masked as INTERNAL_SERVER_ERROR, while SQLite silently stored it. No field of the system means to hold
one, so both databases now refuse it alike: in the document's string literals (a validation rule,
cached with the document) and in the variables (checked just before execution).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import graphql
from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import SchemaExtension

from app.errors import ErrorCode

NUL = "\x00"
MESSAGE = "请求中的文字含有空字符（U+0000），系统不能保存，请删除后重试"


def nul_refusal(where: str) -> GraphQLError:
    return GraphQLError(f"{MESSAGE}（{where}）", extensions={"code": ErrorCode.BAD_REQUEST.value})


class NoNulInStrings(ValidationRule):
    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:  # noqa: ANN401
        if NUL in node.value:
            self.report_error(GraphQLError(f"{MESSAGE}（查询语句）", node,
                                           extensions={"code": ErrorCode.BAD_REQUEST.value}))


def has_nul(value: Any) -> bool:  # noqa: ANN401  any JSON value (uploads are left alone)
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


class TextInputs(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        self.execution_context.validation_rules = (*self.execution_context.validation_rules, NoNulInStrings)
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None and has_nul(context.variables):
            context.result = graphql.ExecutionResult(data=None, errors=[nul_refusal("变量")])
        yield
