"""Real client libraries over real sockets against the server under uvicorn: `gql` uploads files
with the GraphQL multipart request spec, and follows jobProgress over graphql-transport-ws."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from gql import Client, FileVar, GraphQLRequest
from gql.transport.httpx import HTTPXTransport
from gql.transport.websockets import WebsocketsTransport

from app.accounts.models import Role
from app.registrations.masking import mask_id_number
from tests.documents.support import make_photo
from tests.factories import PASSWORD, candidate, make_exam_session, make_unit, make_user
from tests.imports.support import filled_template, person_row
from tests.server import LiveServer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token errors { code } } }"
IMPORT = """mutation($s: ID!, $f: Upload!) { importRegistrations(sessionId: $s, file: $f) {
  job { id status } errors { code message } } }"""
UPLOAD_PHOTOS = """mutation($s: ID!, $f: [Upload!]!) { uploadPhotos(sessionId: $s, files: $f) {
  job { id } errors { code message } } }"""
JOB = """query($id: ID!) { job(id: $id) { status summary { created invalid }
  photoResults { fileName outcome } } }"""
PROGRESS = """subscription($id: ID!) { jobProgress(id: $id) {
  id status processed total summary { created invalid } } }"""


def http_client(live: LiveServer, token: str | None = None) -> Client:
    # Uploads are refused without a header a cross-site form cannot send (see README, uploads).
    headers = {"GraphQL-Preflight": "1", **({"Authorization": f"Bearer {token}"} if token else {})}
    return Client(transport=HTTPXTransport(url=live.graphql_url, headers=headers, timeout=60))


def unit_admin(live: LiveServer) -> tuple[Any, str]:
    unit = make_unit(live.database)
    admin = make_user(live.database, role=Role.UNIT_ADMIN, unit=unit)
    with http_client(live) as session:
        login = session.execute(GraphQLRequest(LOGIN, variable_values={"u": admin.username, "p": PASSWORD}))
    assert login["login"]["errors"] == []
    return unit, login["login"]["token"]


def upload_import(live: LiveServer, token: str, session_id: int, workbook: bytes) -> str:
    with http_client(live, token) as session:
        result = session.execute(
            GraphQLRequest(IMPORT, variable_values={
                "s": str(session_id), "f": FileVar(io.BytesIO(workbook), filename="报名信息表.xlsx", content_type=XLSX)}),
            upload_files=True)
    payload = result["importRegistrations"]
    assert payload["errors"] == [] and payload["job"]["status"] == "QUEUED", payload
    return payload["job"]["id"]


def finished_job(live: LiveServer, token: str, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with http_client(live, token) as session:
        while time.monotonic() < deadline:
            job = session.execute(GraphQLRequest(JOB, variable_values={"id": job_id}))["job"]
            if job["status"] in ("SUCCEEDED", "FAILED"):
                return job
            time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


def registered_id_numbers(live: LiveServer, unit_id: int) -> set[str]:
    with live.database.engine.connect() as connection:
        return set(connection.execute(
            sa.text("SELECT id_number FROM registration WHERE unit_id = :u"), {"u": unit_id}).scalars())


def test_gql_uploads_a_workbook_and_a_list_of_photos(live):
    unit, token = unit_admin(live)
    exam = make_exam_session(live.database)
    people = [candidate(sessionId=exam.id) for _ in range(3)]
    workbook = filled_template([person_row(person, unit.name) for person in people])

    job = finished_job(live, token, upload_import(live, token, exam.id, workbook))
    assert job["status"] == "SUCCEEDED" and job["summary"] == {"created": 3, "invalid": 0}, job
    assert registered_id_numbers(live, unit.id) == {person["idNumber"] for person in people}

    # A list of files: the multipart map points at variables.f.0 and variables.f.1.
    photos = [FileVar(io.BytesIO(make_photo()), filename=f"{person['idNumber']}.jpg", content_type="image/jpeg")
              for person in people[:2]]
    with http_client(live, token) as session:
        result = session.execute(GraphQLRequest(UPLOAD_PHOTOS, variable_values={"s": str(exam.id), "f": photos}),
                                 upload_files=True)
    assert result["uploadPhotos"]["errors"] == [], result
    job = finished_job(live, token, result["uploadPhotos"]["job"]["id"])
    assert job["status"] == "SUCCEEDED", job
    assert sorted((r["fileName"], r["outcome"]) for r in job["photoResults"]) == sorted(
        (f"{mask_id_number(person['idNumber'])}.jpg", "ATTACHED") for person in people[:2])


def test_job_progress_over_graphql_transport_ws_with_gql(live):
    unit, token = unit_admin(live)
    exam = make_exam_session(live.database)
    workbook = filled_template([person_row(candidate(sessionId=exam.id), unit.name) for _ in range(200)])
    job_id = upload_import(live, token, exam.id, workbook)

    transport = WebsocketsTransport(url=live.websocket_url, init_payload={"Authorization": f"Bearer {token}"},
                                    subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])
    assert WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL == "graphql-transport-ws"

    def follow() -> list[dict]:
        # The sync facade runs the async websocket session on an event loop of its own; a thread of
        # its own keeps it clear of any loop another tool left in this one (Playwright's sync API).
        request = GraphQLRequest(PROGRESS, variable_values={"id": job_id})
        return [result["jobProgress"] for result in Client(transport=transport).subscribe(request)]

    with ThreadPoolExecutor(max_workers=1) as pool:
        updates = pool.submit(follow).result(timeout=300)

    assert updates, "the subscription ended without a single update"
    assert all(update["id"] == job_id for update in updates)
    processed = [update["processed"] for update in updates]
    assert processed == sorted(processed), updates
    assert len({(u["status"], u["processed"], u["total"]) for u in updates}) == len(updates), "an update repeated"
    final = updates[-1]
    assert final["status"] == "SUCCEEDED" and final["processed"] == final["total"] == 200, final
    assert final["summary"] == {"created": 200, "invalid": 0}, final
    assert len(registered_id_numbers(live, unit.id)) == 200
