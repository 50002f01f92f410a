"""Column helpers shared by every entity."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from app.clock import UTCDateTime, now


def enum_column(enum: type[StrEnum], *, name: str, nullable: bool = False, **kw: Any) -> Any:
    """A VARCHAR with a CHECK constraint: valid states enforced by the database."""
    return Field(
        sa_column=sa.Column(
            sa.Enum(
                enum,
                name=name,
                native_enum=False,
                create_constraint=True,
                length=32,
                values_callable=lambda e: [m.value for m in e],
                validate_strings=True,
            ),
            nullable=nullable,
            **kw,
        ),
        **({"default": None} if nullable else {}),
    )


def timestamp(*, nullable: bool = False, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True, index=index))
    return Field(
        default_factory=now, sa_column=sa.Column(UTCDateTime(), nullable=False, index=index)
    )


def json_column() -> Any:
    return Field(default=None, sa_column=sa.Column(sa.JSON(), nullable=True))


__all__ = ["datetime", "enum_column", "json_column", "timestamp"]
