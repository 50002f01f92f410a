"""Keyset pagination (newest first) behind every cursor connection."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, func, select

from app.errors import AppError, ErrorCode

T = TypeVar("T")
DEFAULT_PAGE = 20
MAX_PAGE = 100


@dataclass
class Page(Generic[T]):
    rows: list[T]
    cursors: list[str]
    total_count: int
    has_next_page: bool
    has_previous_page: bool

    @property
    def start_cursor(self) -> str | None:
        return self.cursors[0] if self.cursors else None

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 1 or first > MAX_PAGE:
        raise AppError(ErrorCode.INVALID, f"每页条数 first 须在1到{MAX_PAGE}之间", "first")
    return first


def encode_cursor(kind: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{row_id}".encode()).decode()


def decode_cursor(kind: str, cursor: str) -> int:
    try:
        found, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if found != kind:
            raise ValueError(found)
        return int(value)
    except (ValueError, UnicodeError) as exc:
        raise AppError(
            ErrorCode.INVALID, "分页游标 after 无效，请使用上一页返回的 endCursor", "after"
        ) from exc


def paginate(
    session: Session,
    entity: type[T],
    *,
    kind: str,
    conditions: list[Any],
    first: int | None,
    after: str | None,
    as_rows: bool = False,
    selected: sa.Select | None = None,
) -> Page[T]:
    """One COUNT and one SELECT, whatever the page size.

    `as_rows`: plain records of the entity's columns instead of entities, with the same
    attributes; they load several times faster (for pages that are only shown).
    `selected` (with `as_rows`): the SELECT of the records' columns, when a page needs only some
    of them or a joined one; the conditions, the cursor, the order and the limit are added here.
    """
    limit = page_size(first)
    id_column: sa.ColumnElement[int] = entity.id  # type: ignore[attr-defined]
    if as_rows:
        # Plain Core statements: no ORM entities are loaded, so the ORM's execution has nothing to do.
        table = entity.__table__  # type: ignore[attr-defined]
        count = sa.select(func.count()).select_from(table).where(*conditions)
        total = session.connection().execute(count).scalar_one()
        query = sa.select(table) if selected is None else selected
    else:
        total = session.exec(select(func.count()).select_from(entity).where(*conditions)).one()
        query = select(entity)
    query = query.where(*conditions)
    if after:
        query = query.where(id_column < decode_cursor(kind, after))
    query = query.order_by(id_column.desc()).limit(limit + 1)
    rows = _records(session.connection().execute(query)) if as_rows else list(session.exec(query))
    return Page(
        rows=rows[:limit],
        cursors=[encode_cursor(kind, r.id) for r in rows[:limit]],  # type: ignore[attr-defined]
        total_count=total,
        has_next_page=len(rows) > limit,
        has_previous_page=after is not None,
    )


def _records(result: sa.Result[Any]) -> list[Any]:
    # Attribute access on a Row goes through its key lookup each time; a namespace is a plain dict.
    # all(): the driver hands over the rows at once (iterating fetches them one call at a time).
    keys = list(result.keys())
    return [SimpleNamespace(**dict(zip(keys, row, strict=True))) for row in result.all()]
