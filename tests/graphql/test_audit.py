"""The audit trail: what writes a row, what the row holds, that it cannot be changed, and who reads it."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.registrations.models import RegistrationStatus as S
from tests.api import LOGIN, Api, error_codes
from tests.custom_app import client_with
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user

FULL_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx]")
FULL_PHONE = re.compile(r"(?<![0-9])1[0-9]{10}(?![0-9])")
DETAIL = "query($id: ID!) { registration(id: $id) { name idNumber } }"
DETAIL_WITHOUT_ID = "query($id: ID!) { registration(id: $id) { name status } }"
DETAIL_IN_FRAGMENT = """query($id: ID!) { registration(id: $id) { ...Who } }
fragment Who on Registration { name ... on Registration { idNumber } }"""
REVIEW = """mutation($ids: [ID!]!, $d: ReviewDecision!, $c: String) { reviewRegistrations(ids: $ids, decision: $d,
  comment: $c) { results { id ok errors { code } } errors { code } } }"""
ROLLBACK = "mutation($id: ID!, $r: String!) { requestRollback(id: $id, reason: $r) { errors { code } } }"
DECIDE = "mutation($id: ID!, $a: Boolean!, $c: String) { decideRollback(id: $id, approve: $a, comment: $c) { errors { code } } }"
EXPORT = "mutation($s: ID!) { exportTrainingCandidates(sessionId: $s) { url errors { code } } }"
CREATE_USER = """mutation($i: CreateUserInput!) { createUser(input: $i) { user { id username } errors { code } } }"""
CHANGE_PASSWORD = """mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) {
  errors { code } } }"""
AUDIT = """query($f: AuditEventFilterInput, $first: Int, $after: String) {
  auditEvents(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id at userId username event targetType targetId result errorCode clientAddress details } } } }"""


def rows(db, **where) -> list[AuditEvent]:  # noqa: ANN001, ANN003
    with Session(db.engine) as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(session.exec(query))


def test_logins_are_audited_with_the_username_tried_and_the_client_address(backend):
    db = backend.database
    user = make_user(db, role=Role.REGION_REVIEWER)
    forwarded = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    with client_with(backend, trusted_proxies=["testclient"]) as client:
        def login(username: str, password: str) -> dict:
            response = client.post("/graphql", json={"query": LOGIN, "variables": {"u": username, "p": password}},
                                   headers={"X-Forwarded-For": f"10.9.9.9, {forwarded}"})
            return response.json()["data"]["login"]

        assert login(user.username, PASSWORD)["token"]
        assert login(user.username, "wrong-password1")["errors"][0]["code"] == "INVALID_CREDENTIALS"
        assert login("nobody-at-all", "whatever1")["errors"][0]["code"] == "INVALID_CREDENTIALS"

    ok, wrong, unknown = rows(db, event="LOGIN")
    assert (ok.user_id, ok.username, ok.result, ok.error_code) == (user.id, user.username, "SUCCESS", None)
    assert (wrong.user_id, wrong.result, wrong.error_code) == (user.id, "FAILURE", "INVALID_CREDENTIALS")
    assert (unknown.user_id, unknown.username, unknown.result) == (None, "nobody-at-all", "FAILURE")
    # the proxy is trusted, so the nearest hop it saw is the client; the left part is the client's own claim
    assert {r.client_address for r in (ok, wrong, unknown)} == {forwarded}
    assert all(r.at is not None and r.target_type == "user" for r in (ok, wrong))

    # without a trusted proxy the header is ignored: the socket peer is the client
    api = Api(backend.client)
    backend.client.post("/graphql", json={"query": LOGIN, "variables": {"u": user.username, "p": "nope-nope1"}},
                        headers={"X-Forwarded-For": "203.0.113.7"})
    assert rows(db, event="LOGIN")[-1].client_address == "testclient"
    assert api.login(user.username, PASSWORD)


def test_full_id_number_views_are_audited_and_masked_lists_are_not(backend):
    db = backend.database
    api = Api(backend.client)
    exam = make_exam_session(db)
    unit, other = make_unit(db), make_unit(db, division="450103")
    mine = make_registration(db, unit=unit, exam=exam)
    theirs = make_registration(db, unit=other, exam=exam)
    admin = make_user(db, role=Role.UNIT_ADMIN, unit=unit)
    token = api.login(admin.username, PASSWORD)

    assert api.data(DETAIL, {"id": mine.id}, token=token)["registration"]["idNumber"] == mine.id_number
    assert api.data(DETAIL_IN_FRAGMENT, {"id": mine.id}, token=token)["registration"]["idNumber"] == mine.id_number
    api.data(DETAIL_WITHOUT_ID, {"id": mine.id}, token=token)
    api.data("query($s: ID!) { registrations(sessionId: $s) { edges { node { idNumber } } } }",
             {"s": exam.id}, token=token)
    assert api.data(DETAIL, {"id": theirs.id}, token=token)["registration"] is None

    viewed = rows(db, event="ID_NUMBER_VIEWED")
    assert [(r.target_id, r.result, r.error_code) for r in viewed] == [
        (str(mine.id), "SUCCESS", None), (str(mine.id), "SUCCESS", None), (str(theirs.id), "FAILURE", "NOT_FOUND")]
    assert {(r.user_id, r.target_type, r.client_address) for r in viewed} == {(admin.id, "registration", "testclient")}


def test_review_decisions_and_rollbacks_are_audited_in_their_own_transaction(backend):
    db = backend.database
    api = Api(backend.client)
    exam = make_exam_session(db)
    unit = make_unit(db)
    a = make_registration(db, unit=unit, exam=exam, status=S.PENDING_INITIAL)
    b = make_registration(db, unit=unit, exam=exam, status=S.PENDING_INITIAL)
    draft = make_registration(db, unit=unit, exam=exam)
    admin = api.login(make_user(db, role=Role.UNIT_ADMIN, unit=unit).username, PASSWORD)
    county_user = make_user(db, role=Role.COUNTY_REVIEWER, division="450102")
    county = api.login(county_user.username, PASSWORD)
    city_user = make_user(db, role=Role.CITY_REVIEWER, division="450100")
    city = api.login(city_user.username, PASSWORD)

    # the draft's failure rolls back its savepoint: no row claims it was approved
    results = api.data(REVIEW, {"ids": [a.id, draft.id], "d": "APPROVE"}, token=county)["reviewRegistrations"]
    assert [r["ok"] for r in results["results"]] == [True, False]
    api.data(REVIEW, {"ids": [b.id], "d": "REJECT", "c": "照片不合格"}, token=county)
    api.data(REVIEW, {"ids": [a.id], "d": "APPROVE"}, token=city)
    assert api.data(ROLLBACK, {"id": a.id, "r": "姓名有误"}, token=admin)["requestRollback"]["errors"] == []
    assert api.data(DECIDE, {"id": a.id, "a": True}, token=city)["decideRollback"]["errors"] == []

    trail = [(r.event, r.user_id, r.target_id, r.details) for r in rows(db) if r.event != "LOGIN"]
    assert trail == [
        ("REGISTRATION_APPROVED", county_user.id, str(a.id), "PENDING_INITIAL -> PENDING_FINAL"),
        ("REGISTRATION_REJECTED", county_user.id, str(b.id), "PENDING_INITIAL -> RETURNED"),
        ("REGISTRATION_APPROVED", city_user.id, str(a.id), "PENDING_FINAL -> APPROVED"),
        ("ROLLBACK_REQUESTED", trail[3][1], str(a.id), "APPROVED -> ROLLBACK_REQUESTED"),
        ("ROLLBACK_GRANTED", city_user.id, str(a.id), "ROLLBACK_REQUESTED -> RETURNED"),
    ]


def test_exports_and_download_links_are_audited(backend):
    db = backend.database
    api = Api(backend.client)
    exam = make_exam_session(db)
    make_registration(db, unit=make_unit(db), exam=exam, status=S.APPROVED)
    training = make_user(db, role=Role.TRAINING_OPERATOR)
    token = api.login(training.username, PASSWORD)

    url = api.data(EXPORT, {"s": exam.id}, token=token)["exportTrainingCandidates"]["url"]
    assert backend.client.get(url).status_code == 200
    with db.transaction() as session:
        session.execute(sa.text("UPDATE app_user SET is_active = false WHERE id = :i"), {"i": training.id})
    assert backend.client.get(url).status_code == 403

    created, opened, refused = rows(db, user_id=training.id)[1:]
    assert (created.event, created.target_type, created.target_id, created.result) == (
        "EXPORT_CREATED", "exam_session", str(exam.id), "SUCCESS")
    assert (opened.event, opened.target_type, opened.target_id, opened.result) == (
        "DOWNLOAD_OPENED", "training-candidates", str(exam.id), "SUCCESS")
    assert (refused.event, refused.result, refused.error_code) == ("DOWNLOAD_OPENED", "FAILURE", "FORBIDDEN")
    assert opened.client_address == "testclient"


def test_account_changes_are_audited_and_a_refused_one_is_not(backend):
    db = backend.database
    api = Api(backend.client)
    operator = make_user(db, role=Role.SUPERADMIN)
    token = api.login(operator.username, PASSWORD)
    new = {"role": "REGION_REVIEWER", "name": "韦审核", "username": "wei-reviewer", "password": "Reviewer2026ok"}
    created = api.data(CREATE_USER, {"i": new}, token=token)["createUser"]["user"]
    assert api.data(CREATE_USER, {"i": new}, token=token)["createUser"]["errors"][0]["code"] == "DUPLICATE"
    reviewer = api.login("wei-reviewer", "Reviewer2026ok")
    api.data(CHANGE_PASSWORD, {"o": "Reviewer2026ok", "n": "Reviewer2026new"}, token=reviewer)

    trail = [(r.event, r.user_id, r.target_id, r.details) for r in rows(db) if r.event != "LOGIN"]
    assert trail == [
        ("ACCOUNT_CREATED", operator.id, created["id"], "REGION_REVIEWER"),
        ("PASSWORD_CHANGED", int(created["id"]), created["id"], None),
    ]


def test_audit_rows_cannot_be_changed_or_deleted_even_in_sql(backend):
    db = backend.database
    user = make_user(db, role=Role.REGION_REVIEWER)
    Api(backend.client).login(user.username, PASSWORD)
    for statement in ("UPDATE audit_event SET result = 'FAILURE'", "DELETE FROM audit_event",
                      "UPDATE audit_event SET username = 'someone-else' WHERE id = (SELECT min(id) FROM audit_event)"):
        with pytest.raises(sa.exc.DatabaseError, match="cannot be changed or deleted"):
            with db.transaction() as session:
                session.execute(sa.text(statement))
    (row,) = rows(db)
    assert (row.username, row.result) == (user.username, "SUCCESS")


def test_no_audit_row_holds_a_full_id_number_or_phone_number(backend):
    db = backend.database
    api = Api(backend.client)
    exam = make_exam_session(db)
    unit = make_unit(db)
    registration = make_registration(db, unit=unit, exam=exam)
    admin = make_user(db, role=Role.UNIT_ADMIN, unit=unit)
    token = api.login(admin.username, PASSWORD)
    # people type their ID number or mobile where the username goes
    for typed in (registration.id_number, registration.id_number[:17] + "x", registration.phone,
                  f"韦{registration.id_number}", f"{registration.phone}@{registration.id_number}"):
        api.data(LOGIN, {"u": typed, "p": "whatever1"})
    api.data(DETAIL, {"id": registration.id}, token=token)
    api.data("mutation($m: String) { updateProfile(input: {mobile: $m}) { errors { code } } }",
             {"m": registration.phone}, token=token)

    written = rows(db)
    assert len(written) >= 8
    for row in written:
        text = " ".join(str(v) for v in row.model_dump().values() if v is not None)
        assert not FULL_ID_NUMBER.search(text), text
        assert not FULL_PHONE.search(text), text
    assert rows(db, event="LOGIN")[1].username.startswith(registration.id_number[:4] + "**")


def test_operators_query_the_trail_by_filter_and_page_and_no_one_else_can(backend):
    db = backend.database
    api = Api(backend.client)
    operator = make_user(db, role=Role.SUPERADMIN)
    reviewer = make_user(db, role=Role.REGION_REVIEWER)
    for _ in range(3):
        api.data(LOGIN, {"u": reviewer.username, "p": "wrong-password1"})
    reviewer_token = api.login(reviewer.username, PASSWORD)
    token = api.login(operator.username, PASSWORD)

    everything = api.data(AUDIT, {"first": 100}, token=token)["auditEvents"]
    assert everything["totalCount"] == 5
    failures = api.data(AUDIT, {"f": {"event": "LOGIN", "userId": str(reviewer.id)}, "first": 2}, token=token)[
        "auditEvents"]
    assert failures["totalCount"] == 4 and failures["pageInfo"]["hasNextPage"]
    newest = failures["edges"][0]["node"]
    assert (newest["username"], newest["result"], newest["errorCode"]) == (reviewer.username, "SUCCESS", None)
    rest = api.data(AUDIT, {"f": {"event": "LOGIN", "userId": str(reviewer.id)}, "first": 2,
                            "after": failures["pageInfo"]["endCursor"]}, token=token)["auditEvents"]
    assert [e["node"]["errorCode"] for e in rest["edges"]] == ["INVALID_CREDENTIALS"] * 2
    assert not rest["pageInfo"]["hasNextPage"]
    ids = [e["node"]["id"] for e in failures["edges"] + rest["edges"]]
    assert ids == sorted(ids, key=int, reverse=True) and len(set(ids)) == 4

    first_at = everything["edges"][-1]["node"]["at"]
    later = api.data(AUDIT, {"f": {"since": first_at, "targetType": "user", "targetId": str(operator.id)}},
                     token=token)["auditEvents"]
    assert [e["node"]["username"] for e in later["edges"]] == [operator.username]
    assert api.data(AUDIT, {"f": {"until": first_at}}, token=token)["auditEvents"]["totalCount"] == 0

    assert error_codes(api.run(AUDIT, token=reviewer_token)) == ["FORBIDDEN"]
    assert error_codes(api.run(AUDIT)) == ["UNAUTHENTICATED"]


def test_unit_applications_and_admin_changes_are_audited(backend):
    from tests.graphql.test_unit_requests import APPLY, CHANGE, credit_code, id_number
    from tests.graphql.test_unit_requests import DECIDE as DECIDE_REQUEST

    db = backend.database
    api = Api(backend.client)
    operator = make_user(db, role=Role.SUPERADMIN)
    op_token = api.login(operator.username, PASSWORD)
    form = {"unitName": "审计测试执法大队", "creditCode": credit_code("12450103MB0654321"), "divisionCode": "450103",
            "admin": {"name": "黄审计", "birthDate": "1985-06-15", "idNumber": id_number("45010319850615003"),
                      "phone": "13977112399"}}
    filed = api.data(APPLY, {"i": form})["applyUnitRegistration"]["request"]
    api.data(DECIDE_REQUEST, {"id": filed["id"], "a": True}, token=op_token)
    unit = make_unit(db)
    old_admin = make_user(db, role=Role.UNIT_ADMIN, unit=unit)
    change = {"admin": {"name": "韦接任", "birthDate": "1990-01-02", "idNumber": id_number("45010219900102002"),
                        "phone": "13977100001"}}
    asked = api.data(CHANGE, {"i": change}, token=api.login(old_admin.username, PASSWORD))["requestAdminChange"]
    decided = api.data(DECIDE_REQUEST, {"id": asked["request"]["id"], "a": True}, token=op_token)["reviewUnitRequest"]
    assert decided["errors"] == []

    trail = [(r.event, r.user_id, r.target_type, r.target_id) for r in rows(db) if r.event != "LOGIN"]
    new_accounts = [t for t in trail if t[0] == "ACCOUNT_CREATED"]
    assert trail == [
        ("UNIT_APPLICATION_FILED", None, "unit_request", filed["id"]),
        ("UNIT_REQUEST_APPROVED", operator.id, "unit_request", filed["id"]),
        new_accounts[0],
        ("ADMIN_CHANGE_REQUESTED", old_admin.id, "unit_request", asked["request"]["id"]),
        ("UNIT_REQUEST_APPROVED", operator.id, "unit_request", asked["request"]["id"]),
        ("ACCOUNT_DEACTIVATED", operator.id, "user", str(old_admin.id)),
        new_accounts[1],
    ]
    assert all(t[1] == operator.id and t[2] == "user" for t in new_accounts)
    assert rows(db, event="UNIT_APPLICATION_FILED")[0].client_address == "testclient"
