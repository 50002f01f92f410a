"""From draft to training opened, through both review levels, for a county and a region unit."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import Role
from app.units.models import UnitLevel
from tests.api import Api, error_codes
from tests.factories import (
    PASSWORD,
    candidate,
    make_documents_ready,
    make_exam_session,
    make_unit,
    make_user,
)

CREATE = """mutation($i: RegistrationInput!) { createRegistration(input: $i) {
  registration { id blockers { code message } } errors { code field message } } }"""
SUBMIT = "mutation($ids: [ID!]!) { submitRegistrations(ids: $ids) { results { id ok errors { code message } } errors { code } } }"
REVIEW = """mutation($ids: [ID!]!, $d: ReviewDecision!, $c: String) { reviewRegistrations(ids: $ids, decision: $d,
  comment: $c) { results { id ok errors { code message } } errors { code field message } } }"""
UPDATE = """mutation($id: ID!, $i: RegistrationInput!) { updateRegistration(id: $id, input: $i) {
  registration { status } errors { code message } } }"""
ROLLBACK = """mutation($id: ID!, $r: String!) { requestRollback(id: $id, reason: $r) {
  registration { status rollbackUsed dueAt } errors { code message } } }"""
DECIDE = """mutation($id: ID!, $a: Boolean!, $c: String) { decideRollback(id: $id, approve: $a, comment: $c) {
  registration { status rollbackUsed } errors { code message } } }"""
OPEN = "mutation($ids: [ID!]!) { openTraining(ids: $ids) { results { id ok errors { code message } } } }"
DETAIL = """query($id: ID!) { registration(id: $id) { status rollbackUsed dueAt overdue blockers { code }
  history { action fromStatus toStatus comment actor { username role } } } }"""
QUEUE = """query($s: ID!) { registrations(sessionId: $s, filter: {awaitingMyReview: true}) {
  totalCount edges { node { id status dueAt } } } }"""


def ids_of(payload):
    return {r["id"]: r for r in payload["results"]}


def walk(api, backend, exam, admin_token, initial_token, final_token, unit, other_initial_token=None):
    """Create two candidates and take them through the whole workflow."""
    first = api.data(CREATE, {"i": candidate(sessionId=exam.id)}, token=admin_token)["createRegistration"]
    second = api.data(CREATE, {"i": candidate(sessionId=exam.id)}, token=admin_token)["createRegistration"]
    a, b = first["registration"]["id"], second["registration"]["id"]
    assert {x["code"] for x in first["registration"]["blockers"]} == {"PHOTO_MISSING", "ATTACHMENT_MISSING"}

    # submission is refused with every reason until the documents are there
    refused = api.data(SUBMIT, {"ids": [a]}, token=admin_token)["submitRegistrations"]["results"][0]
    assert not refused["ok"] and len(refused["errors"]) == 4  # photo + three PDFs
    make_documents_ready(backend.database, unit=unit, exam=exam, registrations=[a, b])
    submitted = ids_of(api.data(SUBMIT, {"ids": [a, b, "999999"]}, token=admin_token)["submitRegistrations"])
    assert submitted[a]["ok"] and submitted[b]["ok"]
    assert submitted["999999"]["errors"][0]["code"] == "NOT_FOUND"
    assert api.data(DETAIL, {"id": a}, token=admin_token)["registration"]["dueAt"]

    # the initial reviewer's queue holds both; the final reviewer may not act yet
    assert api.data(QUEUE, {"s": exam.id}, token=initial_token)["registrations"]["totalCount"] == 2
    early = api.data(REVIEW, {"ids": [a], "d": "APPROVE"}, token=final_token)["reviewRegistrations"]["results"][0]
    assert early["errors"][0]["code"] == "NOT_YOUR_STAGE"
    if other_initial_token:
        stranger = api.data(REVIEW, {"ids": [a], "d": "APPROVE"}, token=other_initial_token)["reviewRegistrations"]
        assert stranger["results"][0]["errors"][0]["code"] == "NOT_FOUND"

    # a rejection needs a reason; the returned record is edited and resubmitted
    no_reason = api.data(REVIEW, {"ids": [b], "d": "REJECT"}, token=initial_token)["reviewRegistrations"]
    assert no_reason["errors"][0]["code"] == "COMMENT_REQUIRED"
    api.data(REVIEW, {"ids": [b], "d": "REJECT", "c": "职务职级填写不规范"}, token=initial_token)
    assert api.data(DETAIL, {"id": b}, token=admin_token)["registration"]["status"] == "RETURNED"
    assert api.data(UPDATE, {"id": b, "i": {"position": "四级主任科员"}}, token=admin_token)["updateRegistration"][
        "registration"]["status"] == "RETURNED"
    assert ids_of(api.data(SUBMIT, {"ids": [b]}, token=admin_token)["submitRegistrations"])[b]["ok"]

    # both levels approve
    assert all(r["ok"] for r in api.data(REVIEW, {"ids": [a, b], "d": "APPROVE"}, token=initial_token)[
        "reviewRegistrations"]["results"])
    assert api.data(QUEUE, {"s": exam.id}, token=final_token)["registrations"]["totalCount"] == 2
    assert all(r["ok"] for r in api.data(REVIEW, {"ids": [a, b], "d": "APPROVE"}, token=final_token)[
        "reviewRegistrations"]["results"])
    assert api.data(DETAIL, {"id": a}, token=admin_token)["registration"]["status"] == "APPROVED"

    # one rollback is granted, a second is refused
    assert api.data(ROLLBACK, {"id": a, "r": "手机号码有误"}, token=admin_token)["requestRollback"]["registration"][
        "status"] == "ROLLBACK_REQUESTED"
    granted = api.data(DECIDE, {"id": a, "a": True}, token=final_token)["decideRollback"]
    assert granted["registration"] == {"status": "RETURNED", "rollbackUsed": True}
    api.data(UPDATE, {"id": a, "i": {"phone": "13977100000"}}, token=admin_token)
    api.data(SUBMIT, {"ids": [a]}, token=admin_token)
    api.data(REVIEW, {"ids": [a], "d": "APPROVE"}, token=initial_token)
    api.data(REVIEW, {"ids": [a], "d": "APPROVE"}, token=final_token)
    again = api.data(ROLLBACK, {"id": a, "r": "再改一次"}, token=admin_token)["requestRollback"]
    assert again["errors"][0]["code"] == "ROLLBACK_USED" and "仅有一次回退机会" in again["errors"][0]["message"]
    return a, b


def test_county_and_region_units_from_draft_to_training(backend):
    db = backend.database
    api = Api(backend.client)
    exam = make_exam_session(db)

    county_unit = make_unit(db, division="450102", name="南宁市兴宁区市场监督管理局")
    dept = make_unit(db, division="450000", level=UnitLevel.REGION, is_department=True, name="自治区市场监督管理局")
    region_unit = make_unit(db, division="450000", level=UnitLevel.REGION, supervisor=dept, name="自治区执法总队")

    def token(role, **kw):
        return api.login(make_user(db, role=role, **kw).username, PASSWORD)

    county_admin = token(Role.UNIT_ADMIN, unit=county_unit)
    region_admin = token(Role.UNIT_ADMIN, unit=region_unit)
    county = token(Role.COUNTY_REVIEWER, division="450102")
    other_county = token(Role.COUNTY_REVIEWER, division="450103")
    city = token(Role.CITY_REVIEWER, division="450100")
    dept_reviewer = token(Role.DEPT_REVIEWER, unit=dept)
    region = token(Role.REGION_REVIEWER)
    training = token(Role.TRAINING_OPERATOR)

    county_ids = walk(api, backend, exam, county_admin, county, city, county_unit, other_county)
    region_ids = walk(api, backend, exam, region_admin, dept_reviewer, region, region_unit)

    # the training company opens training; each candidate gets an SMS from the outbox
    everyone = [*county_ids, *region_ids]
    opened = api.data(OPEN, {"ids": everyone}, token=training)["openTraining"]["results"]
    assert all(r["ok"] for r in opened), opened
    twice = api.data(OPEN, {"ids": everyone[:1]}, token=training)["openTraining"]["results"][0]
    assert twice["errors"][0]["code"] == "INVALID_STATE"
    assert error_codes(api.run(OPEN, {"ids": everyone}, token=county)) == ["FORBIDDEN"]
    late = api.data(ROLLBACK, {"id": county_ids[1], "r": "x"}, token=county_admin)["requestRollback"]["errors"]
    assert late[0]["code"] == "INVALID_STATE"
    with db.engine.connect() as connection:
        sms = connection.execute(sa.text(
            "SELECT template, subject_id FROM smsmessage WHERE template = 'TRAINING_OPENED'")).all()
    assert sorted(str(s.subject_id) for s in sms) == sorted(everyone)

    # the audit trail of the rolled-back record, oldest first
    history = api.data(DETAIL, {"id": county_ids[0]}, token=county_admin)["registration"]["history"]
    assert [(h["action"], h["toStatus"]) for h in history] == [
        ("CREATE", "DRAFT"), ("SUBMIT", "PENDING_INITIAL"), ("APPROVE", "PENDING_FINAL"), ("APPROVE", "APPROVED"),
        ("REQUEST_ROLLBACK", "ROLLBACK_REQUESTED"), ("GRANT_ROLLBACK", "RETURNED"), ("EDIT", "RETURNED"),
        ("SUBMIT", "PENDING_INITIAL"), ("APPROVE", "PENDING_FINAL"), ("APPROVE", "APPROVED"),
        ("OPEN_TRAINING", "TRAINING_OPENED"),
    ]
    assert [h["actor"]["role"] for h in history if h["action"] == "APPROVE"] == [
        "COUNTY_REVIEWER", "CITY_REVIEWER", "COUNTY_REVIEWER", "CITY_REVIEWER"]
    assert history[4]["comment"] == "手机号码有误"
    returned = api.data(DETAIL, {"id": county_ids[1]}, token=county_admin)["registration"]["history"]
    assert ("REJECT", "职务职级填写不规范") in [(h["action"], h["comment"]) for h in returned]


def test_entrusted_candidates_need_a_delegation_letter(backend):
    db = backend.database
    api = Api(backend.client)
    exam = make_exam_session(db)
    unit = make_unit(db)
    admin = api.login(make_user(db, role=Role.UNIT_ADMIN, unit=unit).username, PASSWORD)
    made = api.data(CREATE, {"i": candidate(sessionId=exam.id, personnelNature="ENTRUSTED")}, token=admin)
    record = made["createRegistration"]["registration"]["id"]
    make_documents_ready(db, unit=unit, exam=exam, registrations=[record])
    result = api.data(SUBMIT, {"ids": [record]}, token=admin)["submitRegistrations"]["results"][0]
    assert [e["code"] for e in result["errors"]] == ["ATTACHMENT_MISSING"] and "委托书" in result["errors"][0]["message"]
    make_documents_ready(db, unit=make_unit(db), exam=exam)  # another unit's letter does not count
    make_documents_ready(db, unit=unit, exam=exam, delegation=True)
    assert api.data(SUBMIT, {"ids": [record]}, token=admin)["submitRegistrations"]["results"][0]["ok"]
