"""What `python -m bench` hands every benchmark, and what each hands back.

A benchmark module under bench/ exposes `run(profile: Profile) -> list[Figure]`.
It measures on the embedded default (SQLite, in-process workers) always, and on
PostgreSQL / Redis when the profile has them, each in a database / Redis
namespace of its own (`profile.postgres_database()`, `profile.redis_namespace()`)
that is removed afterwards; `profile.quick` asks for small sizes (a smoke run).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Figure:
    """One line of the table: a measured value, what it is compared with, and the goal."""

    name: str  # what was measured, e.g. "open training for 10,000: every SMS with the provider"
    backend: str  # "sqlite" (the embedded default), "postgres", "postgres+redis", ...
    value: float
    unit: str  # "s", "req/s", "ms", "MB"
    baseline: float | None = None  # the same-run reference, in the same unit
    baseline_name: str = ""  # what the baseline is, e.g. "drain 10,000 no-op messages"
    goal: str = ""  # e.g. "<= 1.5", "< 300 MB"
    met: bool | None = None  # None: for information only

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


@dataclass(frozen=True)
class Profile:
    quick: bool = False
    # A PostgreSQL server the benchmarks may create databases on (any database URL on it), or None.
    postgres_url: str | None = None
    # A Redis server for the production broker, or None.
    redis_url: str | None = None

    @contextlib.contextmanager
    def postgres_database(self) -> Iterator[str]:
        """A fresh database on the PostgreSQL server for one benchmark; dropped afterwards."""
        if not self.postgres_url:
            raise RuntimeError("no PostgreSQL server in this profile")
        server = sa.make_url(self.postgres_url)
        if server.drivername == "postgresql":
            server = server.set(drivername="postgresql+psycopg")
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        name = f"examreg_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    @contextlib.contextmanager
    def redis_namespace(self) -> Iterator[str]:
        """A broker namespace of its own on the Redis server; its keys are deleted afterwards."""
        import redis

        if not self.redis_url:
            raise RuntimeError("no Redis server in this profile")
        namespace = f"examreg-bench-{uuid.uuid4().hex[:8]}"
        try:
            yield namespace
        finally:
            client = redis.Redis.from_url(self.redis_url)
            for key in client.scan_iter(f"{namespace}*"):
                client.delete(key)
            client.close()
