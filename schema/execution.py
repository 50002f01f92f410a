"""How operations run: documents parsed and validated once, queries and mutations in a worker thread.

Resolvers are synchronous and read the database through the request's session.
Run on the event loop they would stall every other request while SQL runs (or
while a password hash is checked), so a query or a mutation runs start to finish
in a worker thread (the session is opened, used and closed there). Uploads are
already spooled by the multipart parser and are read there too. Subscriptions
stay on the loop.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import anyio.to_thread
import graphql
import strawberry
from anyio.lowlevel import RunVar
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document
from strawberry.schema.schema_converter import CustomGraphQLEnumType
from strawberry.types import ExecutionResult, Info

DOCUMENTS_CACHED = 512  # distinct query texts; bounded so odd clients cannot grow memory without limit


@functools.lru_cache(maxsize=DOCUMENTS_CACHED)
def parsed(query: str) -> graphql.DocumentNode:
    return graphql.parse(query)


class CachedDocuments(SchemaExtension):
    """Parse and validate each distinct query text once; the frontends send the same few all day."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = parsed(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema = context.schema
        if isinstance(schema, Schema):
            context.pre_execution_errors = schema.validated(context.query, tuple(context.validation_rules))
        yield


_in_thread: contextvars.ContextVar[bool] = contextvars.ContextVar("examreg_query_in_thread", default=False)


def _never_awaitable(_value: Any) -> bool:
    return False


class QueryExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """In a query run in a worker thread every resolver is synchronous (Schema checks that once), so
    graphql-core need not ask of each of the page's thousands of values whether it is awaitable."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if _in_thread.get():
            self.is_awaitable = _never_awaitable


class Schema(strawberry.Schema):
    def __init__(self, *args: Any, query_threads: int | None = None, **kwargs: Any) -> None:
        """`query_threads`: how many queries execute at once (None: as many as anyio's threads)."""
        kwargs.setdefault("execution_context_class", QueryExecutionContext)
        super().__init__(*args, **kwargs)
        self.query_threads = query_threads
        self._query_limiter: RunVar[anyio.CapacityLimiter] = RunVar(f"examreg_query_threads_{id(self)}")
        _call_fields_directly(self._schema, self.config.info_class)
        self.in_thread = {
            graphql.OperationType.QUERY: not _async_resolvers(self._schema, self._schema.query_type),
            graphql.OperationType.MUTATION: not _async_resolvers(self._schema, self._schema.mutation_type),
        }
        self.validated = functools.lru_cache(maxsize=DOCUMENTS_CACHED)(self._validate)

    def _validate(self, query: str, rules: tuple[type[graphql.ASTValidationRule], ...]) -> list[graphql.GraphQLError]:
        return validate_document(self._schema, parsed(query), rules)

    async def execute(  # noqa: PLR0913, PLR0917
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Any = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        arguments = (query, variable_values, context_value, root_value, operation_name, allowed_operation_types,
                     operation_extensions)
        operation = _operation_type(query, operation_name)
        if self.in_thread.get(operation, False):
            limiter = self._query_threads() if operation == graphql.OperationType.QUERY else None
            return await anyio.to_thread.run_sync(self._execute_in_thread, *arguments, limiter=limiter)
        return await super().execute(*arguments)

    def _query_threads(self) -> anyio.CapacityLimiter | None:
        """Queries are Python under one interpreter lock: more of them at once than a few only take
        turns, and each turn costs a switch between threads (and keeps more pages in memory for the
        collector to walk). Past `query_threads` they wait on the loop for a thread of their own;
        mutations, which may wait for a lock in the database, keep anyio's threads. One limiter per
        event loop (anyio's own threads are per loop too)."""
        if self.query_threads is None:
            return None
        try:
            return self._query_limiter.get()
        except LookupError:
            limiter = anyio.CapacityLimiter(self.query_threads)
            self._query_limiter.set(limiter)
            return limiter

    def _execute_in_thread(self, *arguments: Any) -> ExecutionResult:
        marked = _in_thread.set(True)
        try:
            return self.execute_sync(*arguments)
        finally:
            _in_thread.reset(marked)


def _operation_type(query: str | None, operation_name: str | None) -> graphql.OperationType | None:
    """The type of the operation to run; None when unclear (the ordinary path reports why)."""
    if not query:
        return None
    try:
        document = parsed(query)
    except graphql.GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == operation_name]
    return operations[0].operation if len(operations) == 1 else None


def _async_resolvers(schema: graphql.GraphQLSchema, root: graphql.GraphQLObjectType | None) -> list[str]:
    """Fields reachable from `root` whose resolver is a coroutine function (they need the event loop)."""
    found: list[str] = []
    seen: set[str] = set()
    pending: list[graphql.GraphQLNamedType] = [root] if root else []
    while pending:
        named = pending.pop()
        if named.name in seen:
            continue
        seen.add(named.name)
        if isinstance(named, graphql.GraphQLUnionType | graphql.GraphQLInterfaceType):
            pending.extend(schema.get_possible_types(named))
        if not isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
            continue
        for name, field in named.fields.items():
            if field.resolve is not None and inspect.iscoroutinefunction(field.resolve):
                found.append(f"{named.name}.{name}")
            pending.append(graphql.get_named_type(field.type))
    return found


def _call_fields_directly(schema: graphql.GraphQLSchema, info_class: type[Info]) -> None:
    """Per field, only what graphql-core itself would do: Strawberry's generic wrapper is skipped where
    it has nothing to do.

    A field without a resolver reads its attribute (getattr(source, python_name), which is all the
    wrapper ends in); a synchronous resolver with no arguments, permission or extension is called
    with the source and Info directly. Anything else keeps Strawberry's resolver.
    """
    for named in schema.type_map.values():
        if isinstance(named, CustomGraphQLEnumType):
            named.serialize = named.coerce_output_value = _enum_names(named)  # type: ignore[method-assign]
        if not isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
            continue
        for field in named.fields.values():
            definition = field.extensions.get("strawberry-definition")
            if definition is None or definition.extensions or definition.is_subscription:
                continue
            resolver = definition.base_resolver
            if resolver is None:
                if definition.default_resolver is getattr and _is_strawberry_resolver(field.resolve):
                    field.resolve = _attribute(definition.python_name)
            elif (not resolver.is_async and not resolver.arguments and resolver.self_parameter is not None
                  and resolver.root_parameter is None and resolver.parent_parameter is None
                  and _is_strawberry_resolver(field.resolve)):
                field.resolve = _method(resolver.wrapped_func, definition, info_class,
                                        passes_info=resolver.info_parameter is not None)


def _is_strawberry_resolver(resolve: Any) -> bool:
    return getattr(resolve, "__name__", "") in {"_get_basic_result", "_resolver"}


def _attribute(name: str) -> Callable[..., Any]:
    def read(source: Any, _info: graphql.GraphQLResolveInfo) -> Any:
        return getattr(source, name)

    return read


def _method(function: Callable[..., Any], definition: Any, info_class: type[Info], *,
            passes_info: bool) -> Callable[..., Any]:
    if not passes_info:
        return lambda source, _info: function(source)

    def call(source: Any, info: graphql.GraphQLResolveInfo) -> Any:
        return function(source, info_class(_raw_info=info, _field=definition))

    return call


def _enum_names(enum: CustomGraphQLEnumType) -> Callable[[Any], str]:
    """Strawberry compares the member with each value in turn; a dict finds its name at once."""
    names = {enum.wrapped_cls(value.value): name for name, value in enum.values.items()}
    general = enum.coerce_output_value

    def serialize(output_value: Any) -> str:
        if isinstance(output_value, enum.wrapped_cls) and (name := names.get(output_value)) is not None:
            return name
        return general(output_value)

    return serialize
