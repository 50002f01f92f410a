"""Real databases and brokers: SQLite + in-process, PostgreSQL + Redis.

Each test run creates its own PostgreSQL database and Redis key namespace and
removes them at the end, so two runs never collide and nothing is left behind.
Tables are emptied between tests (workers run in other threads or processes, so
a rolled-back transaction per test could not isolate them).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient  # noqa: E402

from app.asgi import create_app  # noqa: E402
from app.db import Database  # noqa: E402
from app.migrate import migrate  # noqa: E402
from app.models import metadata  # noqa: E402
from app.settings import Settings  # noqa: E402
from tests.server import LiveServer, live_server

PG_ADMIN_URL = os.environ.get("EXAMREG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("EXAMREG_TEST_REDIS", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]
KEEP = {"division", "servicecontact", "alembic_version"}


@dataclass
class Backend:
    name: str
    settings: Settings
    database: Database
    client: TestClient

    def reset(self) -> None:
        """Empty every table. A worker thread may still be finishing the previous test's
        background work, so a lock conflict (a deadlock on PostgreSQL) is waited out and retried;
        a lock that is never released (a transaction left open by a dead process) fails the test,
        naming the sessions that hold it, instead of waiting forever."""
        tables = [t.name for t in reversed(metadata.sorted_tables) if t.name not in KEEP]
        for attempt in range(10):
            try:
                with self.database.engine.begin() as connection:
                    if self.database.dialect == "postgresql":
                        connection.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
                        connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                    else:
                        with _audit_guard_lifted(connection):
                            for table in tables:
                                connection.execute(sa.text(f"DELETE FROM {table}"))
                return
            except sa.exc.OperationalError as exc:
                if attempt == 9:
                    raise AssertionError(f"tables still locked by: {self._open_transactions()}") from exc
                time.sleep(0.2 * (attempt + 1))

    def _open_transactions(self) -> list[dict]:
        if self.database.dialect != "postgresql":
            return []
        with self.database.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(sa.text(
                "SELECT pid, state, now() - xact_start AS open_for, left(query, 120) AS query FROM pg_stat_activity "
                "WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"))]


@contextlib.contextmanager
def _audit_guard_lifted(connection: sa.Connection) -> Iterator[None]:
    """SQLite's triggers refuse DELETE on audit rows (TRUNCATE on PostgreSQL fires no row trigger):
    between tests only, drop them and put them back in the same transaction."""
    triggers = connection.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")).all()
    for name, _ in triggers:
        connection.execute(sa.text(f"DROP TRIGGER {name}"))
    yield
    for _, sql in triggers:
        connection.execute(sa.text(sql))


# Tests sign in far more often than a person; the rate limits are tested with their own settings.
NO_RATE_LIMITS = {"login_rate_limit": "", "unit_application_rate_limit": ""}


def sqlite_settings(tmp: Path) -> Settings:
    return Settings(
        _env_file=None, database_url=f"sqlite:///{tmp / 'examreg.db'}", redis_url="",
        storage_dir=tmp / "storage", **NO_RATE_LIMITS,
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"examreg_test_{RUN_ID}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: start it (see README). {exc}")
    url = sa.make_url(PG_ADMIN_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
        ), {"n": name})
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_namespace() -> Iterator[str]:
    import redis

    namespace = f"examreg-test-{RUN_ID}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: start it (see README). {exc}")
    yield namespace
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)
    client.close()


def _backend(name: str, settings: Settings) -> Iterator[Backend]:
    database = Database(settings)
    migrate(database)
    database.dispose()
    app = create_app(settings, run_worker=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Backend(name=name, settings=settings, database=app.state.database, client=client)


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield from _backend("sqlite", sqlite_settings(tmp_path_factory.mktemp("sqlite")))


@pytest.fixture(scope="session")
def postgres_backend(
    postgres_url: str, redis_namespace: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    settings = Settings(
        _env_file=None, database_url=postgres_url, redis_url=REDIS_URL, broker_namespace=redis_namespace,
        storage_dir=tmp_path_factory.mktemp("pg-storage"), **NO_RATE_LIMITS,
    )
    yield from _backend("postgres", settings)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Every workflow test runs on both database/broker pairs."""
    chosen: Backend = request.getfixturevalue(f"{request.param}_backend")
    chosen.reset()
    yield chosen


@pytest.fixture
def database(backend: Backend) -> Database:
    return backend.database


@pytest.fixture
def live(backend: Backend) -> Iterator[LiveServer]:
    """The service under uvicorn on a free local port over the backend's database and broker,
    for tests that use real client libraries over real sockets."""
    with live_server(backend.settings) as server:
        yield server
