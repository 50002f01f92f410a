"""jobProgress over graphql-transport-ws: progress until the import is done."""

from __future__ import annotations

from app.accounts.models import Role
from tests.api import Api
from tests.factories import PASSWORD, candidate, make_exam_session, make_unit, make_user
from tests.imports.support import filled_template, person_row, upload

SUBSCRIBE = "subscription($id: ID!) { jobProgress(id: $id) { id status processed total summary { created } } }"


def test_job_progress_streams_until_the_import_is_done(backend):
    api = Api(backend.client)
    unit = make_unit(backend.database, name="测试单位乙")
    token = api.login(make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit).username, PASSWORD)
    exam = make_exam_session(backend.database)
    rows = [person_row(candidate(sessionId=exam.id), unit.name) for _ in range(30)]
    job_id = upload(api, token, exam.id, filled_template(rows))["job"]["id"]

    with backend.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": {"id": job_id}}})
        updates = []
        while True:
            message = ws.receive_json()
            if message["type"] == "complete":
                break
            assert message["type"] == "next", message
            updates.append(message["payload"]["data"]["jobProgress"])
    assert updates[-1]["status"] == "SUCCEEDED" and updates[-1]["summary"] == {"created": 30}
    assert updates[-1]["processed"] == updates[-1]["total"] == 30
    assert all(u["processed"] <= u["total"] for u in updates)
    assert all(u["id"] == job_id for u in updates)


def test_job_progress_needs_a_signed_in_owner(backend):
    api = Api(backend.client)
    other = make_user(backend.database, role=Role.CITY_REVIEWER, division="450200")
    token = api.login(other.username, PASSWORD)
    with backend.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": {"id": "999999"}}})
        message = ws.receive_json()
        assert message["type"] == "next" and message["payload"]["data"] is None
        assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
