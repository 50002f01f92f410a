"""Every file of the shared corpus through every upload mutation, whatever its type.

tests/documents/test_corpus.py and tests/imports give each file its verdict on the path it was made for;
here each file also goes where it does not belong (a PDF as an ID photo, a ZIP bomb as a spreadsheet, a
workbook as proof): no answer may be a 5xx or INTERNAL_SERVER_ERROR, every job and check must end (never
stuck), a wrong kind of file is never accepted, every refusal says why in Chinese, and the worker still
runs a job afterwards.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.accounts.models import Role
from tests.api import Api, finished_job
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user
from tests.fuzz.support import Tally, is_chinese

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
FOLDERS = ("jpeg", "pdf", "xlsx", "zip")  # one exam session each: a unit keeps at most 50 proof PDFs per session
FINISH_SECONDS = 300
PATHS = ("importRegistrations", "uploadAttachment", "uploadPhoto", "uploadPhotos")
MADE_FOR = {"uploadAttachment": "pdf", "uploadPhoto": "jpeg", "uploadPhotos": "jpeg"}  # no corpus workbook is
# our template, so nothing passes importRegistrations

IMPORT = """mutation($s: ID!, $f: Upload!) { importRegistrations(sessionId: $s, file: $f) {
  job { id } errors { code message } } }"""
ATTACHMENT = """mutation($s: ID!, $f: Upload!) { uploadAttachment(sessionId: $s, category: OTHER, file: $f) {
  attachment { id status } errors { code message } } }"""
PHOTO = """mutation($r: ID!, $f: Upload!) { uploadPhoto(registrationId: $r, file: $f) {
  photo { status } errors { code message } } }"""
PHOTOS = """mutation($s: ID!, $f: [Upload!]!) { uploadPhotos(sessionId: $s, files: $f) {
  job { id } errors { code message } } }"""
JOB = """query($id: ID!) { job(id: $id) { status error rowErrors { message }
  photoResults { outcome problems { code message } } } }"""
ATTACHMENTS = """query($s: ID!) { attachments(sessionId: $s) { id status problems { code message } } }"""
PHOTO_STATUS = """query($s: ID!) { registrations(sessionId: $s, first: 100) { edges { node {
  id photo { status problems { code message } } } } } }"""
HEALTH = "mutation { requestHealthCheck { job { id } errors { code message } } }"
HEALTH_JOB = "query($id: ID!) { job(id: $id) { status error } }"


def _manifest() -> list[dict[str, str]]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        return []
    with (CORPUS / "MANIFEST.tsv").open(newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f, delimiter="\t") if (CORPUS / row["path"]).is_file()]


ROWS = _manifest()


@dataclass
class Sent:
    """One corpus file sent to one upload mutation, and what became of it."""

    row: dict[str, str]
    path: str  # the mutation
    target: str = ""  # the job, attachment or registration that carries the verdict
    verdict: str = ""  # "accepted" or "rejected" once known

    @property
    def what(self) -> str:
        return f"{self.row['path']} → {self.path}"

    @property
    def may_be_accepted(self) -> bool:
        """Only the file kind a path is for, with the manifest's accept, may pass it."""
        return self.made_for_it and self.row["expected_verdict"] == "accept"

    @property
    def made_for_it(self) -> bool:
        return MADE_FOR.get(self.path) == self.row["kind"]


@dataclass
class Fixture:
    api: Api
    token: str
    sessions: dict[str, int]
    registrations: dict[str, list[tuple[int, str]]]  # folder → unused (id, ID number): one per photo upload


def _post(api: Api, token: str, query: str, variables: dict[str, Any], files: dict[str, tuple[str, bytes]],
          ) -> tuple[int, dict[str, Any] | None]:
    mapping = {str(i): [path] for i, path in enumerate(files)}
    response = api.client.post(
        "/graphql",
        data={"operations": json.dumps({"query": query, "variables": variables}), "map": json.dumps(mapping)},
        files={str(i): (name, data, "application/octet-stream") for i, (name, data) in enumerate(files.values())},
        headers={"Authorization": f"Bearer {token}", "GraphQL-Preflight": "1"},
    )
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


def _send(fx: Fixture, tally: Tally, sent: Sent) -> None:
    """Upload; a refusal at once is the verdict, otherwise `target` is what the worker will judge."""
    row, data = sent.row, (CORPUS / sent.row["path"]).read_bytes()
    name = Path(row["path"]).name
    session_id = str(fx.sessions[row["path"].split("/")[0]])
    if sent.path == "importRegistrations":
        status, body = _post(fx.api, fx.token, IMPORT, {"s": session_id, "f": None}, {"variables.f": (name, data)})
    elif sent.path == "uploadAttachment":
        status, body = _post(fx.api, fx.token, ATTACHMENT, {"s": session_id, "f": None},
                             {"variables.f": (name, data)})
    else:  # photos are named for a record of the unit, so every rule after the name is reached
        registration_id, id_number = fx.registrations[row["path"].split("/")[0]].pop()
        photo_name = name if row["kind"] == "zip" and sent.path == "uploadPhotos" else f"{id_number}.jpg"
        if sent.path == "uploadPhoto":
            sent.target = str(registration_id)
            status, body = _post(fx.api, fx.token, PHOTO, {"r": sent.target, "f": None},
                                 {"variables.f": (photo_name, data)})
        else:
            status, body = _post(fx.api, fx.token, PHOTOS, {"s": session_id, "f": [None]},
                                 {"variables.f.0": (photo_name, data)})
    if not tally.answer(sent.what, status, body):
        sent.verdict = "failed"
        return
    if body is None or status >= 400 or body.get("errors"):  # refused before any resolver: must still say why
        messages = [e.get("message") for e in (body or {}).get("errors") or []]
        _rejected(tally, sent, messages or [None])
        return
    payload = body["data"][sent.path]
    if payload["errors"]:
        _rejected(tally, sent, [e["message"] for e in payload["errors"]])
    elif sent.path in ("importRegistrations", "uploadPhotos"):
        sent.target = payload["job"]["id"]
    elif sent.path == "uploadAttachment":
        sent.target = payload["attachment"]["id"]


def _rejected(tally: Tally, sent: Sent, messages: list[str | None]) -> None:
    sent.verdict = "rejected"
    tally.rejected += 1
    if not all(is_chinese(m) for m in messages):
        tally.fail(f"{sent.what}: refused without a Chinese reason: {messages}")


def _accepted(tally: Tally, sent: Sent) -> None:
    sent.verdict = "accepted"
    if not sent.may_be_accepted:
        tally.fail(f"{sent.what}: accepted, though it is not a {MADE_FOR.get(sent.path, 'template')} file "
                   "that meets every rule")


def _judge_job(tally: Tally, sent: Sent, job: dict[str, Any]) -> None:
    if job["status"] == "FAILED":
        _rejected(tally, sent, [job["error"]])
        return
    problems = [p["message"] for item in job["photoResults"] if item["outcome"] != "ATTACHED"
                for p in item["problems"]] + [e["message"] for e in job["rowErrors"]]
    if sent.path == "uploadPhotos" and job["photoResults"] and all(
            item["outcome"] == "ATTACHED" for item in job["photoResults"]):
        _accepted(tally, sent)
    elif problems:
        _rejected(tally, sent, problems)
    else:
        tally.fail(f"{sent.what}: job SUCCEEDED with nothing attached and no reason: {job}")


def _judge_document(tally: Tally, sent: Sent, status: str, problems: list[dict[str, Any]]) -> None:
    if status == "OK":
        _accepted(tally, sent)
    else:
        _rejected(tally, sent, [p["message"] for p in problems] or [None])


def _await_verdicts(fx: Fixture, tally: Tally, pending: list[Sent]) -> None:
    """Poll until every job and check has ended; anything still open after FINISH_SECONDS is stuck."""
    deadline = time.monotonic() + FINISH_SECONDS
    while pending and time.monotonic() < deadline:
        for sent in list(pending):
            if sent.path in ("importRegistrations", "uploadPhotos"):
                job = fx.api.data(JOB, {"id": sent.target}, token=fx.token)["job"]
                if job["status"] in ("SUCCEEDED", "FAILED"):
                    _judge_job(tally, sent, job)
        for folder, session_id in fx.sessions.items():
            attachments = {a["id"]: a for a in fx.api.data(ATTACHMENTS, {"s": str(session_id)},
                                                            token=fx.token)["attachments"]}
            photos = {e["node"]["id"]: e["node"]["photo"] for e in fx.api.data(
                PHOTO_STATUS, {"s": str(session_id)}, token=fx.token)["registrations"]["edges"]}
            for sent in pending:
                if sent.row["path"].split("/")[0] != folder or sent.verdict:
                    continue
                found = attachments.get(sent.target) if sent.path == "uploadAttachment" else (
                    photos.get(sent.target) if sent.path == "uploadPhoto" else None)
                if found and found["status"] != "PENDING":
                    _judge_document(tally, sent, found["status"], found["problems"])
        pending[:] = [s for s in pending if not s.verdict]
        time.sleep(0.2)
    for sent in pending:
        tally.fail(f"{sent.what}: still not judged after {FINISH_SECONDS}s (stuck)")


def _fixture(backend) -> Fixture:  # noqa: ANN001
    """A unit administrator, an exam session per corpus folder, and two records per file of the folder."""
    db = backend.database
    unit = make_unit(db)
    api = Api(backend.client)
    token = api.login(make_user(db, role=Role.UNIT_ADMIN, unit=unit).username, PASSWORD)
    fx = Fixture(api=api, token=token, sessions={}, registrations={})
    for folder in FOLDERS:
        exam = make_exam_session(db)
        fx.sessions[folder] = exam.id
        records = [make_registration(db, unit=unit, exam=exam)
                   for _ in range(2 * sum(r["path"].startswith(folder + "/") for r in ROWS))]
        fx.registrations[folder] = [(r.id, r.id_number) for r in records]
    return fx


@pytest.mark.skipif(not ROWS, reason=f"the shared upload corpus is not at {CORPUS}")
def test_every_corpus_file_through_every_upload_path(backend):
    fx = _fixture(backend)
    tally = Tally(f"upload corpus × paths ({backend.name})")
    sent_all: list[Sent] = []
    for row in ROWS:
        for path in PATHS:
            sent = Sent(row=row, path=path)
            _send(fx, tally, sent)
            sent_all.append(sent)
    _await_verdicts(fx, tally, [s for s in sent_all if not s.verdict])

    # the manifest's verdict holds on the path each file was made for
    for sent in sent_all:
        if sent.made_for_it and sent.verdict in ("accepted", "rejected"):
            expected = "accepted" if sent.row["expected_verdict"] == "accept" else "rejected"
            if sent.verdict != expected:
                tally.fail(f"{sent.what}: {sent.verdict}, the manifest says {sent.row['expected_verdict']} "
                           f"({sent.row['reason']})")

    # the worker is alive: a job sent after all of it still runs
    operator = fx.api.login(make_user(backend.database, role=Role.SUPERADMIN).username, PASSWORD)
    queued = fx.api.data(HEALTH, token=operator)["requestHealthCheck"]
    sentinel = finished_job(fx.api, HEALTH_JOB, queued["job"]["id"], operator, timeout=60)

    accepted = sum(s.verdict == "accepted" for s in sent_all)
    tally.report(accepted=accepted, files=len(ROWS), sentinel_job=sentinel["status"])
    assert sentinel["status"] == "SUCCEEDED", sentinel
    assert not tally.failures, "\n".join(tally.failures)
    assert tally.tried == len(PATHS) * len(ROWS) and tally.rejected + accepted == len(sent_all)
