"""Full ID numbers and mobile numbers appear only in the detail view of a record the caller may
see: a representative run of lists, exports, statistics, the SMS outbox, validation errors that
echo input and an import with errors, with every log record captured, is scanned for any full
ID number or mobile number of the data it uses."""

from __future__ import annotations

import io
import json
import logging
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from app.accounts.models import Role
from app.registrations.models import RegistrationStatus
from tests.api import Api, wait_until
from tests.documents.support import make_photo, post_files
from tests.factories import PASSWORD, candidate, make_exam_session, make_registration, make_unit, make_user
from tests.imports.support import filled_template, person_row, upload, wait_for

FULL = "registration(id: $id) { id idNumber phone name }"
LIST = """query($s: ID!, $f: RegistrationFilterInput) { registrations(sessionId: $s, filter: $f, first: 100) {
  totalCount edges { node { id name idNumber phone status unit { name } history { comment } blockers { message } } } } }"""
CREATE = """mutation($i: RegistrationInput!) { createRegistration(input: $i) {
  registration { id idNumber phone } errors { code field message } } }"""
UPDATE = """mutation($id: ID!, $i: RegistrationInput!) { updateRegistration(id: $id, input: $i) {
  registration { id } errors { code field message } } }"""
STATISTICS = """query($s: ID!) { statistics(sessionId: $s, groupBy: [UNIT, STATUS]) { rows { key { city unit { name } } figures { count } } } }"""
EXPORT = """mutation($s: ID!) { exportStatistics(sessionId: $s, groupBy: [UNIT]) { url errors { message } } }"""
SMS = "{ smsMessages(first: 100) { totalCount edges { node { phone text status } } } }"
PHOTO = """mutation($r: ID!, $f: Upload!) { uploadPhoto(registrationId: $r, file: $f) {
  photo { status problems { message measured required } } errors { code field message } } }"""
OPEN = "mutation($ids: [ID!]!) { openTraining(ids: $ids) { results { id ok errors { message } } errors { message } } }"
JOB = "query($id: ID!) { job(id: $id) { status summary { message } rowErrors { row column message } } }"
ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


class Recorder(Api):
    """Keeps every response; those of a record's detail view (and of the caller's own account,
    `me`) are kept apart."""

    def __init__(self, client) -> None:  # noqa: ANN001
        super().__init__(client)
        self.detail: list[str] = []

    def detail_view(self, registration_id: int, token: str) -> dict:
        response = self.client.post("/graphql", json={"query": f"query($id: ID!) {{ {FULL} }}",
                                                      "variables": {"id": str(registration_id)}},
                                    headers={"Authorization": f"Bearer {token}"})
        self.detail.append(response.text)
        return response.json()["data"]["registration"]


def test_full_id_and_phone_numbers_appear_only_in_the_detail_view(backend, caplog):
    caplog.set_level(logging.DEBUG)  # every logger the service and its workers use
    db = backend.database
    unit, other_unit = make_unit(db, division="450102"), make_unit(db, division="450103", name="青秀区某执法局")
    exam = make_exam_session(db)
    admin = make_user(db, role=Role.UNIT_ADMIN, unit=unit)
    draft = make_registration(db, unit=unit, exam=exam)
    approved = make_registration(db, unit=unit, exam=exam, status=RegistrationStatus.APPROVED)
    elsewhere = make_registration(db, unit=other_unit, exam=exam, status=RegistrationStatus.PENDING_INITIAL)
    reviewer = make_user(db, role=Role.COUNTY_REVIEWER, division="450102")
    trainer = make_user(db, role=Role.TRAINING_OPERATOR)
    operator = make_user(db, role=Role.SUPERADMIN)
    api = Recorder(backend.client)
    tokens = {name: api.login(user.username, PASSWORD)
              for name, user in (("admin", admin), ("reviewer", reviewer), ("trainer", trainer), ("operator", operator))}

    # lists, as every role that has one
    for name in ("admin", "reviewer", "trainer", "operator"):
        api.run(LIST, {"s": exam.id}, token=tokens[name])
        api.run(STATISTICS, {"s": exam.id}, token=tokens[name])
        api.detail.append(api.client.post("/graphql", json={"query": "{ me { username name idNumber mobile } }"},
                                          headers={"Authorization": f"Bearer {tokens[name]}"}).text)
    # a search by a full ID number does not echo it
    api.run(LIST, {"s": exam.id, "f": {"search": draft.id_number}}, token=tokens["admin"])
    api.run(LIST, {"s": exam.id, "f": {"search": elsewhere.id_number}}, token=tokens["admin"])
    # the detail view shows them in full (and is not scanned); another unit's record is null
    assert api.detail_view(draft.id, tokens["admin"])["idNumber"] == draft.id_number
    assert api.run(f"query($id: ID!) {{ {FULL} }}", {"id": str(elsewhere.id)}, token=tokens["admin"])[
        "data"]["registration"] is None

    # validation errors that could echo what was typed
    person = candidate(sessionId=exam.id)
    for bad in ({"idNumber": elsewhere.id_number}, {"idNumber": draft.id_number},
                {"idNumber": elsewhere.id_number + "1"}, {"idNumber": elsewhere.id_number[:17] + "Y"},
                {"phone": elsewhere.phone + "8"}, {"phone": "0" + elsewhere.phone},
                {"name": f"韦{elsewhere.id_number}"}):
        body = api.data(CREATE, {"i": {**person, **bad}}, token=tokens["admin"])["createRegistration"]
        assert body["errors"], bad
    api.data(UPDATE, {"id": str(draft.id), "i": {"idNumber": elsewhere.id_number}}, token=tokens["admin"])
    api.data(UPDATE, {"id": str(draft.id), "i": {"phone": draft.phone + "0"}}, token=tokens["admin"])
    # an import with errors: another unit's person, a bad phone, the same person twice
    rows = [person_row(candidate(idNumber=elsewhere.id_number), unit.name),
            person_row(candidate(phone=elsewhere.phone + "1"), unit.name),
            person_row(candidate(idNumber=draft.id_number), unit.name),
            person_row(candidate(idNumber=draft.id_number), unit.name)]
    queued = upload(api, tokens["admin"], exam.id, filled_template(rows), policy="IMPORT_VALID_ROWS")
    api.responses.append(json.dumps(queued, ensure_ascii=False))
    job = wait_for(api, tokens["admin"], queued["job"]["id"])
    assert job["status"] in ("SUCCEEDED", "FAILED") and job["rowErrors"], job
    # a photo under the wrong name
    photo = post_files(api, tokens["admin"], PHOTO, {"r": str(draft.id), "f": None},
                       {"variables.f": ("photo.jpg", make_photo(), "image/jpeg")})
    api.responses.append(json.dumps(photo, ensure_ascii=False))
    assert photo["data"]["uploadPhoto"]["errors"][0]["code"] == "WRONG_FILE_NAME"

    # the aggregate export
    url = api.data(EXPORT, {"s": exam.id}, token=tokens["reviewer"])["exportStatistics"]["url"]
    book = load_workbook(io.BytesIO(backend.client.get(url).content))
    exported = json.dumps([[cell for row in sheet.iter_rows(values_only=True) for cell in row]
                           for sheet in book.worksheets], ensure_ascii=False, default=str)

    # SMS: training opened for the approved candidate, sent (and logged) by the worker, listed by operators
    assert api.data(OPEN, {"ids": [str(approved.id)]}, token=tokens["trainer"])["openTraining"]["results"][0]["ok"]
    wait_until(lambda: _sent(backend), what="the SMS sent")
    assert api.data(SMS, token=tokens["operator"])["smsMessages"]["totalCount"] >= 1

    secrets = _personal_numbers(backend)
    assert draft.id_number in secrets and approved.phone in secrets
    leaks = _found(secrets, api.responses, "response") + _found(secrets, [exported], "statistics export") + \
        _found(secrets, [_text(r) for r in caplog.records], "log")
    assert leaks == [], "\n".join(leaks)
    # and the check is not blind: the detail view did show them
    assert _found(secrets, api.detail, "detail")
    print(f"personal data scan: {len(api.responses)} responses, {len(caplog.records)} log records, "
          f"{len(secrets)} numbers, 0 leaks")


def _sent(backend) -> bool:
    with backend.database.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM smsmessage WHERE status = 'SENT'")).scalar_one() > 0


def _personal_numbers(backend) -> set[str]:
    """Every ID number and mobile number in the database: of candidates, accounts and SMS."""
    found: set[str] = set()
    with backend.database.engine.connect() as connection:
        for query in ("SELECT id_number, phone FROM registration", "SELECT id_number, mobile FROM app_user",
                      "SELECT phone, NULL FROM smsmessage"):
            for row in connection.execute(sa.text(query)):
                found.update(value for value in row if value and (ID_NUMBER.fullmatch(value) or MOBILE.fullmatch(value)))
    return found


def _text(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return f"{record.name}: {text}"


def _found(secrets: set[str], texts: list[str], where: str) -> list[str]:
    leaks = []
    for text in texts:
        for number in set(ID_NUMBER.findall(text)) | set(MOBILE.findall(text)):
            if number in secrets:
                leaks.append(f"{where}: {number} in {text[:300]}")
    return leaks


PHOTO_STATUS = "query($id: ID!) { registration(id: $id) { photo { status downloadUrl } } }"


def test_an_upright_photo_with_gps_is_stored_without_any_exif(backend):
    from PIL import Image

    db = backend.database
    unit = make_unit(db)
    admin = make_user(db, role=Role.UNIT_ADMIN, unit=unit)
    record = make_registration(db, unit=unit, exam=make_exam_session(db))
    api = Api(backend.client)
    token = api.login(admin.username, PASSWORD)
    photo = make_photo(gps=True)  # upright: its image data is kept byte for byte, its metadata is not
    sent = Image.open(io.BytesIO(photo))
    assert sent.getexif().get_ifd(0x8825), "the test photo carries GPS"

    body = post_files(api, token, PHOTO, {"r": str(record.id), "f": None},
                      {"variables.f": (f"{record.id_number}.jpg", photo, "image/jpeg")})
    assert body["data"]["uploadPhoto"]["errors"] == [], body
    checked = wait_until(lambda: (p := api.data(PHOTO_STATUS, {"id": str(record.id)}, token=token)["registration"][
        "photo"]) and p["status"] != "PENDING" and p, what="the photo checked")
    assert checked["status"] == "OK", checked
    stored = backend.client.get(checked["downloadUrl"]).content
    assert b"Exif\x00\x00" not in stored and b"GPS" not in stored
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif() and "exif" not in image.info
    assert image.size == sent.size and image.tobytes() == sent.tobytes()
