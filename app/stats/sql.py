"""SQL functions the statistics need, compiled for PostgreSQL and SQLite alike.

Timestamps are stored as naive UTC (app.clock.UTCDateTime); China time is UTC+8 all year.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

CHINA_OFFSET_SECONDS = 8 * 3600
DAY_SECONDS = 24 * 3600


class china_day(FunctionElement):
    """The China (UTC+8, no daylight saving) calendar day of a naive-UTC timestamp."""

    type = sa.Date()
    inherit_cache = True


@compiles(china_day)
def _china_day_default(element, compiler, **kw):  # noqa: ANN001, ANN202
    return f"CAST(({compiler.process(element.clauses, **kw)} + INTERVAL '8 hours') AS DATE)"


@compiles(china_day, "sqlite")
def _china_day_sqlite(element, compiler, **kw):  # noqa: ANN001, ANN202
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


class epoch_seconds(FunctionElement):
    """Whole seconds since 1970-01-01 UTC of a naive-UTC timestamp (fractions dropped on both databases)."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_seconds_default(element, compiler, **kw):  # noqa: ANN001, ANN202
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element, compiler, **kw):  # noqa: ANN001, ANN202
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


def seconds_into_china_day(moment: ColumnElement) -> ColumnElement[int]:
    """Seconds since the China midnight before `moment` (0 to 86399)."""
    return (epoch_seconds(moment) + CHINA_OFFSET_SECONDS) % DAY_SECONDS
