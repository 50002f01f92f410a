"""Import speed: a valid N-row template end to end vs python-calamine merely reading its cells.

    .venv/bin/python -m bench.import_speed [--rows 10000] [--rounds 5] [--memory-rows 50000] [--no-postgres]

Prints, for the embedded default (SQLite) and PostgreSQL, the end-to-end time
(store the upload, parse, check every row, insert, job done), rows/s and the
ratio to calamine's read time; then the peak RSS of a worker process importing
a --memory-rows file.

PostgreSQL is the server of DATABASE_URL when that is a postgresql:// URL, else
EXAMREG_TEST_PG (default postgres@127.0.0.1:5432); the run makes its own database.

Fairness on a shared machine: each round reads the file with calamine and then
imports it, back to back, so both see the same load; the ratio is best import /
best read over the rounds, and the median of the per-round ratios (the figure
`python -m bench` reports, since a busy machine can slow one read and not the
next import) is printed beside it. On SQLite everything runs in this process
and its children, so the ratio of CPU times (which other processes' load hardly
moves) is printed too. On PostgreSQL the database's own part is measured alone as
well (inserting the same rows from a temporary table, rolled back),
with the share its foreign-key checks take (EXPLAIN ANALYZE): read + that is the
least any import keeping those rows, indexes and foreign keys could take.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import python_calamine  # noqa: E402

from app.accounts.models import Role  # noqa: E402
from app.demo import People  # noqa: E402
from tests.imports.support import large_template  # noqa: E402

PG_ADMIN = next((url for url in (os.environ.get("DATABASE_URL", ""),) if url.startswith("postgresql")),
                os.environ.get("EXAMREG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
UNIT_NAME = "南宁市兴宁区市场监督管理局"


def make_file(rows: int, seed: int = 1) -> bytes:
    return large_template(People(random.Random(seed)), UNIT_NAME, rows)


@dataclass
class Timing:
    wall: float
    cpu: float


def cpu_seconds() -> float:
    """CPU time of this process and of the child processes it has waited for."""
    children = os.times()
    return time.process_time() + children.children_user + children.children_system


def calamine_read(data: bytes) -> Timing:
    gc.collect()
    started, cpu = time.perf_counter(), cpu_seconds()
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    book.get_sheet_by_name("报名信息").to_python()
    return Timing(time.perf_counter() - started, cpu_seconds() - cpu)


def import_once(database, data: bytes) -> Timing:  # noqa: ANN001
    from app.imports.service import request_import, run_import
    from app.jobs import Job, JobStatus
    from app.storage import storage_for
    from tests.factories import make_exam_session, make_unit, make_user

    unit = make_unit(database, name=UNIT_NAME, division="450102")
    admin = make_user(database, role=Role.UNIT_ADMIN, unit=unit)
    exam = make_exam_session(database)
    storage = storage_for(database.settings)
    gc.collect()
    started, cpu = time.perf_counter(), cpu_seconds()
    with database.transaction() as session:
        job = request_import(session, storage=storage, user=session.merge(admin), session_id=exam.id, data=data,
                             file_name="bench.xlsx")
    run_import(database, storage, job.id)
    elapsed = Timing(time.perf_counter() - started, cpu_seconds() - cpu)
    with database.session() as session:
        done = session.get(Job, job.id)
        assert done.status == JobStatus.SUCCEEDED and done.result["created"] > 0, (done.status, done.error)
    return elapsed


def backend(url: str, storage: Path):  # noqa: ANN201
    from app.db import Database
    from app.migrate import migrate
    from app.settings import Settings
    from workers.broker import TaskQueue

    settings = Settings(_env_file=None, database_url=url, redis_url="", storage_dir=storage)
    database = Database(settings)
    migrate(database)
    TaskQueue(database)  # installs a sender; the import runs in this process
    return database


@dataclass
class Rounds:
    reads: list[Timing]
    imports: list[Timing]
    database_alone: DatabaseAlone | None = None  # PostgreSQL only

    @property
    def read(self) -> float:
        return min(r.wall for r in self.reads)

    @property
    def best(self) -> float:
        return min(i.wall for i in self.imports)

    def median_round(self) -> tuple[Timing, Timing]:
        """The (read, import) pair of the round whose ratio is the median: both saw the same load."""
        pairs = sorted(zip(self.reads, self.imports, strict=True), key=lambda pair: pair[1].wall / pair[0].wall)
        return pairs[(len(pairs) - 1) // 2]


def measure(url: str, data: bytes, rounds: int, storage: Path) -> Rounds:
    """Round after round, calamine reads the file and then it is imported, back to back."""
    database = backend(url, storage)
    import_once(database, data)  # warm up: first queries, caches
    measured = Rounds([], [])
    for _ in range(rounds):
        measured.reads.append(calamine_read(data))
        measured.imports.append(import_once(database, data))
    if database.dialect == "postgresql":
        measured.database_alone = database_alone(database)
    database.dispose()
    return measured


@dataclass
class DatabaseAlone:
    seconds: float  # the INSERT ... SELECT, timed as it runs (best of two)
    foreign_keys: float  # of which the foreign-key triggers (EXPLAIN ANALYZE, which slows the rest a little)


def database_alone(database) -> DatabaseAlone:  # noqa: ANN001
    """The database's own part of an import, without this process: the last import's rows inserted
    again (into a new exam session) from a temporary table by one INSERT ... SELECT, then rolled back.
    No import that keeps the same rows, indexes and foreign keys can write them faster, and none can
    start before calamine has read the sheet."""
    timed = min(_insert_again(database)[0] for _ in range(2))
    plan = _insert_again(database, "EXPLAIN (ANALYZE, FORMAT JSON) ")[1][0]
    return DatabaseAlone(timed, sum(t["Time"] for t in plan.get("Triggers", [])) / 1000)


def _insert_again(database, prefix: str = ""):  # noqa: ANN001, ANN202
    """The INSERT ... SELECT (after `prefix`), rolled back: (seconds it took, its result)."""
    import sqlalchemy as sa

    from tests.factories import make_exam_session

    exam = make_exam_session(database)
    with database.engine.connect() as connection:
        last = connection.execute(sa.text("SELECT max(session_id) FROM registration")).scalar_one()
        connection.execute(sa.text("CREATE TEMPORARY TABLE bench_rows ON COMMIT DROP AS "
                                   "SELECT * FROM registration WHERE session_id = :last"), {"last": last})
        connection.execute(sa.text("UPDATE bench_rows SET session_id = :exam, "
                                   "id = nextval(pg_get_serial_sequence('registration', 'id'))"), {"exam": exam.id})
        started = time.perf_counter()
        executed = connection.execute(sa.text(prefix + "INSERT INTO registration SELECT * FROM bench_rows"))
        result = executed.scalar() if executed.returns_rows else None
        elapsed = time.perf_counter() - started
        connection.rollback()
    return elapsed, result


def run(name: str, url: str, data: bytes, rows: int, rounds: int, storage: Path) -> None:
    measured = measure(url, data, rounds, storage)
    reads, imports, read, best = measured.reads, measured.imports, measured.read, measured.best
    per_round = statistics.median(i.wall / r.wall for r, i in zip(reads, imports, strict=True))
    print(f"{name:<10} calamine read {read:6.3f} s, import end to end {best:6.3f} s  {rows / best:7.0f} rows/s  "
          f"ratio {best / read:4.2f}x (median per round {per_round:4.2f}x)")
    print(f"{'':<10} imports: {', '.join(f'{i.wall:.3f}' for i in imports)} s; reads: "
          f"{', '.join(f'{r.wall:.3f}' for r in reads)} s")
    if alone := measured.database_alone:
        print(f"{'':<10} the database alone (the same rows by INSERT ... SELECT from a temporary table): "
              f"{alone.seconds:.3f} s, of which foreign-key checks {alone.foreign_keys:.3f} s; read + that = "
              f"{(read + alone.seconds) / read:4.2f}x the read: the best ratio an import could have if nothing but "
              f"the database's inserting took time, since no row can be inserted before calamine has read the sheet")
    if name == "sqlite":
        cpu = min(i.cpu for i in imports) / min(r.cpu for r in reads)
        print(f"{'':<10} CPU time ratio {cpu:4.2f}x (import {min(i.cpu for i in imports):.3f} s, "
              f"read {min(r.cpu for r in reads):.3f} s)")


def peak_memory(rows: int, storage: Path) -> float:
    """A separate process imports a large file; its peak RSS is what a worker needs."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
        handle.write(make_file(rows, seed=7))
    db_file = storage / f"memory-{uuid.uuid4().hex}.db"
    root = str(Path(__file__).resolve().parents[1])
    code = "\n".join([
        f"import sys, resource; sys.path.insert(0, {root!r})",
        "from bench.import_speed import backend, import_once",
        "from pathlib import Path",
        f"database = backend({'sqlite:///' + str(db_file)!r}, Path({str(storage)!r}))",
        f"data = open({handle.name!r}, 'rb').read()",
        "elapsed = import_once(database, data).wall",
        "print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
    ])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    elapsed, rss_kb, child_kb = result.stdout.split()[-3:]
    print(f"memory     {rows} rows in {float(elapsed):.2f} s, peak RSS of the importing process "
          f"{int(rss_kb) / 1024:.0f} MB (target < 300 MB); its largest child process (the cell reader, "
          f"forked: the pages it shares with the importing process count in both) {int(child_kb) / 1024:.0f} MB")
    os.unlink(handle.name)
    return int(rss_kb) / 1024


def figures(profile):  # noqa: ANN001, ANN201
    """For `python -m bench`: the import on SQLite and (when the profile has it) PostgreSQL, and the memory."""
    from contextlib import nullcontext

    from bench.profile import Figure

    rows, memory_rows = (1_000, 0) if profile.quick else (10_000, 50_000)
    data = make_file(rows)
    result = []
    with tempfile.TemporaryDirectory() as tmp:
        storage = Path(tmp)
        places = [("sqlite", nullcontext(f"sqlite:///{storage / 'bench.db'}"))]
        if profile.postgres_url:
            places.append(("postgres", profile.postgres_database()))
        for name, place in places:
            with place as url:
                measured = measure(url, data, 5, storage)
            read, imported = measured.median_round()
            result.append(Figure(f"import {rows:,} rows end to end (median of 5 paired rounds)", name, imported.wall,
                                 "s", baseline=read.wall, baseline_name="python-calamine reads the cells, same round",
                                 goal="<= 3", met=imported.wall / read.wall <= 3))
            if alone := measured.database_alone:
                result.append(Figure(f"the database alone inserting the same {rows:,} rows "
                                     f"(foreign-key checks {alone.foreign_keys:.2f} s of it)", name, alone.seconds,
                                     "s", baseline=read.wall, baseline_name="python-calamine reads the cells"))
        if memory_rows:
            rss = peak_memory(memory_rows, storage)
            result.append(Figure(f"peak RSS importing {memory_rows:,} rows", "sqlite", rss, "MB", goal="< 300 MB",
                                 met=rss < 300))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="calamine read + import pairs per database")
    parser.add_argument("--memory-rows", type=int, default=50_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    data = make_file(args.rows)
    print(f"file       {args.rows} rows, {len(data) / 1024:.0f} KB; {args.rounds} rounds of calamine read + import")
    with tempfile.TemporaryDirectory() as tmp:
        storage = Path(tmp)
        run("sqlite", f"sqlite:///{storage / 'bench.db'}", data, args.rows, args.rounds, storage)
        if not args.no_postgres:
            from bench.profile import Profile

            with Profile(postgres_url=PG_ADMIN).postgres_database() as url:
                run("postgres", url, data, args.rows, args.rounds, storage)
        if args.memory_rows:
            peak_memory(args.memory_rows, storage)
    print(f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
