"""Abusive GraphQL documents are refused before any resolver runs.

Limits that depend only on the document (depth, aliases, introspection in production) are
graphql-core validation rules, so a cache of validation results keyed on the query text and
the rules keeps working. The token limit is checked before the document is parsed. The
page-size and cost limits depend on the variables (`first: $n`), so they are checked after
validation, just before execution: a refused operation gets a result without running anything.

Cost, in the spirit of GitHub's and Saleor's: every field that returns an object costs 1, and
everything selected under a paged list (a field with a `first` argument) costs `first` times
as much (20, the default page, when `first` is not given). Leaf fields cost nothing.
`registrations(first: 100) { edges { node { id unit { name } } } }` costs 1 + 100 × 3.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import graphql
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from graphql.language import Lexer, Source, TokenKind
from strawberry.extensions import SchemaExtension

from app.errors import ErrorCode
from app.pagination import DEFAULT_PAGE, MAX_PAGE

PLANS_CACHED = 512
# Introspection's `ofType` chains unwrap list and non-null types one object at a time (no fan-out),
# and GraphiQL asks for nine of them; they do not count towards the depth.
UNWRAPPING_FIELDS = frozenset({"ofType"})
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class QueryLimits:
    max_depth: int = 10
    max_aliases: int = 10
    max_tokens: int = 3000
    max_cost: int = 5000
    max_page: int = MAX_PAGE
    introspection: bool = True

    @classmethod
    def from_settings(cls, settings: Any) -> QueryLimits:  # noqa: ANN401  app.settings.Settings
        return cls(max_depth=settings.graphql_max_depth, max_aliases=settings.graphql_max_aliases,
                   max_tokens=settings.graphql_max_tokens, max_cost=settings.graphql_max_cost,
                   introspection=not settings.production)


def refusal(code: ErrorCode, message: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value, **extensions})


def query_limits(limits: QueryLimits) -> type[SchemaExtension]:
    """The schema extension enforcing `limits`; its validation rules are created once, here,
    so that validation results cached by rule keep being found."""
    rules = (depth_rule(limits.max_depth), alias_rule(limits.max_aliases))
    if not limits.introspection:
        rules = (*rules, NoIntrospection)

    class QueryLimitsExtension(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            self.execution_context.validation_rules = (*self.execution_context.validation_rules, *rules)
            yield

        def on_parse(self) -> Iterator[None]:
            query = self.execution_context.query
            if query and self.execution_context.graphql_document is None:
                check_tokens(query, limits.max_tokens)
            yield

        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            if context.result is None and context.graphql_document is not None and context.query:
                error = operation_refusal(context.schema._schema, context.query, context.operation_name,  # noqa: SLF001
                                          context.variables or {}, limits)
                if error is not None:
                    context.result = graphql.ExecutionResult(data=None, errors=[error])
            yield

    return QueryLimitsExtension


# --- tokens ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=PLANS_CACHED)
def check_tokens(query: str, max_tokens: int) -> None:
    """Counts at most `max_tokens` + 1 tokens, so an oversized document costs no more than that.
    Only documents within the limit are cached (a refusal is an exception)."""
    lexer = Lexer(Source(query))
    count = 0
    try:
        while lexer.advance().kind != TokenKind.EOF:
            count += 1
            if count > max_tokens:
                raise refusal(ErrorCode.QUERY_TOO_LARGE,
                              f"查询语句过长：超过 {max_tokens} 个词法单元的上限，请精简查询或分次查询",
                              limit=max_tokens)
    except GraphQLError as error:
        if error.extensions and error.extensions.get("code"):
            raise
        # A syntax error: the parser reports it in its own words.


def token_refusal(query: str | None, max_tokens: int) -> GraphQLError | None:
    try:
        if query:
            check_tokens(query, max_tokens)
    except GraphQLError as error:
        return error
    return None


# --- rules on the document alone -------------------------------------------------------------


def depth_rule(max_depth: int) -> type[ValidationRule]:
    class QueryDepth(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> Any:  # noqa: ANN401
            fragments = _fragments(self.context)
            depth = _depth(node.selection_set, fragments, frozenset())
            if depth > max_depth:
                self.report_error(refusal(
                    ErrorCode.QUERY_TOO_DEEP, f"查询嵌套过深：深度 {depth}，上限 {max_depth}，请减少嵌套层级",
                    depth=depth, limit=max_depth))
            return graphql.language.visitor.SKIP

    return QueryDepth


def alias_rule(max_aliases: int) -> type[ValidationRule]:
    class Aliases(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> Any:  # noqa: ANN401
            count = _aliases(node.selection_set, _fragments(self.context), frozenset())
            if count > max_aliases:
                self.report_error(refusal(
                    ErrorCode.TOO_MANY_ALIASES,
                    f"查询使用了 {count} 个别名（含片段中的），上限 {max_aliases}，请分次查询",
                    aliases=count, limit=max_aliases))
            return graphql.language.visitor.SKIP

    return Aliases


class NoIntrospection(ValidationRule):
    """Production: the schema is not described to anyone who asks (`__typename` still works)."""

    def enter_field(self, node: FieldNode, *_: Any) -> None:  # noqa: ANN401
        if node.name.value in INTROSPECTION_FIELDS:
            self.report_error(refusal(ErrorCode.INTROSPECTION_DISABLED,
                                      "生产环境已关闭 GraphQL 自省查询（__schema、__type），请查阅接口文档",
                                      field=node.name.value))


def _fragments(context: ValidationContext) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)}


def _children(selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode],
              seen: frozenset[str]) -> Iterator[tuple[FieldNode, frozenset[str]]]:
    """The fields of a selection set with fragments spread in place (each spread counts again)."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection, seen
        elif isinstance(selection, InlineFragmentNode):
            yield from _children(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:  # a cycle is reported by the standard rules
                yield from _children(fragment.selection_set, fragments, seen | {name})


def _depth(selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode],
           seen: frozenset[str]) -> int:
    deepest = 0
    for field, inner in _children(selection_set, fragments, seen):
        below = _depth(field.selection_set, fragments, inner)
        deepest = max(deepest, below if field.name.value in UNWRAPPING_FIELDS else 1 + below)
    return deepest


def _aliases(selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode],
             seen: frozenset[str]) -> int:
    return sum((field.alias is not None) + _aliases(field.selection_set, fragments, inner)
               for field, inner in _children(selection_set, fragments, seen))


# --- rules that need the variables: page size and cost ----------------------------------------


def operation_refusal(schema: GraphQLSchema, query: str, operation_name: str | None,
                      variables: Mapping[str, Any], limits: QueryLimits) -> GraphQLError | None:
    # Only integer variables can change a `first`; the answer is cached on them.
    integers = tuple(sorted((k, v) for k, v in variables.items() if type(v) is int))
    return _refusal(schema, query, operation_name, integers, limits)


@functools.lru_cache(maxsize=PLANS_CACHED)
def _refusal(schema: GraphQLSchema, query: str, operation_name: str | None,
             integers: tuple[tuple[str, int], ...], limits: QueryLimits) -> GraphQLError | None:
    document = graphql.parse(query)  # already parsed and validated once; this runs once per text
    operation = graphql.get_operation_ast(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation else None
    if operation is None or root is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    variables = _defaults(operation) | dict(integers)
    measure = _Measure(schema, fragments, variables, limits.max_page)
    cost = measure.cost(operation.selection_set, root, frozenset())
    if measure.too_large is not None:
        field, size = measure.too_large
        return refusal(ErrorCode.PAGE_SIZE_TOO_LARGE,
                       f"每页条数 first 最多 {limits.max_page}，{field} 请求了 {size}，请分页查询",
                       field=field, first=size, limit=limits.max_page)
    if cost > limits.max_cost:
        return refusal(ErrorCode.QUERY_TOO_COMPLEX,
                       f"查询过于复杂：估算成本 {cost}，上限 {limits.max_cost}，请减少每页条数 first 或所选字段",
                       cost=cost, limit=limits.max_cost)
    return None


def _defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
    return {d.variable.name.value: graphql.value_from_ast_untyped(d.default_value)
            for d in operation.variable_definitions or () if d.default_value is not None}


class _Measure:
    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode],
                 variables: Mapping[str, Any], max_page: int) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.max_page = max_page
        self.too_large: tuple[str, int] | None = None

    def cost(self, selection_set: SelectionSetNode | None, parent: graphql.GraphQLNamedType,
             seen: frozenset[str]) -> int:
        total = 0
        for node, inner, owner in self._fields(selection_set, parent, seen):
            if node.name.value.startswith("__") or not isinstance(owner, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
                continue
            definition = owner.fields.get(node.name.value)
            if definition is None:
                continue
            returned = graphql.get_named_type(definition.type)
            if graphql.is_leaf_type(returned):
                continue
            total += 1 + self._page(node, definition) * self.cost(node.selection_set, returned, inner)
        return total

    def _fields(self, selection_set: SelectionSetNode | None, parent: graphql.GraphQLNamedType,
                seen: frozenset[str]) -> Iterator[tuple[FieldNode, frozenset[str], graphql.GraphQLNamedType]]:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, seen, parent
            elif isinstance(selection, InlineFragmentNode):
                yield from self._fields(selection.selection_set, self._narrowed(selection, parent), seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    yield from self._fields(fragment.selection_set, self._narrowed(fragment, parent), seen | {name})

    def _narrowed(self, fragment: InlineFragmentNode | FragmentDefinitionNode,
                  parent: graphql.GraphQLNamedType) -> graphql.GraphQLNamedType:
        condition = fragment.type_condition
        return (self.schema.get_type(condition.name.value) or parent) if condition else parent

    def _page(self, node: FieldNode, definition: graphql.GraphQLField) -> int:
        """How many items a paged list asks for (1 for any other field)."""
        if "first" not in definition.args:
            return 1
        size = DEFAULT_PAGE
        for argument in node.arguments or ():
            if argument.name.value == "first":
                value = graphql.value_from_ast_untyped(argument.value, self.variables)
                size = value if type(value) is int else DEFAULT_PAGE
        if size > self.max_page and self.too_large is None:
            self.too_large = ((node.alias or node.name).value, size)
        return max(size, 1)
