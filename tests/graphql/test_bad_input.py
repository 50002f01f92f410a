"""Malformed arguments get a clear error, change nothing, and never a 500 or a traceback."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import Role
from tests.api import Api, error_codes
from tests.factories import PASSWORD, candidate, make_exam_session, make_unit, make_user

CREATE = """mutation($i: RegistrationInput!) { createRegistration(input: $i) {
  registration { id } errors { code field message } } }"""


def count_registrations(backend) -> int:
    with backend.database.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM registration")).scalar_one()


def test_malformed_arguments_are_refused_cleanly(backend):
    api = Api(backend.client)
    unit = make_unit(backend.database)
    admin = make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit)
    token = api.login(admin.username, PASSWORD)
    exam = make_exam_session(backend.database)
    person = candidate(sessionId=exam.id)

    # wrong types and unknown enum text: GraphQL validation errors, in the standard shape
    for variables in (
        {"i": {**person, "gender": "男"}},
        {"i": {**person, "examType": "DROP TABLE"}},
        {"i": {**person, "workStartDate": "2012/07/01"}},
        {"i": {**person, "name": 12345}},
        {"i": {**person, "unknownField": 1}},
        {"i": "not an object"},
    ):
        body = api.run(CREATE, variables, token=token)
        assert body.get("data") is None and error_codes(body) == ["BAD_REQUEST"], body

    # huge strings and absurd values: business errors in the payload
    for field, value in (("name", "张" * 100_000), ("remarks", "备" * 600), ("major", "x" * 101),
                         ("idNumber", "4" * 10_000), ("phone", "１" * 50)):
        errors = api.data(CREATE, {"i": {**person, field: value}}, token=token)["createRegistration"]["errors"]
        assert errors and errors[0]["field"] == field and errors[0]["message"], (field, errors)

    # unknown ids, ids of the wrong shape, ids of other units: as if they did not exist
    for session_id in ("999999", "-1", "abc", "1e9", "９", "1" * 40):
        errors = api.data(CREATE, {"i": {**person, "sessionId": session_id}}, token=token)["createRegistration"][
            "errors"]
        assert errors[0]["code"] == "NOT_FOUND" and errors[0]["field"] == "sessionId", session_id
    for bad_id in ("0", "abc", "99999999999999999999", "' or 1=1"):
        assert api.data("query($id: ID!) { registration(id: $id) { id } }", {"id": bad_id}, token=token)[
            "registration"] is None
        body = api.data("mutation($id: ID!) { deleteRegistration(id: $id) { errors { code } } }", {"id": bad_id},
                        token=token)
        assert body["deleteRegistration"]["errors"] == [{"code": "NOT_FOUND"}]

    # syntax errors and non-GraphQL bodies
    for raw in ({"query": "{ me { "}, {"query": None}, {"nothing": True}, [], "text"):
        response = backend.client.post("/graphql", json=raw, headers={"Authorization": f"Bearer {token}"})
        assert 400 <= response.status_code < 500 or response.json().get("errors"), raw
        assert "Traceback" not in response.text
    response = backend.client.post("/graphql", content=b"\xff\xfe{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "Traceback" not in response.text

    assert count_registrations(backend) == 0


def test_unexpected_errors_are_masked_with_a_request_id(backend, monkeypatch):
    api = Api(backend.client)
    from app.registrations import service

    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(service, "list_registrations", explode)
    admin = make_user(backend.database, role=Role.UNIT_ADMIN, unit=make_unit(backend.database))
    body = api.run("{ registrations(sessionId: 1) { totalCount } }", token=api.login(admin.username, PASSWORD))
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert "secret" not in str(body) and "服务器内部错误" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["requestId"]
