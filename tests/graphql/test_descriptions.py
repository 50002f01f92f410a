"""Every element of the schema explains itself in Chinese and English.

Frontend teams read the schema in GraphiQL and their code generators; an element
without a description, or with one in only one language, fails here by name.
"""

from __future__ import annotations

import re

import pytest
import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    introspection_types,
    specified_directives,
    specified_scalar_types,
)

from schema import build_schema

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ASCII_LETTER = re.compile(r"[A-Za-z]")

BUILT_IN_TYPES = set(introspection_types) | set(specified_scalar_types)
BUILT_IN_DIRECTIVES = {directive.name for directive in specified_directives}


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return build_schema()._schema


def described_elements(schema: GraphQLSchema) -> list[tuple[str, str | None]]:
    """(coordinate, description) of every type, field, argument, input field and enum value we define."""
    found: list[tuple[str, str | None]] = []
    for name, graphql_type in sorted(schema.type_map.items()):
        if name in BUILT_IN_TYPES:
            continue
        found.append((name, graphql_type.description))
        found.extend(_members(name, graphql_type))
    for directive in schema.directives:
        if directive.name in BUILT_IN_DIRECTIVES:
            continue
        found.append((f"@{directive.name}", directive.description))
        found.extend((f"@{directive.name}({arg})", a.description) for arg, a in directive.args.items())
    return found


def _members(type_name: str, graphql_type: object) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
        for field_name, field in graphql_type.fields.items():
            found.append((f"{type_name}.{field_name}", field.description))
            found.extend((f"{type_name}.{field_name}({arg})", a.description) for arg, a in field.args.items())
    elif isinstance(graphql_type, GraphQLInputObjectType):
        found.extend((f"{type_name}.{name}", f.description) for name, f in graphql_type.fields.items())
    elif isinstance(graphql_type, GraphQLEnumType):
        found.extend((f"{type_name}.{name}", v.description) for name, v in graphql_type.values.items())
    elif isinstance(graphql_type, GraphQLUnionType):
        pass  # members are object types, checked on their own
    return found


def test_the_walk_reaches_every_kind_of_element(graphql_schema):
    coordinates = {coordinate for coordinate, _ in described_elements(graphql_schema)}
    for expected in ("Registration", "Registration.idNumber", "Query.registrations(first)",
                     "RegistrationInput.name", "ErrorCode.NOT_FOUND", "Mutation.login(username)"):
        assert expected in coordinates
    assert not any(coordinate.startswith("__") or coordinate == "String" for coordinate in coordinates)


def test_every_element_has_a_description(graphql_schema):
    missing = [coordinate for coordinate, description in described_elements(graphql_schema)
               if not (description or "").strip()]
    assert not missing, "schema elements without a description:\n" + "\n".join(missing)


def test_every_description_is_in_chinese_and_english(graphql_schema):
    one_language = [
        f"{coordinate}: {description!r}"
        for coordinate, description in described_elements(graphql_schema)
        if (description or "").strip() and not (CJK.search(description) and ASCII_LETTER.search(description))
    ]
    assert not one_language, (
        "descriptions need the Chinese domain term and English:\n" + "\n".join(one_language)
    )


def deprecated_elements(schema: GraphQLSchema) -> list[tuple[str, str]]:
    """(coordinate, reason) of every deprecated field, argument, input field and enum value."""
    found = []
    for name, graphql_type in schema.type_map.items():
        if name in BUILT_IN_TYPES:
            continue
        members = {**(getattr(graphql_type, "fields", None) or {}), **(getattr(graphql_type, "values", None) or {})}
        for member_name, member in members.items():
            found.append((f"{name}.{member_name}", getattr(member, "deprecation_reason", None)))
            for arg_name, arg in (getattr(member, "args", None) or {}).items():
                found.append((f"{name}.{member_name}({arg_name})", arg.deprecation_reason))
    return [(coordinate, reason) for coordinate, reason in found if reason is not None]


def test_deprecations_say_why_in_both_languages(graphql_schema):
    unexplained = [f"{coordinate}: {reason!r}" for coordinate, reason in deprecated_elements(graphql_schema)
                   if not (CJK.search(reason) and ASCII_LETTER.search(reason))]
    assert not unexplained, "deprecated without a reason in Chinese and English:\n" + "\n".join(unexplained)


def test_the_checks_catch_an_undescribed_or_one_language_element():
    @strawberry.type(description="示例 Example")
    class Query:
        plain: int = strawberry.field(description="只有中文")
        bare: int
        old: int = strawberry.field(description="旧字段 Old field", deprecation_reason="no reason in Chinese")

    elements = dict(described_elements(strawberry.Schema(query=Query)._schema))
    assert elements["Query.bare"] is None
    assert not ASCII_LETTER.search(elements["Query.plain"])
    assert deprecated_elements(strawberry.Schema(query=Query)._schema) == [("Query.old", "no reason in Chinese")]
