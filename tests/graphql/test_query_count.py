"""Every list costs the same number of SQL statements at any size.

`test_every_list_costs_the_same_at_any_size` runs once for each root field of the schema that
returns a list or a cursor connection, found in the schema itself: a list added later without
a case here fails until it gets one. Each case selects the nested fields the frontends show
(a registration's unit, photo, checklist and history with its actors, ...).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import graphql
import pytest
import sqlalchemy as sa

from app.accounts.models import AuthToken, Role
from app.clock import now
from app.db import Database
from app.documents.models import CheckStatus, Photo
from app.registrations.models import RegistrationStatus
from app.reviews.models import ReviewAction, ReviewActionKind
from schema import build_schema
from tests.api import Api
from tests.factories import (
    PASSWORD,
    make_documents_ready,
    make_exam_session,
    make_registration,
    make_unit,
    make_user,
)

PAGE = """query($s: ID!, $n: Int!) { registrations(sessionId: $s, first: $n) {
  totalCount edges { node { id name idNumber status unit { id name } history { action actor { username } }
  photo { status problems { code message } } } } } }"""


@contextmanager
def counted(engine: sa.Engine):
    """The statements the request runs: not BEGIN/COMMIT, nor what the in-process workers do meanwhile,
    nor the once-a-minute record of a token's use."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # noqa: ANN001
        thread = threading.current_thread()
        if thread.name == "periodic-scheduler" or type(thread).__module__.startswith("dramatiq"):
            return
        if statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            return
        if statement.startswith(f"UPDATE {AuthToken.__tablename__} "):
            return
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
        costs[size] = len(statements)
    assert costs[1] == costs[10] == costs[100], costs
    assert costs[100] <= 6, costs


# --- every list in the schema ---------------------------------------------------------------


def list_fields() -> list[str]:
    """Root query fields returning a list, or a connection (an object with `edges`)."""
    found = []
    for name, field in build_schema()._schema.query_type.fields.items():  # noqa: SLF001
        returned = graphql.get_nullable_type(field.type)
        if isinstance(returned, graphql.GraphQLList) or (
                isinstance(returned, graphql.GraphQLObjectType) and "edges" in returned.fields):
            found.append(name)
    return found


@dataclass
class Case:
    """`grow(db, count)` adds `count` items (lists of reference data instead choose a parent with
    about that many) and returns the variables to query with; a paged case also gets `$n`."""

    query: str
    grow: Callable[[Database, int], dict[str, Any]]
    role: Role | None
    paged: bool = True


class Registrations:
    """A page of registrations with everything a row of the frontend's table shows."""

    QUERY = """query($s: ID!, $n: Int!) { registrations(sessionId: $s, first: $n) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id name idNumber phone status dueAt overdue unit { id name }
        photo { status problems { code message } downloadUrl } blockers { code field message }
        history { action fromStatus toStatus at actorRole actor { username name role } } } } } }"""

    def __init__(self) -> None:
        self.exam = None
        self.units: list = []
        self.actors: list = []

    def grow(self, db: Database, count: int) -> dict[str, Any]:
        if self.exam is None:
            self.exam = make_exam_session(db)
            self.units = [make_unit(db) for _ in range(3)]
            self.actors = [make_user(db, role=Role.UNIT_ADMIN, unit=unit) for unit in self.units]
            for unit in self.units:  # the proof PDFs; photos for two records in three
                make_documents_ready(db, unit=unit, exam=self.exam)
        made = [make_registration(db, unit=self.units[i % 3], exam=self.exam) for i in range(count)]
        with db.transaction() as session:
            for i, registration in enumerate(made):
                if i % 3:
                    session.add(Photo(registration_id=registration.id, file_name="photo.jpg", content_hash="1" * 64,
                                      size=200_000, width=413, height=531, dpi=300, status=CheckStatus.OK))
                actor = self.actors[i % 3]
                session.add(ReviewAction(
                    registration_id=registration.id, actor_id=actor.id, actor_role=actor.role.value,
                    action=ReviewActionKind.SUBMIT, from_status=RegistrationStatus.DRAFT,
                    to_status=RegistrationStatus.PENDING_INITIAL, at=now()))
        return {"s": str(self.exam.id)}


def _units(db: Database, count: int) -> dict[str, Any]:
    for _ in range(count):
        make_unit(db)
    return {}


def _exam_sessions(db: Database, count: int) -> dict[str, Any]:
    for _ in range(count):
        make_exam_session(db)
    return {}


def _unit_requests(db: Database, count: int) -> dict[str, Any]:
    from app.unit_requests.models import UnitRequest, UnitRequestKind, UnitRequestStatus

    with db.transaction() as session:
        for i in range(count):
            session.add(UnitRequest(
                kind=UnitRequestKind.NEW_UNIT, status=UnitRequestStatus.PENDING, unit_name=f"申请单位{i}",
                credit_code=f"11450102MB{i:07d}X", division_code="450102", admin_name="韦东",
                admin_id_number="450103198001010011", admin_phone="13800138000",
                submitted_at=now(), due_at=now() + timedelta(days=2)))
    return {}


def _sms_messages(db: Database, count: int) -> dict[str, Any]:
    from app.sms.models import SmsMessage, SmsStatus

    with db.transaction() as session:
        for i in range(count):
            session.add(SmsMessage(phone=f"138{i:08d}", template="TRAINING_OPENED", status=SmsStatus.SENT,
                                   params={"name": "韦东", "session": "2026年第一期"}))
    return {}


class Attachments:
    """A unit's proof PDFs: one, then every category."""

    QUERY = """query($s: ID!, $u: ID) { attachments(sessionId: $s, unitId: $u) {
      id sessionId unitId category fileName size pages status problems { code message } uploadedAt downloadUrl } }"""

    def __init__(self) -> None:
        self.exam = None
        self.unit = None

    def grow(self, db: Database, count: int) -> dict[str, Any]:
        from app.documents.models import Attachment, AttachmentCategory

        if self.exam is None:
            self.exam, self.unit = make_exam_session(db), make_unit(db)
        with db.session() as session:
            taken = set(session.execute(sa.select(Attachment.category).where(Attachment.unit_id == self.unit.id)).scalars())
        with db.transaction() as session:
            for category in [c for c in AttachmentCategory if c not in taken][:count]:
                session.add(Attachment(session_id=self.exam.id, unit_id=self.unit.id, category=category,
                                       file_name=f"{category.value}.pdf", content_hash="0" * 64, size=1000,
                                       pages=1, status=CheckStatus.OK))
        return {"s": str(self.exam.id), "u": str(self.unit.id)}


def _audit_events(db: Database, count: int) -> dict[str, Any]:
    from app.audit import service
    from app.audit.models import AuditEventCode

    with db.transaction() as session:
        for i in range(count):
            service.record(session, event=AuditEventCode.LOGIN, username=f"user{i}")
    return {}


CASES: dict[str, Callable[[], Case]] = {
    "registrations": lambda: Case(Registrations.QUERY, Registrations().grow, Role.REGION_REVIEWER),
    "units": lambda: Case("""query($n: Int!) { units(first: $n) { totalCount pageInfo { hasNextPage endCursor }
        edges { node { id name creditCode level divisionCode cityCode supervisorId isDepartment } } } }""",
                          _units, Role.REGION_REVIEWER),
    "unitRequests": lambda: Case("""query($n: Int!) { unitRequests(first: $n) { totalCount
        edges { node { id kind status unitId unitName creditCode divisionCode adminName adminIdNumber adminPhone
        submittedAt dueAt overdue decidedAt comment } } } }""", _unit_requests, Role.SUPERADMIN),
    "smsMessages": lambda: Case("""query($n: Int!) { smsMessages(first: $n) { totalCount
        edges { node { id phone template text status attempts lastError createdAt sentAt } } } }""",
                                _sms_messages, Role.SUPERADMIN),
    "auditEvents": lambda: Case("""query($n: Int!) { auditEvents(first: $n) { totalCount
        edges { node { id at userId username event targetType targetId result errorCode clientAddress details } } } }""",
                                _audit_events, Role.SUPERADMIN),
    "examSessions": lambda: Case("{ examSessions { id name opensAt closesAt isOpen } }", _exam_sessions,
                                 Role.REGION_REVIEWER, paged=False),
    "attachments": lambda: Case(Attachments.QUERY, Attachments().grow, Role.REGION_REVIEWER, paged=False),
    # Reference data: the region alone, then its cities; the region's hotline, then a county's two.
    "divisions": lambda: Case("query($p: String) { divisions(parentCode: $p) { code name level parentCode } }",
                              lambda db, count: {"p": None if count == 1 else "450000"}, None, paged=False),
    "serviceContacts": lambda: Case(
        "query($d: String) { serviceContacts(divisionCode: $d) { divisionCode label hotline supervisionPhone serviceHours } }",
        lambda db, count: {"d": "450000" if count == 1 else "450102"}, None, paged=False),
}


def _items(data: dict[str, Any], field: str) -> list[Any]:
    value = data[field]
    return value["edges"] if isinstance(value, dict) else value


@pytest.mark.parametrize("field", list_fields())
def test_every_list_costs_the_same_at_any_size(backend, field):
    assert field in CASES, f"the list `{field}` has no statement-count case: add one to CASES"
    case = CASES[field]()
    db, api = backend.database, Api(backend.client)
    variables = case.grow(db, 1)
    token = None
    if case.role is not None:
        user = make_user(db, role=case.role, unit=make_unit(db) if case.role == Role.UNIT_ADMIN else None)
        token = api.login(user.username, PASSWORD)

    def cost(extra: dict[str, Any]) -> tuple[int, int]:
        with counted(db.engine) as statements:
            data = api.data(case.query, {**variables, **extra}, token=token)
        return len(_items(data, field)), len(statements)

    sizes = {"one item": cost({"n": 50} if case.paged else {})}
    variables = case.grow(db, 49)
    if case.paged:
        sizes["page of 50"] = cost({"n": 50})
        sizes["page of 1"] = cost({"n": 1})
        # A few at first (signing in may add an audit row), then full pages.
        assert sizes["one item"][0] < 5 and sizes["page of 50"][0] == 50 and sizes["page of 1"][0] == 1, sizes
    else:
        sizes["many items"] = cost({})
        assert sizes["one item"][0] == 1 and sizes["many items"][0] > 1, sizes
    assert len({statements for _, statements in sizes.values()}) == 1, f"{field}: (items, statements) {sizes}"
