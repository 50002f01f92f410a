"""Statistics speed: a region-wide `statistics` query vs the bare SQL GROUP BY computing the same numbers.

    .venv/bin/python bench/statistics_speed.py [--rows 200000] [--runs 7]

Loads the demo data set at --rows registrations into a fresh PostgreSQL
database, then times (best of --runs, after a warm-up) the GraphQL query
`statistics(groupBy: [CITY, STATUS])` of a region reviewer over HTTP, and a
hand-written SQL GROUP BY for the same figures, on the same connection pool.
Prints the ratio, the absolute times and both query plans; checks the numbers
agree. The database is dropped afterwards. Loading 200,000 rows takes about 7 minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

PG_ADMIN = os.environ.get("EXAMREG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
QUERY = """query($s: ID!) { statistics(sessionId: $s, groupBy: [CITY, STATUS]) {
  rows { key { cityCode city status } figures { count pendingInitial pendingFinal rollbackRequested overdue returned
         approved trainingOpened photoMissingOrRejected } } } }"""
BARE = """
SELECT u.city_code, d.name, r.status, count(*),
       sum(CASE WHEN r.status = 'PENDING_INITIAL' THEN 1 ELSE 0 END),
       sum(CASE WHEN r.status = 'PENDING_FINAL' THEN 1 ELSE 0 END),
       sum(CASE WHEN r.status = 'ROLLBACK_REQUESTED' THEN 1 ELSE 0 END),
       sum(CASE WHEN r.due_at IS NOT NULL AND r.due_at < :now THEN 1 ELSE 0 END),
       sum(CASE WHEN r.status = 'RETURNED' THEN 1 ELSE 0 END),
       sum(CASE WHEN r.status = 'APPROVED' THEN 1 ELSE 0 END),
       sum(CASE WHEN r.status = 'TRAINING_OPENED' THEN 1 ELSE 0 END),
       sum(CASE WHEN p.id IS NULL OR p.status = 'REJECTED' THEN 1 ELSE 0 END)
FROM registration r JOIN unit u ON u.id = r.unit_id
LEFT JOIN photo p ON p.registration_id = r.id
LEFT JOIN division d ON d.code = u.city_code
WHERE r.session_id = :s
GROUP BY u.city_code, d.name, r.status
"""


def best_of(runs: int, work) -> tuple[float, object]:  # noqa: ANN001
    work()  # warm-up: caches, prepared plans, connection pool
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def figures(profile):  # noqa: ANN001, ANN201
    """For `python -m bench`: PostgreSQL only (the goal is stated for it); nothing without a server."""
    from bench.profile import Figure

    if not profile.postgres_url:
        return []
    rows = 5_000 if profile.quick else 200_000
    graphql_time, sql_time = main(["--rows", str(rows), "--runs", "3" if profile.quick else "7",
                                   "--postgres", profile.postgres_url])
    return [Figure(f"statistics by city and status over {rows:,} registrations", "postgres", graphql_time * 1000,
                   "ms", baseline=sql_time * 1000, baseline_name="the bare SQL GROUP BY", goal="<= 1.5",
                   met=graphql_time / sql_time <= 1.5)]


def main(argv: list[str] | None = None) -> tuple[float, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--postgres", default=PG_ADMIN, help="a database URL on the PostgreSQL server to use")
    args = parser.parse_args(argv)

    from starlette.testclient import TestClient

    from app.accounts.models import Role
    from app.asgi import create_app
    from app.clock import now
    from app.db import Database
    from app.demo import load_demo
    from app.exams.models import ExamSession
    from app.migrate import migrate
    from app.settings import Settings
    from tests.api import Api
    from tests.factories import PASSWORD, make_user

    admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    name = f"examreg_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as storage:
            settings = Settings(_env_file=None, database_url=url, redis_url="", storage_dir=Path(storage))
            database = Database(settings)
            migrate(database)
            started = time.perf_counter()
            load_demo(database, scale=args.rows)
            with database.engine.begin() as connection:
                connection.execute(sa.text("ANALYZE"))
            print(f"loaded {args.rows} registrations in {time.perf_counter() - started:.1f} s")
            reviewer = make_user(database, role=Role.REGION_REVIEWER)
            with database.session() as session:
                exam_id = session.execute(sa.select(ExamSession.id)).scalar_one()
            database.dispose()

            app = create_app(settings, run_worker=False)
            with TestClient(app) as client:
                api = Api(client)
                token = api.login(reviewer.username, PASSWORD)
                graphql_time, answer = best_of(
                    args.runs, lambda: api.data(QUERY, {"s": exam_id}, token=token)["statistics"]["rows"])
                engine = app.state.database.engine
                at = now().replace(tzinfo=None)

                def bare() -> list:
                    with engine.connect() as connection:
                        return connection.execute(sa.text(BARE), {"s": exam_id, "now": at}).all()

                sql_time, rows = best_of(args.runs, bare)
                got = {(r["key"]["cityCode"], r["key"]["status"]): list(r["figures"].values()) for r in answer}
                expected = {(r[0], r[2]): [int(v) for v in r[3:]] for r in rows}
                assert got == expected, "the GraphQL figures differ from the bare SQL"

                with app.state.database.session() as session:
                    query_plan = _plan(session, reviewer.id, exam_id)
                with engine.connect() as connection:
                    bare_plan = "\n".join(r[0] for r in connection.execute(
                        sa.text("EXPLAIN " + BARE), {"s": exam_id, "now": at}))

            print(f"groups: {len(rows)}")
            print(f"statistics (GraphQL over HTTP): {graphql_time * 1000:8.1f} ms")
            print(f"bare SQL GROUP BY:              {sql_time * 1000:8.1f} ms")
            print(f"ratio: {graphql_time / sql_time:.2f}x (target <= 1.5x)")
            print("\nplan of the statistics query:\n" + query_plan)
            print("\nplan of the bare SQL:\n" + bare_plan)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return graphql_time, sql_time


def _plan(session, user_id: int, exam_id: int) -> str:  # noqa: ANN001
    """EXPLAIN of the very statement the service runs, captured as it executes."""
    from app.accounts.models import User
    from app.stats.service import Dimension, statistics

    captured: list[tuple[str, object]] = []
    engine = session.get_bind()

    def capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202, ARG001
        if "GROUP BY" in statement:
            captured.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        statistics(session, user=session.get(User, user_id), session_id=exam_id,
                   group_by=[Dimension.CITY, Dimension.STATUS])
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = captured[-1]
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement, parameters)
        return "\n".join(r[0] for r in cursor.fetchall())


if __name__ == "__main__":
    main()
