"""Importing registrations from the official template, in the background.

The request only checks the file cheaply, stores it and queues a job. The worker
reads it (calamine, in a child process) and checks every row with the shared
rules, a batch at a time; each batch of new rows is written while the next one
is read and checked. The rows become visible only in ONE transaction together
with the job's result, so a crash or a kill never leaves part of a file
imported. A job whose worker died is re-queued by the job sweeper (app/jobs.py).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import lru_cache
from operator import itemgetter
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa
from psycopg.types.json import Json
from sqlmodel import Session, select

from app.accounts.models import User
from app.auth.permissions import require_unit_admin
from app.clock import now
from app.db import WRITE_OPTION, Database
from app.errors import AppError, ErrorCode, FieldProblem
from app.exams.service import get_exam_session, require_window_open
from app.imports.package import BadWorkbook, inspect_workbook
from app.imports.reading import read_checked
from app.imports.report import error_workbook
from app.imports.rows import CheckedRows, RowError
from app.jobs import (
    ACTOR_FOR_KIND,
    MAX_JOB_ATTEMPTS,
    Job,
    JobKind,
    JobStatus,
    claim_job,
    create_job,
    heartbeat,
)
from app.registrations.fields import DATA_KEYS
from app.registrations.models import Registration, RegistrationStatus
from app.registrations.workflow import EDITABLE, status_after_edit
from app.reviews.models import ReviewAction, ReviewActionKind
from app.storage import Storage
from app.units.models import Unit

log = logging.getLogger(__name__)
ACTOR = "import_registrations"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PROGRESS_SECONDS = 0.5  # progress writes are throttled: each is a transaction of its own
MAX_STORED_ROW_ERRORS = 2000  # the error workbook has all of them
IN_CHUNK = 5000  # SQLite allows 32766 parameters


class ImportPolicy(StrEnum):
    VALIDATE_ONLY = "VALIDATE_ONLY"  # a dry run: report, write nothing
    REJECT_EVERYTHING = "REJECT_EVERYTHING"  # write nothing if any row is bad (default)
    IMPORT_VALID_ROWS = "IMPORT_VALID_ROWS"  # write the good rows, report the bad ones


class ExistingRecords(StrEnum):
    SKIP = "SKIP"  # a candidate this unit already registered is left as it is
    UPDATE = "UPDATE"  # ... or updated from the file


POLICY_LABELS = {ImportPolicy.VALIDATE_ONLY: "仅检查", ImportPolicy.REJECT_EVERYTHING: "全部正确才导入",
                 ImportPolicy.IMPORT_VALID_ROWS: "导入正确的行"}


def request_import(
    session: Session,
    *,
    storage: Storage,
    user: User,
    session_id: int,
    data: bytes,
    file_name: str,
    policy: ImportPolicy = ImportPolicy.REJECT_EVERYTHING,
    on_existing: ExistingRecords = ExistingRecords.SKIP,
) -> Job:
    """Check the file's kind now (one clear message for a bad file), then queue the work."""
    require_unit_admin(user)
    exam = get_exam_session(session, session_id)
    if policy != ImportPolicy.VALIDATE_ONLY:
        require_window_open(exam)
    inspect_workbook(data, scan_sheets=False)
    stored = storage.put(data, folder="imports", suffix=".xlsx")
    options = {"policy": policy.value, "onExisting": on_existing.value}
    same = session.exec(select(Job).where(
        Job.kind == JobKind.REGISTRATION_IMPORT, Job.input_sha256 == stored.sha256, Job.session_id == exam.id,
        Job.unit_id == user.unit_id, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
    )).all()
    for job in same:
        if job.options == options:
            return job  # the same file sent twice while the first is still running
    return create_job(
        session, kind=JobKind.REGISTRATION_IMPORT, actor_name=ACTOR, session_id=exam.id, unit_id=user.unit_id,
        created_by=user.id, input_key=stored.key, input_name=(file_name or "报名信息表.xlsx")[:255],
        input_sha256=stored.sha256, options=options,
    )


def run_import(database: Database, storage: Storage, job_id: int) -> None:
    """The worker's part; safe to run twice for one job (a finished job is left alone)."""
    job = claim_job(database, job_id)
    if job is None:
        return
    try:
        with _cycle_collection_paused():
            _work(database, storage, job)
    except _Superseded:
        log.warning("import job %s attempt %s was taken over by a newer attempt", job.id, job.attempts)
    except AppError as error:  # a bad file or a closed window: the user's to fix, not to retry
        _finish(database, job, error=error.message)
    except sa.exc.IntegrityError:
        # Someone registered one of these people meanwhile: check the whole file again.
        log.info("import job %s lost a race on a unique ID number; retrying", job.id)
        _requeue(database, job)
        raise
    except Exception:
        # A fault of ours, the database's or the storage's: the message is retried (the actor's
        # retries) until the job's attempts run out, then the job fails with a message. It is never
        # left RUNNING for the sweeper, which is for workers that died.
        log.exception("import job %s attempt %s failed unexpectedly", job.id, job.attempts)
        if job.attempts >= MAX_JOB_ATTEMPTS:
            _finish(database, job, error=f"导入时发生系统内部错误（已尝试{job.attempts}次），数据未写入。"
                                         "请稍后重新上传；如仍失败请联系客服")
        else:
            _requeue(database, job)
        raise


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a file is imported.

    Every row's cells and cleaned values live until the import ends, so the
    collector would walk them (and the whole process) again and again without
    freeing anything: about a tenth of the import's time. Reference counting
    still frees everything as usual; the collector resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _work(database: Database, storage: Storage, job: Job) -> None:
    policy = ImportPolicy(job.options["policy"])
    on_existing = ExistingRecords(job.options["onExisting"])
    data = storage.read(job.input_key)
    with database.session() as session:
        exam = get_exam_session(session, job.session_id)
        unit = session.get(Unit, job.unit_id)
        if policy != ImportPolicy.VALIDATE_ONLY:
            require_window_open(exam)
    try:
        _import_file(database, storage, job, data, unit.name, policy, on_existing, look_up_all=False)
    except _SomeoneRegistered:
        log.info("import job %s met a person already registered; reading the file again, looking every row up",
                 job.id)
        _import_file(database, storage, job, data, unit.name, policy, on_existing, look_up_all=True)


def _import_file(database: Database, storage: Storage, job: Job, data: bytes, unit_name: str,
                 policy: ImportPolicy, on_existing: ExistingRecords, *, look_up_all: bool) -> None:
    """Read, check and write the file, then commit its rows with the job's result.

    Which rows are people this session already has is looked up a batch at a time, before the
    batch is written. Most files register only new people, so unless `look_up_all`, the lookups
    stop after a first batch that finds nobody: the rows are written as they are, and should one
    of them be registered after all, the unique ID number refuses it and this raises
    _SomeoneRegistered, leaving nothing behind. Rows not written (a file with errors, all or
    nothing) are looked up at the end instead, so that the report names every problem.
    """
    look_up = look_up_all or policy == ImportPolicy.VALIDATE_ONLY  # a dry run writes nothing to refuse a row
    report_key = None
    try:
        with (read_checked(data, unit_name=unit_name) as reading, _rows_writer(database, job) as writer,
              database.engine.connect() as lookup):
            sheet = reading.sheet
            heartbeat(database, job, total=sheet.at_most, processed=0)
            errors: list[RowError] = []
            plan = _Plan()
            unlooked = CheckedRows()  # the ID numbers of the valid rows of batches not looked up
            processed, reported = 0, time.monotonic()
            for index, checked in enumerate(reading):
                # Rows go to the database while the next batch is read and checked; they count
                # only when the job's result is committed with them (below).
                if look_up or index == 0:
                    found = _existing(lookup, job.session_id, checked.valid.values())
                    look_up = look_up or bool(found)
                else:
                    found = {}
                    unlooked.valid.update((number, {"id_number": v["id_number"]}) for number, v in checked.valid.items())
                batch = _plan(found, checked, job, on_existing)
                errors += checked.errors
                if _writes(policy, errors):
                    writer.add(batch.create)
                plan.merge(batch)
                processed += checked.size
                if time.monotonic() - reported >= PROGRESS_SECONDS:
                    heartbeat(database, job, processed=processed)
                    reported = time.monotonic()
            if not reading.total:
                raise BadWorkbook("表格中没有报名数据（表头下方没有填写任何行），请填写后再上传")
            write = _writes(policy, errors)
            if not write and unlooked.valid:  # no row written to be refused: the report needs the lookup
                plan.merge(_plan(_existing(lookup, job.session_id, unlooked.valid.values()), unlooked, job,
                                 on_existing))
                errors += unlooked.errors
            errors.sort(key=lambda e: (e.row, e.column or ""))
            if errors:  # a large report takes a while: the exact count (it was at most) shows meanwhile
                heartbeat(database, job, processed=processed, total=reading.total)
                report = error_workbook(data, sheet.name, sheet.header_row, errors)
                report_key = storage.put(report, folder="reports", suffix=".xlsx").key
                heartbeat(database, job)  # a large report takes a while: still alive
            result = _result(policy, reading.total, errors, plan, created=writer.count if write else 0, write=write)
            writer.commit(write=write, updates=plan.update, result=result, report_key=report_key)
    except sa.exc.IntegrityError:
        if report_key:
            storage.delete(report_key)
        if look_up:
            raise  # looked up, yet registered meanwhile: run_import checks the file again
        raise _SomeoneRegistered() from None


def _result(policy: ImportPolicy, total: int, errors: list[RowError], plan: _Plan, *, created: int,
            write: bool) -> dict[str, Any]:
    """The job's result: counts, every problem (the first MAX_STORED_ROW_ERRORS of them) and a summary."""
    result = {
        "policy": policy.value, "total": total, "invalid": len({e.row for e in errors}),
        "created": created, "updated": len(plan.update) if write else 0,
        "skipped": len(plan.skip), "written": write and bool(created or plan.update),
        "rowErrors": [e.as_dict() for e in errors[:MAX_STORED_ROW_ERRORS]], "rowErrorCount": len(errors),
    }
    result["message"] = _summary(policy, result)
    return result


def _writes(policy: ImportPolicy, errors: list[RowError]) -> bool:
    """Whether the file's rows are written, given the problems found so far."""
    return policy == ImportPolicy.IMPORT_VALID_ROWS or (policy == ImportPolicy.REJECT_EVERYTHING and not errors)


class _Plan:
    def __init__(self) -> None:
        self.create: list[dict[str, Any]] = []
        self.update: list[tuple[sa.Row[Any], dict[str, Any]]] = []  # (the record as it is, the file's values)
        self.skip: list[int] = []

    def merge(self, other: _Plan) -> None:
        self.update += other.update
        self.skip += other.skip


def _plan(existing: dict[str, sa.Row[Any]], checked: CheckedRows, job: Job, on_existing: ExistingRecords) -> _Plan:
    """Which valid rows of a batch are new, which update this unit's records, which clash with another unit."""
    plan = _Plan()
    for number, values in sorted(checked.valid.items()):
        found = existing.get(values["id_number"])
        if found is None:
            plan.create.append(values)
            continue
        if found.unit_id != job.unit_id:
            checked.fail(number, FieldProblem(
                ErrorCode.DUPLICATE_ID_NUMBER,
                f"该身份证号码在本次考试中已由其他单位（{found.unit_name}）报名，同一人每次考试只能报名一次", "idNumber"))
        elif on_existing == ExistingRecords.SKIP:
            plan.skip.append(number)
        elif found.status not in EDITABLE:
            checked.fail(number, FieldProblem(
                ErrorCode.INVALID_STATE, "本单位已报名此人，且报名信息已终审通过或已开通培训，不能通过导入修改", "idNumber"))
        else:
            plan.update.append((found, values))
    return plan


def _existing(lookup: sa.Connection, session_id: int, valid: Iterable[dict[str, Any]]) -> dict[str, sa.Row[Any]]:
    """This session's registrations of the valid rows' ID numbers, with their unit's name; one short read."""
    found: dict[str, sa.Row[Any]] = {}
    try:
        for among in _id_number_filters(lookup, [values["id_number"] for values in valid]):
            rows = lookup.execute(
                sa.select(Registration.id, Registration.id_number, Registration.unit_id, Registration.status,
                          Registration.version, Unit.name.label("unit_name"))
                .join(Unit, Unit.id == Registration.unit_id)
                .where(Registration.session_id == session_id, among))
            for row in rows:
                found[row.id_number] = row
    finally:
        lookup.rollback()  # no read transaction (nor SQLite snapshot) is held between batches
    return found


def _id_number_filters(lookup: sa.Connection, numbers: list[str]) -> list[sa.ColumnElement[bool]]:
    """PostgreSQL takes all the numbers as one array; SQLite a bounded IN list at a time.

    The array is sent as one comma-separated text (valid ID numbers are digits and X), which the
    database splits: psycopg would build a 500-element array parameter in Python, element by element.
    """
    if numbers and lookup.dialect.name == "postgresql":
        listed = sa.func.string_to_array(sa.bindparam("numbers", ",".join(numbers), type_=sa.Text), ",")
        return [Registration.id_number == sa.any_(listed)]
    return [Registration.id_number.in_(numbers[start:start + IN_CHUNK]) for start in range(0, len(numbers), IN_CHUNK)]


@contextmanager
def _rows_writer(database: Database, job: Job) -> Iterator[_SqliteRows | _PostgresRows]:
    writer = _PostgresRows(database, job) if database.dialect == "postgresql" else _SqliteRows(database, job)
    try:
        yield writer
    finally:
        writer.close()


class _NewRows:
    """New registrations written a batch at a time while the file is read, and the job's result with them.

    `commit` makes the rows (when `write`), the updates of this unit's records (with their
    history) and the job's result one transaction; anything else leaves nothing behind. A new
    record's creation (by whom, when, by import) is kept on the record itself.
    """

    def __init__(self, database: Database, job: Job) -> None:
        self.database, self.job, self.count = database, job, 0
        self.at = now()
        self.fixed = {"session_id": job.session_id, "unit_id": job.unit_id, "status": RegistrationStatus.DRAFT,
                      "rollback_used": False, "created_by": job.created_by, "created_at": self.at,
                      "updated_at": self.at, "imported": True, "version": 1}
        self._connection: sa.Connection | None = None

    def _final_writes(self, connection: sa.Connection, *, write: bool,
                      updates: list[tuple[sa.Row[Any], dict[str, Any]]], result: dict[str, Any],
                      report_key: str | None) -> None:
        if write:
            _update_existing(connection, self.job, updates, self.at)
        _record_result(connection, self.job, result, report_key)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()


class _SqliteRows(_NewRows):
    """On SQLite the rows' data wait in a temporary table of one connection (which takes no lock on the
    database, so other writers and the progress updates go on), then one INSERT ... SELECT moves
    them into the table under the write lock, in C."""

    STAGE = "temp.import_rows"

    def add(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self._connection is None:
            self._connection = self.database.engine.connect()
            self._connection.exec_driver_sql(f"DROP TABLE IF EXISTS {self.STAGE}")
            self._connection.exec_driver_sql(
                f"CREATE TABLE {self.STAGE} AS SELECT {', '.join(DATA_KEYS)} FROM registration WHERE 0")
            self._connection.commit()
        cursor = self._connection.connection.driver_connection.cursor()
        # A transaction of its own that writes the temporary table only: no lock on the database.
        cursor.execute("BEGIN")
        try:
            cursor.executemany(f"INSERT INTO {self.STAGE} VALUES ({', '.join('?' * len(DATA_KEYS))})",
                               _data_tuples(rows))
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")
        self.count += len(rows)

    def commit(self, *, write: bool, updates: list[tuple[sa.Row[Any], dict[str, Any]]], result: dict[str, Any],
               report_key: str | None) -> None:
        connection = self._connection or self.database.engine.connect()
        self._connection = connection
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            if write and self.count:
                others, shared = _shared_columns(self.fixed, text_dates=True)
                data = ", ".join(DATA_KEYS)
                connection.exec_driver_sql(
                    f"INSERT INTO registration ({data}, {', '.join(others)}) "
                    f"SELECT {data}, {', '.join('?' * len(others))} FROM {self.STAGE} ORDER BY rowid", shared)
            self._final_writes(connection, write=write, updates=updates, result=result, report_key=report_key)

    def close(self) -> None:
        if self._connection is not None and self.count:
            try:
                self._connection.exec_driver_sql(f"DROP TABLE IF EXISTS {self.STAGE}")
                self._connection.commit()
            except Exception:  # noqa: BLE001  the next import drops it first anyway; keep the original error
                log.warning("could not drop the import's staging table", exc_info=True)
                self._connection.invalidate()
        super().close()


class _PostgresRows(_NewRows):
    """On PostgreSQL each batch is one INSERT statement, inside the import's one transaction: nobody
    else sees the rows before the result is committed with them.

    The statements are pipelined (psycopg's pipeline mode): each is sent as its batch is ready and
    the database works on it while this process reads and checks the next batch, instead of waiting
    for it. A statement's error (a unique ID number someone registered meanwhile) surfaces at the
    latest when the pipeline ends, before anything is committed.
    """

    def __init__(self, database: Database, job: Job) -> None:
        super().__init__(database, job)
        self._pipeline: Any = None
        self._cursor: Any = None
        self._same = _shared_columns(self.fixed, text_dates=False)[1]  # the columns every new row shares

    def _open(self) -> sa.Connection:
        if self._connection is None:
            self._connection = self.database.engine.connect().execution_options(**{WRITE_OPTION: True})
            self._connection.begin()
        return self._connection

    def add(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self._pipeline is None:
            driver = self._open().connection.driver_connection
            self._pipeline = driver.pipeline()
            self._pipeline.__enter__()
            self._cursor = driver.cursor()
        with _unique_clash("INSERT registration"):
            self._cursor.execute(_batch_insert(), (*self._same, _json_rows(rows)))
        self.count += len(rows)

    def _end_pipeline(self, error: BaseException | None = None) -> None:
        """Wait for every statement sent; raises the first one's error (unless already failing)."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            self._cursor.close()
            with _unique_clash("INSERT registration"):
                pipeline.__exit__(type(error) if error else None, error, None)

    def commit(self, *, write: bool, updates: list[tuple[sa.Row[Any], dict[str, Any]]], result: dict[str, Any],
               report_key: str | None) -> None:
        connection = self._open()
        try:
            self._end_pipeline()
            if not write:
                connection.rollback()  # rows written as the file was read, of a file that is not to be imported
                connection.begin()
            self._final_writes(connection, write=write, updates=updates, result=result, report_key=report_key)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise

    def close(self) -> None:
        try:
            self._end_pipeline(error=RuntimeError("the import stopped"))
        finally:
            super().close()


@contextmanager
def _unique_clash(statement: str) -> Iterator[None]:
    """psycopg's IntegrityError as SQLAlchemy's: _import_file reads the file again, looking every row up,
    or (when it had looked every row up) run_import checks the file again in a new attempt."""
    try:
        yield
    except psycopg.IntegrityError as exc:  # someone registered one of these people meanwhile
        raise sa.exc.IntegrityError(statement, None, exc) from exc


@lru_cache(maxsize=1)
def _batch_insert() -> str:
    """One batch's rows, given as a JSON array of the cleaned values, then the columns every row shares;
    inserted in file order. (JSON: orjson writes it in C, where psycopg would turn 15 arrays into text
    element by element in Python, about 90 ms per 10,000 rows.)"""
    from sqlalchemy.dialects import postgresql

    table = Registration.__table__
    others = _shared_columns({}, text_dates=False)[0]
    types = ", ".join(f"{key} {table.c[key].type.compile(dialect=postgresql.dialect())}" for key in DATA_KEYS)
    data = ", ".join(DATA_KEYS)
    return (
        f"INSERT INTO {table.name} ({data}, {', '.join(others)}) "
        f"SELECT {data}, {', '.join(['%s'] * len(others))} "
        f"FROM ROWS FROM (json_to_recordset(%s::json) AS ({types})) WITH ORDINALITY AS d ({data}, position_in_file) "
        f"ORDER BY position_in_file")


def _update_existing(connection: sa.Connection, job: Job, updates: list[tuple[sa.Row[Any], dict[str, Any]]],
                     at: datetime) -> None:
    """This unit's records the file updates (onExisting UPDATE), each only if nobody changed it meanwhile."""
    for registration, values in updates:
        status = status_after_edit(registration.status)
        changed = connection.execute(
            sa.update(Registration)
            .where(Registration.id == registration.id, Registration.version == registration.version)
            .values(**{k: values[k] for k in DATA_KEYS}, status=status, updated_at=at,
                    version=Registration.version + 1))
        if changed.rowcount != 1:
            raise sa.exc.IntegrityError("concurrent edit", None, Exception("version changed"))
        connection.execute(sa.insert(ReviewAction).values(
            registration_id=registration.id, actor_id=job.created_by, actor_role="UNIT_ADMIN",
            action=ReviewActionKind.EDIT, from_status=registration.status, to_status=status,
            comment="批量导入更新", at=at))


def _shared_columns(fixed: dict[str, Any], *, text_dates: bool) -> tuple[list[str], tuple[Any, ...]]:
    """The columns other than the file's data (and the id), and their value, the same for every new row."""
    others = [c.name for c in Registration.__table__.columns if c.name != "id" and c.name not in DATA_KEYS]
    return others, tuple(_plain(fixed.get(name), text_dates=text_dates) for name in others)


def _json_rows(rows: list[dict[str, Any]]) -> Json:
    """The rows' cleaned values (their keys are DATA_KEYS) as JSON: enums by value, dates as ISO text
    (orjson's own rules), handed to psycopg as the bytes orjson makes."""
    return Json(rows, dumps=orjson.dumps)


def _data_tuples(rows: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    """The file's data of each row, in DATA_KEYS order, as SQLite's columns store it (dates as ISO text)."""
    data = list(DATA_KEYS)
    pick = itemgetter(*data)
    enums = [data.index(name) for name in ("gender", "exam_type", "personnel_nature")]  # required: never None
    day = data.index("work_start_date")
    for values in rows:
        cells = list(pick(values))
        for index in enums:
            cells[index] = str(cells[index])  # a StrEnum member's str() is its value
        if cells[day] is not None:
            cells[day] = cells[day].isoformat()
        yield tuple(cells)


def _plain(value: Any, *, text_dates: bool = False) -> Any:
    """A value as the column stores it: enums by value, instants as naive UTC (like UTCDateTime)."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if text_dates else value
    if text_dates and isinstance(value, date):
        return value.isoformat()
    return value


def _record_result(connection: sa.Connection, job: Job, result: dict[str, Any], report_key: str | None) -> None:
    done = connection.execute(
        sa.update(Job).where(Job.id == job.id, Job.status == JobStatus.RUNNING, Job.attempts == job.attempts)
        .values(status=JobStatus.SUCCEEDED, result=result, error_report_key=report_key, total=result["total"],
                processed=result["total"], finished_at=now(), heartbeat_at=now()))
    if done.rowcount != 1:
        # The sweeper gave this attempt up (and re-queued it): roll our writes back.
        raise _Superseded()


class _Superseded(Exception):
    """This attempt's job row was handed to a newer attempt."""


class _SomeoneRegistered(Exception):
    """A row written without looking it up is a person this session already has."""


def _finish(database: Database, job: Job, *, error: str) -> None:
    with database.transaction() as session:
        session.execute(
            sa.update(Job).where(Job.id == job.id, Job.status == JobStatus.RUNNING, Job.attempts == job.attempts)
            .values(status=JobStatus.FAILED, error=error[:1000], finished_at=now())
            .execution_options(synchronize_session=False))


def _requeue(database: Database, job: Job) -> None:
    with database.transaction() as session:
        session.execute(sa.update(Job).where(Job.id == job.id, Job.status == JobStatus.RUNNING,
                                             Job.attempts == job.attempts)
                        .values(status=JobStatus.QUEUED).execution_options(synchronize_session=False))


def _summary(policy: ImportPolicy, r: dict[str, Any]) -> str:
    parts = [f"共{r['total']}行"]
    if r["invalid"]:
        parts.append(f"{r['invalid']}行有错误")
    if r["skipped"]:
        parts.append(f"{r['skipped']}人本单位已报名（已跳过）")
    if policy == ImportPolicy.VALIDATE_ONLY:
        tail = "仅检查，未写入任何数据" + ("；全部正确，可以正式导入" if not r["invalid"] else "；请下载错误报告修改后重新上传")
    elif r["written"] or (not r["invalid"]):
        tail = f"已导入{r['created']}人" + (f"，更新{r['updated']}人" if r["updated"] else "")
    else:
        tail = "因存在错误，未导入任何数据（全部正确才导入）；请下载错误报告，修改后重新上传"
    return "，".join(parts) + "。" + tail


ACTOR_FOR_KIND[JobKind.REGISTRATION_IMPORT] = ACTOR
