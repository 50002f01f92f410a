"""Statistics speed: a region-wide `statistics` query vs the bare SQL GROUP BY computing the same numbers.

    .venv/bin/python bench/statistics_speed.py [--rows 200000] [--runs 7]

Loads the demo data set at --rows registrations into a fresh PostgreSQL
database, then times (best of --runs, after a warm-up) the GraphQL query
`statistics(groupBy: [CITY, STATUS])` of a region reviewer over HTTP, and a
hand-written SQL for the same figures (the counts, and the review-time median and
90th percentile in working hours through PostgreSQL's own percentile_disc), on the
same connection pool. Prints the ratio, the absolute times and the query plans;
checks the numbers agree, which also checks the service's window-function
percentiles against percentile_disc. The database is dropped afterwards.
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
         approved trainingOpened photoMissingOrRejected finishedReviews reviewHoursMedian reviewHoursP90 } }
  total { finishedReviews reviewHoursMedian reviewHoursP90 } } }"""
BARE = """
WITH counts AS (
  SELECT u.city_code, d.name AS city, r.status, count(*) AS registrations,
         sum(CASE WHEN r.status = 'PENDING_INITIAL' THEN 1 ELSE 0 END) AS pending_initial,
         sum(CASE WHEN r.status = 'PENDING_FINAL' THEN 1 ELSE 0 END) AS pending_final,
         sum(CASE WHEN r.status = 'ROLLBACK_REQUESTED' THEN 1 ELSE 0 END) AS rollback_requested,
         sum(CASE WHEN r.due_at IS NOT NULL AND r.due_at < :now THEN 1 ELSE 0 END) AS overdue,
         sum(CASE WHEN r.status = 'RETURNED' THEN 1 ELSE 0 END) AS returned,
         sum(CASE WHEN r.status = 'APPROVED' THEN 1 ELSE 0 END) AS approved,
         sum(CASE WHEN r.status = 'TRAINING_OPENED' THEN 1 ELSE 0 END) AS training_opened,
         sum(CASE WHEN p.id IS NULL OR p.status = 'REJECTED' THEN 1 ELSE 0 END) AS photo_missing_or_rejected
  FROM registration r JOIN unit u ON u.id = r.unit_id
  LEFT JOIN photo p ON p.registration_id = r.id
  LEFT JOIN division d ON d.code = u.city_code
  WHERE r.session_id = :s
  GROUP BY u.city_code, d.name, r.status
), steps AS (  -- submissions and the decisions that end a review, each with the step before it
  SELECT u.city_code, r.status, a.action, a.at,
         lag(a.action) OVER w AS previous_action, lag(a.at) OVER w AS submitted_at
  FROM registration r JOIN unit u ON u.id = r.unit_id JOIN reviewaction a ON a.registration_id = r.id
  WHERE r.session_id = :s
    AND (a.action = 'SUBMIT' OR (a.action IN ('APPROVE', 'REJECT') AND a.to_status IN ('APPROVED', 'RETURNED')))
  WINDOW w AS (PARTITION BY a.registration_id ORDER BY a.at, a.id)
), timed AS (  -- working seconds from the submission to the decision
  SELECT city_code, status,
         86400 * (e.working_days_before - b.working_days_before)
         - CASE WHEN b.is_working THEN (floor(extract(epoch FROM submitted_at))::bigint + 28800) % 86400 ELSE 0 END
         + CASE WHEN e.is_working THEN (floor(extract(epoch FROM at))::bigint + 28800) % 86400 ELSE 0 END AS seconds
  FROM steps
  JOIN working_day b ON b.day = CAST(submitted_at + INTERVAL '8 hours' AS date)
  JOIN working_day e ON e.day = CAST(at + INTERVAL '8 hours' AS date)
  WHERE action <> 'SUBMIT' AND previous_action = 'SUBMIT'
), times AS (  -- per group, and over all (the totals row)
  SELECT city_code, status, grouping(city_code) AS overall, count(*) AS reviews,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY seconds) AS median,
         percentile_disc(0.9) WITHIN GROUP (ORDER BY seconds) AS p90
  FROM timed GROUP BY GROUPING SETS ((city_code, status), ())
)
SELECT c.*, coalesce(t.reviews, 0), t.median, t.p90
FROM counts c LEFT JOIN times t
  ON t.overall = 0 AND t.city_code IS NOT DISTINCT FROM c.city_code AND t.status = c.status
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, reviews, median, p90
FROM times WHERE overall = 1
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
                    args.runs, lambda: api.data(QUERY, {"s": exam_id}, token=token)["statistics"])
                engine = app.state.database.engine
                at = now().replace(tzinfo=None)

                def bare() -> list:
                    with engine.connect() as connection:
                        return connection.execute(sa.text(BARE), {"s": exam_id, "now": at}).all()

                sql_time, rows = best_of(args.runs, bare)
                got = {(r["key"]["cityCode"], r["key"]["status"]): list(r["figures"].values()) for r in answer["rows"]}
                expected = {(r[0], r[2]): [int(v) for v in r[3:13]] + [_hours(r[13]), _hours(r[14])]
                            for r in rows if r[2] is not None}
                assert got == expected, "the GraphQL figures differ from the bare SQL"
                overall = next(r for r in rows if r[2] is None)
                assert list(answer["total"].values()) == [int(overall[12]), _hours(overall[13]), _hours(overall[14])]
                assert any(v[-2] is not None for v in got.values()), "no review times to compare"

                with app.state.database.session() as session:
                    query_plans = _plans(session, reviewer.id, exam_id)
                with engine.connect() as connection:
                    bare_plan = "\n".join(r[0] for r in connection.execute(
                        sa.text("EXPLAIN ANALYZE " + BARE), {"s": exam_id, "now": at}))

            print(f"groups: {len(rows) - 1}")
            print(f"statistics (GraphQL over HTTP): {graphql_time * 1000:8.1f} ms")
            print(f"bare SQL GROUP BY:              {sql_time * 1000:8.1f} ms")
            print(f"ratio: {graphql_time / sql_time:.2f}x (target <= 1.5x)")
            print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
            for number, plan in enumerate(query_plans, 1):
                print(f"\nplan of the statistics query, statement {number} of {len(query_plans)}:\n" + plan)
            print("\nplan of the bare SQL:\n" + bare_plan)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return graphql_time, sql_time


def _hours(seconds: object) -> float | None:
    return None if seconds is None else round(int(seconds) / 3600, 2)


def _plans(session, user_id: int, exam_id: int) -> list[str]:  # noqa: ANN001
    """EXPLAIN ANALYZE of the very statements the service runs (counts, review times), captured as they execute."""
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
    raw = session.connection().connection.driver_connection
    plans = []
    for statement, parameters in captured:
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + statement, parameters)
            plans.append("\n".join(r[0] for r in cursor.fetchall()))
    return plans


if __name__ == "__main__":
    main()
