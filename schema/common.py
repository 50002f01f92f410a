"""Shared GraphQL shapes: cursor connections and id parsing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from app.errors import NotFound
from app.pagination import Page

T = TypeVar("T")
R = TypeVar("R")


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


def parse_id(value: strawberry.ID | str | int, *, what: str = "记录", field: str = "id") -> int:
    """Our ids are positive integers; anything else is a record that does not exist."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise NotFound(what, field)
    return int(text)
