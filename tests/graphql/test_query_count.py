"""A page of registrations with their units costs the same number of SQL statements at any size."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from app.accounts.models import Role
from tests.api import Api
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user

PAGE = """query($s: ID!, $n: Int!) { registrations(sessionId: $s, first: $n) {
  totalCount edges { node { id name idNumber status unit { id name } history { action actor { username } }
  photo { status problems { code message } } } } } }"""


@contextmanager
def counted(engine: sa.Engine):
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_registration_list_costs_a_constant_number_of_statements(backend):
    db = backend.database
    exam = make_exam_session(db)
    units = [make_unit(db) for _ in range(5)]
    for i in range(100):
        make_registration(db, unit=units[i % 5], exam=exam)
    reviewer = make_user(db, role=Role.REGION_REVIEWER)
    api = Api(backend.client)
    token = api.login(reviewer.username, PASSWORD)

    costs = {}
    for size in (1, 10, 100):
        with counted(db.engine) as statements:
            page = api.data(PAGE, {"s": exam.id, "n": size}, token=token)["registrations"]
        assert len(page["edges"]) == size
        costs[size] = len([s for s in statements if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))])
    assert costs[1] == costs[10] == costs[100], costs
    assert costs[100] <= 6, costs
