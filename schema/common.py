"""Shared GraphQL shapes: cursor connections and id parsing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import Enum
from typing import Annotated, Generic, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from app.errors import NotFound
from app.pagination import Page

T = TypeVar("T")
R = TypeVar("R")
E = TypeVar("E", bound=Enum)

First = Annotated[int | None, strawberry.argument(
    description="每页条数（1～100，默认20）Page size, 1 to 100 (default 20)")]
After = Annotated[str | None, strawberry.argument(
    description="分页游标：上一页 pageInfo.endCursor 的值；不传为第一页 Cursor: the previous page's endCursor")]
SessionId = Annotated[strawberry.ID, strawberry.argument(description="考试批次编号（见 examSessions）Exam session id")]


def described_enum(cls: type[E], *, name: str, description: str, values: Mapping[str, str]) -> type[E]:
    """A domain enum as a GraphQL enum, each value with its own description.

    The domain enums in app/ stay free of Strawberry, so the value descriptions live here. A value
    added to the domain enum without one is reported by tests/graphql/test_descriptions.py.
    """
    unknown = set(values) - set(cls.__members__)
    if unknown:
        raise ValueError(f"{name} has no values {sorted(unknown)}")
    wrapped = strawberry.enum(cls, name=name, description=description)
    for value in wrapped.__strawberry_definition__.values:
        value.description = values.get(value.name)
    return wrapped


@strawberry.type(description="分页信息 Relay-style page information")
class PageInfo:
    has_next_page: bool = strawberry.field(description="是否还有下一页 More items after this page")
    has_previous_page: bool = strawberry.field(description="是否有上一页 Items before this page")
    start_cursor: str | None = strawberry.field(description="本页第一条的游标 Cursor of the first item")
    end_cursor: str | None = strawberry.field(description="本页最后一条的游标，传给 after 取下一页 Pass as `after` for the next page")


@strawberry.type(description="列表中的一项 An item in a connection")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="游标 Cursor of this item")
    node: T = strawberry.field(description="数据 The item")


@strawberry.type(description="分页列表 A cursor connection")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="本页数据 Items on this page")
    page_info: PageInfo = strawberry.field(description="分页信息 Page information")
    total_count: int = strawberry.field(description="符合条件的总数 Number of items matching the filter")


def connection_from(page: Page[R], convert: Callable[[R], T]) -> Connection[T]:
    return Connection(
        edges=[Edge(cursor=c, node=convert(r)) for c, r in zip(page.cursors, page.rows, strict=True)],
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.start_cursor,
            end_cursor=page.end_cursor,
        ),
        total_count=page.total_count,
    )


def node_fields(info: Info) -> set[str]:
    """The GraphQL names of the fields a connection field's query selects on its nodes
    (`edges { node { ... } }`), fragments included, so a page loads only what it shows.

    @skip and @include are not evaluated: a page may load a column it then leaves out, never
    miss one it shows."""
    return {field.name
            for connection in info.selected_fields
            for edges in _selected(connection.selections, "edges")
            for node in _selected(edges.selections, "node")
            for field in _selected(node.selections)}


def _selected(selections: Iterable[Selection], name: str | None = None) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if name is None or selection.name == name:
                yield selection
        else:  # a fragment spread or an inline fragment: its fields are selected here too
            yield from _selected(selection.selections, name)


def parse_id(value: strawberry.ID | str | int, *, what: str = "记录", field: str = "id") -> int:
    """Our ids are positive integers; anything else is a record that does not exist."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise NotFound(what, field)
    return int(text)
