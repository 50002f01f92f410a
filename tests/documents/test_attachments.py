"""Proof PDFs through GraphQL: upload, background check, listing, deletion, links, submission blocking."""

from __future__ import annotations

import time

from app.accounts.models import Role
from app.documents.models import Photo
from app.downloads import sign
from app.registrations.models import PersonnelNature, RegistrationStatus
from tests.api import Api
from tests.documents.support import make_pdf, make_photo, post_files, wait_until
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user

UPLOAD = """mutation($s: ID!, $c: AttachmentCategory!, $f: Upload!) {
  uploadAttachment(sessionId: $s, category: $c, file: $f) {
    attachment { id category fileName status } errors { code field message } } }"""
LIST = """query($s: ID!, $u: ID) { attachments(sessionId: $s, unitId: $u) {
  id category fileName size pages status problems { code message measured required } downloadUrl } }"""
DELETE = "mutation($id: ID!) { deleteAttachment(id: $id) { deletedId errors { code message } } }"
BLOCKERS = "query($id: ID!) { registration(id: $id) { blockers { code field message } } }"
SUBMIT = """mutation($ids: [ID!]!) { submitRegistrations(ids: $ids) {
  results { id ok errors { code message } } errors { code } } }"""
REQUIRED = ("ESTABLISHMENT_PLAN", "POWER_LIST", "EMPLOYMENT_PROOF")


def _upload(api: Api, token: str, session_id: int, category: str, data: bytes, name: str = "材料.pdf") -> dict:
    body = post_files(api, token, UPLOAD, {"s": str(session_id), "c": category, "f": None},
                      {"variables.f": (name, data, "application/pdf")})
    assert not body.get("errors"), body
    return body["data"]["uploadAttachment"]


def _checked(api: Api, token: str, session_id: int, unit_id: int | None = None) -> list[dict]:
    def done():  # noqa: ANN202
        found = api.data(LIST, {"s": str(session_id), "u": str(unit_id) if unit_id else None}, token=token)
        listed = found["attachments"]
        return listed if listed and all(a["status"] != "PENDING" for a in listed) else None
    return wait_until(done, what="PDF checks")


def test_proof_pdfs_are_checked_listed_downloaded_and_unblock_submission(backend):
    # given a unit with one staff and one entrusted candidate, each with a checked photo
    db = backend.database
    unit = make_unit(db, division="450102")
    exam = make_exam_session(db)
    admin = make_user(db, role=Role.UNIT_ADMIN, unit=unit)
    api = Api(backend.client)
    token = api.login(admin.username, PASSWORD)
    staff = make_registration(db, unit=unit, exam=exam)
    entrusted = make_registration(db, unit=unit, exam=exam, personnel_nature=PersonnelNature.ENTRUSTED)
    with db.transaction() as session:
        for record in (staff, entrusted):
            session.add(Photo(registration_id=record.id, file_name="p.jpg", content_hash="1" * 64, size=150_000,
                              status="OK"))

    # without proof PDFs submission is refused with each missing category named
    refused = api.data(SUBMIT, {"ids": [str(staff.id)]}, token=token)["submitRegistrations"]["results"][0]
    assert not refused["ok"]
    missing = [e["message"] for e in refused["errors"] if e["code"] == "ATTACHMENT_MISSING"]
    assert len(missing) == 3 and any("三定方案" in m for m in missing)

    # when the three required PDFs and a password-protected letter are uploaded
    for category in REQUIRED:
        queued = _upload(api, token, exam.id, category, make_pdf(pages=2), f"{category}.pdf")
        assert queued["errors"] == [] and queued["attachment"]["status"] == "PENDING"
    _upload(api, token, exam.id, "DELEGATION_LETTER", make_pdf(user_password="secret"), "委托书.pdf")

    # then the worker's verdicts are listed, with the reason for the rejected one
    listed = {a["category"]: a for a in _checked(api, token, exam.id)}
    assert all(listed[c]["status"] == "OK" and listed[c]["pages"] == 2 for c in REQUIRED)
    letter = listed["DELEGATION_LETTER"]
    assert letter["status"] == "REJECTED" and letter["problems"][0]["code"] == "PASSWORD_PROTECTED"
    assert "密码" in letter["problems"][0]["message"]
    # the staff record can be submitted; the entrusted one still needs an accepted delegation letter
    assert not [b for b in api.data(BLOCKERS, {"id": str(staff.id)}, token=token)["registration"]["blockers"]
                if b["code"] == "ATTACHMENT_MISSING"]
    blockers = api.data(BLOCKERS, {"id": str(entrusted.id)}, token=token)["registration"]["blockers"]
    assert [b["message"] for b in blockers] == ["人员性质为受委托，本单位须上传委托书（PDF）"]
    _upload(api, token, exam.id, "DELEGATION_LETTER", make_pdf(owner_password="owner-only"), "委托书.pdf")
    wait_until(lambda: api.data(BLOCKERS, {"id": str(entrusted.id)}, token=token)["registration"]["blockers"] == [],
               what="the delegation letter to be accepted")
    results = api.data(SUBMIT, {"ids": [str(staff.id), str(entrusted.id)]}, token=token)["submitRegistrations"]
    assert [r["ok"] for r in results["results"]] == [True, True]

    # the signed link serves the file to the unit and to its county reviewer, not to another county's
    download = backend.client.get(listed["POWER_LIST"]["downloadUrl"])
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")
    assert "POWER_LIST.pdf" in download.headers["content-disposition"]
    county = make_user(db, role=Role.COUNTY_REVIEWER, division="450102")
    county_token = api.login(county.username, PASSWORD)
    seen = api.data(LIST, {"s": str(exam.id), "u": str(unit.id)}, token=county_token)["attachments"]
    assert backend.client.get(seen[0]["downloadUrl"]).status_code == 200
    other = make_user(db, role=Role.COUNTY_REVIEWER, division="450103")
    other_token = api.login(other.username, PASSWORD)
    assert api.data(LIST, {"s": str(exam.id), "u": str(unit.id)}, token=other_token)["attachments"] == []

    # the only accepted 权责清单 cannot be deleted while records are under review; a rejected file can
    power_list = listed["POWER_LIST"]["id"]
    kept = api.data(DELETE, {"id": power_list}, token=token)["deleteAttachment"]
    assert [e["code"] for e in kept["errors"]] == ["INVALID_STATE"]
    assert api.data(DELETE, {"id": letter["id"]}, token=token)["deleteAttachment"]["deletedId"] == letter["id"]


def test_links_are_rechecked_when_used_and_expire(backend):
    db = backend.database
    exam = make_exam_session(db)
    mine, theirs = make_unit(db), make_unit(db)
    admin = make_user(db, role=Role.UNIT_ADMIN, unit=mine)
    stranger = make_user(db, role=Role.UNIT_ADMIN, unit=theirs)
    api = Api(backend.client)
    token = api.login(admin.username, PASSWORD)
    record = make_registration(db, unit=mine, exam=exam, status=RegistrationStatus.DRAFT)
    body = post_files(api, token, """mutation($r: ID!, $f: Upload!) { uploadPhoto(registrationId: $r, file: $f) {
        errors { code } } }""", {"r": str(record.id), "f": None},
                      {"variables.f": (f"{record.id_number}.jpg", make_photo(), "image/jpeg")})
    assert body["data"]["uploadPhoto"]["errors"] == []
    _upload(api, token, exam.id, "OTHER", make_pdf())
    attachment = _checked(api, token, exam.id)[0]
    secret = backend.settings.secret_key

    # a link made for another unit's administrator (forged with the real key) finds nothing
    for kind, params in (("attachment", {"attachment_id": int(attachment["id"])}),
                         ("photo", {"registration_id": record.id, "hash": "x"})):
        forged = backend.client.get(f"/downloads/{sign(secret, kind=kind, user_id=stranger.id, params=params)}")
        assert forged.status_code == 404
    # the stranger does not see the list either
    stranger_token = api.login(stranger.username, PASSWORD)
    assert api.data(LIST, {"s": str(exam.id), "u": str(mine.id)}, token=stranger_token)["attachments"] == []

    # an expired link is refused with a message that says what to do
    expired = sign(secret, kind="attachment", user_id=admin.id, params={"attachment_id": int(attachment["id"])},
                   seconds=-1)
    answer = backend.client.get(f"/downloads/{expired}")
    assert answer.status_code == 404 and "已过期" in answer.text
    # a tampered link is refused
    assert backend.client.get(attachment["downloadUrl"][:-2] + "00").status_code == 404
    # a photo link dies when the photo is replaced
    photo_url = wait_until(lambda: api.data(
        """query($id: ID!) { registration(id: $id) { photo { status downloadUrl } } }""", {"id": str(record.id)},
        token=token)["registration"]["photo"], what="photo")["downloadUrl"]
    assert backend.client.get(photo_url).status_code == 200
    time.sleep(0.01)
    post_files(api, token, """mutation($r: ID!, $f: Upload!) { uploadPhoto(registrationId: $r, file: $f) {
        errors { code } } }""", {"r": str(record.id), "f": None},
               {"variables.f": (f"{record.id_number}.jpg", make_photo(width=420), "image/jpeg")})
    assert backend.client.get(photo_url).status_code == 404


def test_files_that_are_not_pdfs_are_refused_at_once(backend):
    db = backend.database
    exam = make_exam_session(db)
    admin = make_user(db, role=Role.UNIT_ADMIN, unit=make_unit(db))
    api = Api(backend.client)
    token = api.login(admin.username, PASSWORD)
    refused = _upload(api, token, exam.id, "POWER_LIST", b"PK\x03\x04 a Word document renamed .pdf", "权责清单.pdf")
    assert [e["code"] for e in refused["errors"]] == ["WRONG_FILE_TYPE"]
    assert "不是 PDF" in refused["errors"][0]["message"]
    big = _upload(api, token, exam.id, "POWER_LIST", b"%PDF-1.7\n" + b"0" * (20 * 1024 * 1024), "big.pdf")
    assert [e["code"] for e in big["errors"]] == ["FILE_TOO_LARGE"] and "20MB" in big["errors"][0]["message"]
    assert api.data(LIST, {"s": str(exam.id)}, token=token)["attachments"] == []
