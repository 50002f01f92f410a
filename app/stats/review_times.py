"""审核用时: how long reviews took, in working hours, as a median and a 90th percentile per group.

Definitions (the same on SQLite and PostgreSQL, computed in the database):

* A **review** runs from a submission (the SUBMIT in the record's history) to the decision that
  ends it: the final approval (to APPROVED) or a return to the unit (REJECT, to RETURNED) at
  either stage. This is the span the 3-working-day deadline covers (app.calendar.service). The
  initial approval in between only passes the record on; rollback requests are not reviews.
* Its **time in working hours** counts only the hours that fall on working days in China time
  (UTC+8), whole days as 24 h, using the `working_day` table (the working calendar: the
  chinese-calendar library, the operators' schedules, weekends otherwise). With W(d) the working
  days before day d, a review from s to e lasts
  24 h × (W(day e) − W(day s)) − (time of day of s, if day s is a working day)
                              + (time of day of e, if day e is a working day),
  in whole seconds. Reviews whose days fall outside the table's years are not counted.
* **Percentiles are nearest-rank**: of the n times of a group in ascending order, the p-th
  percentile is the one at rank ⌈n·p/100⌉ (the median of an even number is the lower middle
  one), always a measured time in whole seconds. PostgreSQL computes it with its ordered-set
  aggregate percentile_disc, which is exactly that; SQLite, which has none, with ROW_NUMBER
  and COUNT windows in integer arithmetic. Both give the same numbers (tests/stats check them
  against Python on both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement, FromClause

from app.calendar.models import WorkingDay
from app.registrations.models import Registration
from app.registrations.models import RegistrationStatus as S
from app.reviews.models import ReviewAction, ReviewActionKind
from app.stats.sql import DAY_SECONDS, china_day, seconds_into_china_day

MEDIAN, P90 = 50, 90
REVIEW_ENDS = (S.APPROVED, S.RETURNED)


@dataclass(frozen=True)
class ReviewTimes:
    reviews: int = 0
    median_seconds: int | None = None
    p90_seconds: int | None = None


@dataclass
class GroupedReviewTimes:
    by_key: dict[tuple, ReviewTimes]
    total: ReviewTimes


def review_times(
    session: Any, *, keys: list[tuple[str, ColumnElement]], source: FromClause, conditions: list[Any],
) -> GroupedReviewTimes:
    """Review-time percentiles per group of `keys` and overall, over the records `source` and `conditions` select."""
    timed = _timed_reviews(keys, source, conditions)
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(_ordered_set_percentiles(timed, keys)).mappings()
    else:
        rows = session.execute(_window_percentiles(timed, keys)).mappings()
    by_key: dict[tuple, ReviewTimes] = {}
    total: ReviewTimes | None = None
    overall: dict[str, int] = {}  # the window query's overall percentiles, found in one group each
    for row in rows:
        times = ReviewTimes(int(row["reviews"]), _int(row["median"]), _int(row["p90"]))
        if row["is_total"]:
            total = times
            continue
        by_key[tuple(row[name] for name, _ in keys)] = times
        overall.update({name: int(row[name]) for name in ("overall_median", "overall_p90") if row[name] is not None})
    if total is None:
        total = ReviewTimes(sum(t.reviews for t in by_key.values()), overall.get("overall_median"),
                            overall.get("overall_p90"))
    return GroupedReviewTimes(by_key=by_key, total=total)


def _ordered_set_percentiles(timed: Any, keys: list[tuple[str, ColumnElement]]) -> Any:
    """PostgreSQL: percentile_disc is exactly the nearest rank; GROUPING SETS add the overall row."""
    group = [timed.c[name] for name, _ in keys]
    figures = [
        sa.func.count().label("reviews"),
        sa.func.percentile_disc(MEDIAN / 100).within_group(timed.c.seconds).label("median"),
        sa.func.percentile_disc(P90 / 100).within_group(timed.c.seconds).label("p90"),
        sa.null().label("overall_median"), sa.null().label("overall_p90"),
    ]
    if not group:
        return sa.select(*figures, sa.true().label("is_total"))
    return (sa.select(*group, *figures, (sa.func.grouping(group[0]) == 1).label("is_total"))
            .group_by(sa.func.grouping_sets(sa.tuple_(*group), sa.tuple_())))


def _window_percentiles(timed: Any, keys: list[tuple[str, ColumnElement]]) -> Any:
    """SQLite (no ordered-set aggregates): ROW_NUMBER and COUNT windows pick the row at the nearest rank."""
    group = [timed.c[name] for name, _ in keys]
    partition = {"partition_by": group} if group else {}
    ranked = sa.select(
        *group, timed.c.seconds,
        sa.func.row_number().over(order_by=timed.c.seconds, **partition).label("rank"),
        sa.func.count().over(**partition).label("size"),
        sa.func.row_number().over(order_by=timed.c.seconds).label("overall_rank"),
        sa.func.count().over().label("overall_size"),
    ).subquery("ranked")
    r = ranked.c

    def at_rank(rank: ColumnElement, size: ColumnElement, percent: int) -> ColumnElement:
        return sa.func.max(sa.case((rank == (size * percent + 99) // 100, r.seconds)))

    # The overall percentiles come out of the same pass: only the group holding the review at the
    # overall rank has a value in those columns.
    query = sa.select(
        *[r[name] for name, _ in keys], sa.func.count().label("reviews"),
        at_rank(r.rank, r.size, MEDIAN).label("median"), at_rank(r.rank, r.size, P90).label("p90"),
        at_rank(r.overall_rank, r.overall_size, MEDIAN).label("overall_median"),
        at_rank(r.overall_rank, r.overall_size, P90).label("overall_p90"),
        sa.literal(not keys).label("is_total"),
    )
    return query.group_by(*[r[name] for name, _ in keys]) if keys else query


def _timed_reviews(keys: list[tuple[str, ColumnElement]], source: FromClause, conditions: list[Any]) -> Any:
    """One row per finished review: the group key and its working seconds."""
    order = (ReviewAction.at, ReviewAction.id)
    previous = {"partition_by": ReviewAction.registration_id, "order_by": order}
    ends = sa.and_(ReviewAction.action.in_([ReviewActionKind.APPROVE, ReviewActionKind.REJECT]),
                   ReviewAction.to_status.in_(REVIEW_ENDS))
    # Only submissions and ending decisions: the step before an ending decision is its submission.
    steps = (
        sa.select(
            *[column.label(name) for name, column in keys],
            ReviewAction.action.label("action"), ReviewAction.at.label("at"),
            sa.func.lag(ReviewAction.action).over(**previous).label("previous_action"),
            sa.func.lag(ReviewAction.at).over(**previous).label("submitted_at"),
        )
        .select_from(source.join(ReviewAction, ReviewAction.registration_id == Registration.id))
        .where(*conditions, sa.or_(ReviewAction.action == ReviewActionKind.SUBMIT, ends))
        .subquery("steps")
    )
    s = steps.c
    days = WorkingDay.__table__
    start, end = days.alias("start_day"), days.alias("end_day")
    seconds = (
        DAY_SECONDS * (end.c.working_days_before - start.c.working_days_before)
        - sa.case((start.c.is_working, seconds_into_china_day(s.submitted_at)), else_=0)
        + sa.case((end.c.is_working, seconds_into_china_day(s.at)), else_=0)
    )
    return (
        sa.select(*[s[name] for name, _ in keys], seconds.label("seconds"))
        .select_from(steps.join(start, start.c.day == china_day(s.submitted_at))
                     .join(end, end.c.day == china_day(s.at)))
        .where(s.action != ReviewActionKind.SUBMIT, s.previous_action == ReviewActionKind.SUBMIT)
        .subquery("timed")
    )


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)
