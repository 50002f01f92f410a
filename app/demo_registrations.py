"""The demo's registrations with review histories that look like a real registration window.

Each record gets a state first (the mix a window three weeks in would show), then a history
that ends in it before now: submitted on a day of the window, reviewed by its county (or
department) and its city after delays in working hours, slower in some places than others,
so the review-time percentiles and the overdue reviews in the statistics mean something.
Rows are written in bulk: COPY on PostgreSQL, sqlite3's executemany on SQLite.
"""

from __future__ import annotations

import json
import math
import random
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts.models import Role
from app.calendar.service import REVIEW_WORKING_DAYS, WorkingCalendar
from app.clock import CHINA, UTCDateTime
from app.registrations.models import Registration
from app.registrations.models import RegistrationStatus as S
from app.reviews.models import ReviewAction
from app.reviews.models import ReviewActionKind as A
from app.units.models import Unit, UnitLevel

DAY = 86400
HOUR = 3600
# The mix of states three weeks into a registration window (weights).
STATE_WEIGHTS = {S.DRAFT: 14, S.PENDING_INITIAL: 11, S.PENDING_FINAL: 7, S.RETURNED: 8, S.APPROVED: 38,
                 S.ROLLBACK_REQUESTED: 2, S.TRAINING_OPENED: 20}
INITIAL_MEDIAN_HOURS, FINAL_MEDIAN_HOURS = 6.0, 9.0  # working hours, before a place's own pace
RETURNED_AT_FINAL = 0.2  # of the returns, the share the city (not the county) made
RETURNED_BEFORE = 0.08  # records that were returned once and submitted again
# A backlogged office (pace 3 or more) leaves this share of the records waiting for its first review
# past their deadline: the statistics show overdue reviews whatever the day and hour of the week.
BACKLOGGED_PACE, OVERDUE_SHARE = 3.0, 0.25
COPY_CHUNK = 5000


@dataclass(frozen=True)
class Actor:
    id: int | None
    role: str | None


@dataclass
class Chain:
    """Who acts on a unit's records: its administrator, its first and its final reviewer."""

    unit: Unit
    admin: Actor
    initial: Actor
    final: Actor
    pace: float  # multiplies review delays: 1 is typical, 3 a backlogged office


@dataclass
class Record:
    chain: Chain
    status: S
    steps: list[tuple[A, S | None, S, datetime, Actor, str | None]] = field(default_factory=list)
    submitted_at: datetime | None = None
    due_at: datetime | None = None
    registration_id: int | None = None  # once written


class WorkingClock:
    """Instants and working seconds (China working days count 24 h) between two days, both ways."""

    def __init__(self, calendar: WorkingCalendar, first: date, last: date) -> None:
        self.first = first
        self.midnights: list[datetime] = []
        self.before: list[int] = []  # working days before each day
        self.working: list[bool] = []
        self.working_days: list[int] = []  # index of every working day
        day, count = first, 0
        while day <= last:
            self.midnights.append(datetime.combine(day, time(0), tzinfo=CHINA).astimezone(UTC))
            working = calendar.is_workday(day)
            self.before.append(count)
            self.working.append(working)
            if working:
                self.working_days.append(len(self.midnights) - 1)
            count += working
            day += timedelta(days=1)

    def seconds(self, moment: datetime) -> int:
        index = max(0, min(bisect_right(self.midnights, moment) - 1, len(self.midnights) - 1))
        into = int((moment - self.midnights[index]).total_seconds())
        return DAY * self.before[index] + (min(into, DAY) if self.working[index] else 0)

    def instant(self, working_seconds: int) -> datetime:
        days, rest = divmod(max(0, working_seconds), DAY)
        index = self.working_days[min(days, len(self.working_days) - 1)]
        return self.midnights[index] + timedelta(seconds=rest)

    def back(self, moment: datetime, working_seconds: float) -> datetime:
        return self.instant(self.seconds(moment) - int(working_seconds))

    def forward(self, moment: datetime, working_seconds: float) -> datetime:
        return self.instant(self.seconds(moment) + int(working_seconds))


class Histories:
    """Builds each record's history backwards from the moment its current state began."""

    def __init__(self, rng: random.Random, clock: WorkingClock, calendar: WorkingCalendar,
                 opens: datetime, now: datetime, training: Actor) -> None:
        self.rng, self.clock, self.calendar = rng, clock, calendar
        self.opens, self.now, self.training = opens, now, training
        self.deadlines: dict[date, datetime] = {}

    def record(self, chain: Chain, status: S) -> Record:
        for _ in range(8):  # a history that would start before the window opened is drawn again
            record = self._attempt(chain, status)
            if record.steps[0][3] >= self.opens:
                return record
        return self._attempt(chain, S.DRAFT)

    def _attempt(self, chain: Chain, status: S) -> Record:
        record = Record(chain=chain, status=status)
        rng, clock, now = self.rng, self.clock, self.now
        later: list[tuple[A, S | None, S, datetime, Actor, str | None]] = []  # newest first
        waited = rng.random()  # how far into its current wait a pending record is
        if status == S.DRAFT:
            created = self.opens + (now - self.opens) * rng.random() ** 0.7
            record.steps = [(A.CREATE, None, S.DRAFT, created, chain.admin, None)]
            return record
        if status == S.PENDING_INITIAL and chain.pace >= BACKLOGGED_PACE and rng.random() < OVERDUE_SHARE:
            # Submitted more than REVIEW_WORKING_DAYS whole working days ago: its deadline has passed.
            submitted = clock.back(now, rng.uniform(REVIEW_WORKING_DAYS + 1, REVIEW_WORKING_DAYS + 4) * DAY)
        elif status == S.PENDING_INITIAL:
            submitted = clock.back(now, self._delay(INITIAL_MEDIAN_HOURS, chain.pace) * waited)
        elif status == S.PENDING_FINAL:
            passed = clock.back(now, self._delay(FINAL_MEDIAN_HOURS, chain.pace) * waited)
            submitted = self._initial_review(chain, passed, later)
        elif status == S.RETURNED:
            returned = self._moment_in_window(0.3)
            if rng.random() < RETURNED_AT_FINAL:
                later.append((A.REJECT, S.PENDING_FINAL, S.RETURNED, returned, chain.final, "职务职级填写不规范"))
                submitted = self._initial_review(chain, clock.back(returned, self._delay(FINAL_MEDIAN_HOURS,
                                                                                          chain.pace)), later)
            else:
                later.append((A.REJECT, S.PENDING_INITIAL, S.RETURNED, returned, chain.initial, "照片背景不符合要求"))
                submitted = clock.back(returned, self._delay(INITIAL_MEDIAN_HOURS, chain.pace))
        else:  # approved, then perhaps a rollback request or training
            if status == S.TRAINING_OPENED:
                opened = self._training_batch()
                later.append((A.OPEN_TRAINING, S.APPROVED, S.TRAINING_OPENED, opened, self.training, None))
                approved = clock.back(opened, rng.uniform(8, 60) * HOUR)
            elif status == S.ROLLBACK_REQUESTED:
                requested = clock.back(now, rng.uniform(0, 40) * HOUR)
                later.append((A.REQUEST_ROLLBACK, S.APPROVED, S.ROLLBACK_REQUESTED, requested, chain.admin,
                              "人员性质填写有误，申请回退修改"))
                approved = clock.back(requested, rng.uniform(4, 80) * HOUR)
                record.due_at = self._due(requested)
            else:
                approved = self._moment_in_window(0.5)
            later.append((A.APPROVE, S.PENDING_FINAL, S.APPROVED, approved, chain.final, None))
            submitted = self._initial_review(chain, clock.back(approved, self._delay(FINAL_MEDIAN_HOURS,
                                                                                      chain.pace)), later)
        later.append((A.SUBMIT, S.DRAFT, S.PENDING_INITIAL, submitted, chain.admin, None))
        record.submitted_at = submitted
        if status in (S.PENDING_INITIAL, S.PENDING_FINAL):
            record.due_at = self._due(submitted)
        if rng.random() < RETURNED_BEFORE:
            self._earlier_return(chain, later)
        created = clock.back(later[-1][3], rng.uniform(0.2, 30) * HOUR)
        later.append((A.CREATE, None, S.DRAFT, created, chain.admin, None))
        record.steps = list(reversed(later))
        return record

    def _initial_review(self, chain: Chain, passed: datetime, later: list) -> datetime:
        later.append((A.APPROVE, S.PENDING_INITIAL, S.PENDING_FINAL, passed, chain.initial, None))
        return self.clock.back(passed, self._delay(INITIAL_MEDIAN_HOURS, chain.pace))

    def _earlier_return(self, chain: Chain, later: list) -> None:
        """A first submission returned by the county, edited and submitted again."""
        submitted = later[-1][3]
        _, _, _, at, actor, comment = later.pop()
        later.append((A.SUBMIT, S.RETURNED, S.PENDING_INITIAL, at, actor, comment))
        edited = self.clock.back(submitted, self.rng.uniform(1, 30) * HOUR)
        later.append((A.EDIT, S.RETURNED, S.RETURNED, edited, chain.admin, None))
        returned = self.clock.back(edited, self.rng.uniform(0.5, 20) * HOUR)
        later.append((A.REJECT, S.PENDING_INITIAL, S.RETURNED, returned, chain.initial, "身份证号码与姓名不符，请核对"))
        first = self.clock.back(returned, self._delay(INITIAL_MEDIAN_HOURS, chain.pace))
        later.append((A.SUBMIT, S.DRAFT, S.PENDING_INITIAL, first, chain.admin, None))

    def _delay(self, median_hours: float, pace: float) -> float:
        """Working seconds a review takes: log-normal, a long tail, at the office's pace."""
        return max(600.0, median_hours * HOUR * pace * math.exp(self.rng.gauss(0, 0.9)))

    def _moment_in_window(self, skew: float) -> datetime:
        """A moment between the opening and now; the larger `skew`, the nearer to now."""
        span = (self.now - self.opens).total_seconds()
        return self.now - timedelta(seconds=span * self.rng.random() ** (1 + skew) * 0.9)

    def _training_batch(self) -> datetime:
        """The training company opens training in batches, mid-morning on working days."""
        for _ in range(20):
            day = (self.opens + (self.now - self.opens) * self.rng.uniform(0.3, 1)).astimezone(CHINA).date()
            moment = datetime.combine(day, time(10, 30), tzinfo=CHINA).astimezone(UTC)
            if self.calendar.is_workday(day) and moment < self.now:
                return moment
        return self.now - timedelta(hours=1)

    def _due(self, submitted: datetime) -> datetime:
        """The deadline depends only on the China day of submission: computed once a day."""
        day = submitted.astimezone(CHINA).date()
        if day not in self.deadlines:
            self.deadlines[day] = self.calendar.due(submitted, REVIEW_WORKING_DAYS)
        return self.deadlines[day]


def draw_states(rng: random.Random, count: int) -> list[S]:
    states = list(STATE_WEIGHTS)
    return rng.choices(states, weights=[STATE_WEIGHTS[s] for s in states], k=count)


# ----- writing rows in bulk --------------------------------------------------------------------


class Writer:
    """Rows as the columns store them, through COPY (PostgreSQL) or executemany (SQLite).

    Values are converted by column type only where the driver needs it: instants to naive UTC
    (text on SQLite, like SQLAlchemy's), dates to text on SQLite, enums to their values, lists to JSON.
    """

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"

    def _converter(self, column: sa.Column) -> Any:
        kind = column.type
        if isinstance(kind, sa.DateTime | UTCDateTime):
            return self._instant
        if isinstance(kind, sa.Date) and self.sqlite:
            return lambda value: None if value is None else value.isoformat()
        if isinstance(kind, sa.Enum):
            return lambda value: None if value is None else str(value)  # a StrEnum's str() is its value
        if isinstance(kind, sa.JSON):
            return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
        return None

    def _instant(self, value: datetime | None) -> Any:
        if value is None:
            return None
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else naive

    def write(self, table: sa.Table, columns: list[str], rows: Iterable[tuple]) -> None:
        converters = [(i, c) for i, name in enumerate(columns) if (c := self._converter(table.c[name])) is not None]

        def plain(row: tuple) -> tuple:
            cells = list(row)
            for index, convert in converters:
                cells[index] = convert(cells[index])
            return tuple(cells)

        cursor = self.connection.connection.driver_connection.cursor()
        if self.sqlite:
            sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            for chunk in _chunks(map(plain, rows), COPY_CHUNK):
                cursor.executemany(sql, chunk)
            return
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(plain(row))


def _chunks(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


REGISTRATION_COLUMNS = [
    "session_id", "unit_id", "status", "name", "gender", "ethnicity", "id_number", "political_status", "education",
    "major", "phone", "position", "enforcement_field", "exam_type", "certificate_number", "personnel_nature",
    "work_start_date", "remarks", "rollback_used", "submitted_at", "due_at", "reminded_at", "created_by",
    "created_at", "updated_at", "version",
]
ACTION_COLUMNS = ["registration_id", "actor_id", "actor_role", "action", "from_status", "to_status", "comment", "at"]


def write_registrations(writer: Writer, rows: Iterable[tuple]) -> None:
    writer.write(Registration.__table__, REGISTRATION_COLUMNS, rows)


def write_histories(writer: Writer, session_id: int, records: dict[str, Record]) -> dict[str, int]:
    """The history rows (the transitions after the creation, which the record itself holds) of the records
    just written, matched by ID number; returns their ids."""
    ids = dict(writer.connection.execute(sa.select(Registration.id_number, Registration.id)
                                         .where(Registration.session_id == session_id)).all())
    rows = ((ids[number], actor.id, actor.role, action, before, after, comment, at)
            for number, record in records.items()
            for action, before, after, at, actor, comment in record.steps if action != A.CREATE)
    writer.write(ReviewAction.__table__, ACTION_COLUMNS, rows)
    return ids


def chain_for(unit: Unit, reviewers: dict[tuple[Role, str | int], Actor], admin: Actor, pace: float) -> Chain:
    """The review chain of the README: county, then city; department, then region or city."""
    region = reviewers[(Role.REGION_REVIEWER, "")]
    if unit.level == UnitLevel.COUNTY:
        initial = reviewers.get((Role.COUNTY_REVIEWER, unit.division_code), region)
        final = reviewers.get((Role.CITY_REVIEWER, unit.city_code), region)
    elif unit.level == UnitLevel.CITY:
        final = reviewers.get((Role.CITY_REVIEWER, unit.city_code), region)
        initial = reviewers.get((Role.DEPT_REVIEWER, unit.supervisor_id), final)
    else:
        initial = reviewers.get((Role.DEPT_REVIEWER, unit.supervisor_id), region)
        final = region
    return Chain(unit=unit, admin=admin, initial=initial, final=final, pace=pace)
