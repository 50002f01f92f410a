"""Which operation a request ran and which error codes it answered, for /metrics (see app/metrics.py)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from app.errors import ErrorCode
from app.metrics import OPERATION_STATE, OperationSeen


class OperationObserved(SchemaExtension):
    """Listed first so that it leaves last, when ErrorPolicy has given every error its code."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if request is None:
            return
        result = context.result
        errors = list(getattr(result, "errors", None) or context.pre_execution_errors or [])
        codes = tuple(_code(error) for error in errors)
        try:
            # Errors of a field carry its path; those refusing the whole document (syntax, validation,
            # limits) have none.
            valid = context.graphql_document is not None and all(error.path is not None for error in errors)
            kind = context.operation_type.value if valid else "invalid"
            name = context.operation_name if valid else None
        except RuntimeError:  # no such operation in the document
            kind, name = "invalid", None
        setattr(request.state, OPERATION_STATE, OperationSeen(name=name, kind=kind, error_codes=codes))


def _code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    if code:
        return str(code)
    # Not yet shaped (refused before execution): what schema.errors.shape_errors will call it.
    original = error.original_error
    return (ErrorCode.BAD_REQUEST if original is None or isinstance(original, GraphQLError)
            else ErrorCode.INTERNAL_SERVER_ERROR).value
