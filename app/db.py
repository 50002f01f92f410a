"""Engines, sessions, and work queued to run after a commit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from app.settings import Settings

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Any]
Sender = Callable[[str, dict[str, Any]], None]
WRITE_OPTION = "examreg_writes"


def make_engine(settings: Settings) -> sa.Engine:
    url = sa.make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            from pathlib import Path

            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url, echo=settings.sql_echo, connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=not settings.sql_echo,  # a logged database error never shows the values (ID numbers)
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    # insertmanyvalues re-parses huge multi-row statements in psycopg; its own executemany pipelines them.
    return sa.create_engine(url, echo=settings.sql_echo, pool_pre_ping=True, pool_size=10,
                            use_insertmanyvalues=False, hide_parameters=not settings.sql_echo)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    # pysqlite's own transaction handling defers BEGIN; we issue it ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection) -> None:  # noqa: ANN001
    # A writing transaction takes the write lock up front (IMMEDIATE), so two writers
    # queue on busy_timeout instead of one failing when it upgrades a read lock.
    writing = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


class Database:
    """One engine per process and a session factory that runs after-commit hooks."""

    def __init__(self, settings: Settings) -> None:
        import app.models  # noqa: F401  every mapper must be known before the first flush

        self.settings = settings
        self.engine = make_engine(settings)
        # Sends a message to an actor by name; installed by the composition root.
        self.sender: Sender | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return _AfterCommitSession(self.engine, expire_on_commit=False, info={"sender": self.sender})

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with self.session() as session, writing(session):
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def begin_writing(session: Session) -> None:
    """Mark the session's transaction as one that will write (matters for SQLite)."""
    session.connection(execution_options={WRITE_OPTION: True})


@contextmanager
def writing(session: Session) -> Iterator[None]:
    """One writing transaction on `session`: committed on success, rolled back on any error."""
    begin_writing(session)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def after_commit(session: Session, action: AfterCommit) -> None:
    """Run `action` once the current transaction commits; drop it on rollback."""
    session.info.setdefault("after_commit", []).append(action)


def _run_after_commit(session: Session) -> None:
    # The work is already committed: a failed send only delays it (the periodic
    # sweepers re-send what stays pending), so it must not fail the request.
    actions = session.info.pop("after_commit", [])
    for action in actions:
        try:
            action()
        except Exception:  # noqa: BLE001
            log.exception("could not hand committed work to the broker; the sweeper will retry")


def _drop_after_commit(session: Session) -> None:
    session.info.pop("after_commit", None)


class _AfterCommitSession(Session):
    """Sessions of Database.session(): they run the work queued with after_commit. The listeners
    are on the class, registered once; on each session they cost every request (GraphQL opens one)
    a tenth of a millisecond."""


event.listen(_AfterCommitSession, "after_commit", _run_after_commit)
event.listen(_AfterCommitSession, "after_rollback", _drop_after_commit)
