"""uploadPhoto and uploadPhotos through GraphQL, on both database/broker pairs."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import select

from app.accounts.models import Role
from app.documents.models import CheckStatus, Photo
from app.registrations.masking import mask_id_number
from app.registrations.models import PersonnelNature, RegistrationStatus
from tests.api import Api
from tests.documents.support import make_photo, make_zip, post_files, wait_until
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user

UPLOAD_PHOTO = """mutation($r: ID!, $f: Upload!) { uploadPhoto(registrationId: $r, file: $f) {
  photo { status problems { code message measured required } fileName }
  registration { id status }
  errors { code field message } } }"""
UPLOAD_PHOTOS = """mutation($s: ID!, $f: [Upload!]!) { uploadPhotos(sessionId: $s, files: $f) {
  job { id status } errors { code field message } } }"""
REGISTRATION = """query($id: ID!) { registration(id: $id) { id status
  photo { status problems { code message measured required } fileName width height dpi downloadUrl }
  blockers { code field message } history { action comment } } }"""
JOB = """query($id: ID!) { job(id: $id) { id kind status total processed error fileName
  rowErrors { row column code message }
  photoResults { index fileName idNumber registrationId outcome problems { code message measured required } } } }"""


def _unit_admin(backend):  # noqa: ANN001, ANN202
    db = backend.database
    unit = make_unit(db)
    admin = make_user(db, role=Role.UNIT_ADMIN, unit=unit)
    api = Api(backend.client)
    return api, api.login(admin.username, PASSWORD), unit


def _upload_photo(api: Api, token: str, registration_id: int, data: bytes, name: str) -> dict:
    body = post_files(api, token, UPLOAD_PHOTO, {"r": str(registration_id), "f": None},
                      {"variables.f": (name, data, "image/jpeg")})
    assert not body.get("errors"), body
    return body["data"]["uploadPhoto"]


def _photo_when_checked(api: Api, token: str, registration_id: int) -> dict:
    def checked():  # noqa: ANN202
        record = api.data(REGISTRATION, {"id": str(registration_id)}, token=token)["registration"]
        return record if record["photo"] and record["photo"]["status"] != "PENDING" else None
    return wait_until(checked, what="photo check")


def _finished(api: Api, token: str, job_id: str) -> dict:
    def done():  # noqa: ANN202
        job = api.data(JOB, {"id": job_id}, token=token)["job"]
        return job if job["status"] in ("SUCCEEDED", "FAILED") else None
    return wait_until(done, what="photo batch")


def test_a_good_photo_is_checked_in_the_background_and_stored_without_exif(backend):
    # given a draft registration and a valid photo with GPS in its EXIF, turned by EXIF orientation
    api, token, unit = _unit_admin(backend)
    exam = make_exam_session(backend.database)
    record = make_registration(backend.database, unit=unit, exam=exam)
    photo = make_photo(width=413, height=531, orientation=6, gps=True)

    # when it is uploaded under the record's ID number
    queued = _upload_photo(api, token, record.id, photo, f"{record.id_number}.jpg")

    # then it is accepted at once as PENDING, and the worker finds it OK
    assert queued["errors"] == [] and queued["photo"]["status"] == "PENDING"
    checked = _photo_when_checked(api, token, record.id)["photo"]
    assert checked["status"] == "OK" and checked["problems"] == []
    assert (checked["width"], checked["height"], checked["dpi"]) == (413, 531, 300)
    # the stored file is upright, without EXIF, and downloads under the ID number through a signed link
    download = backend.client.get(checked["downloadUrl"])
    assert download.status_code == 200 and download.headers["content-type"] == "image/jpeg"
    assert record.id_number in download.headers["content-disposition"]
    stored = Image.open(io.BytesIO(download.content))
    assert stored.size == (413, 531) and not stored.getexif() and stored.info["dpi"] == (300, 300)
    blockers = api.data(REGISTRATION, {"id": str(record.id)}, token=token)["registration"]["blockers"]
    assert not [b for b in blockers if b["field"] == "photo"]


def test_cheap_rules_are_refused_at_once_with_measured_and_required_values(backend):
    api, token, unit = _unit_admin(backend)
    exam = make_exam_session(backend.database)
    record = make_registration(backend.database, unit=unit, exam=exam)

    wrong_name = _upload_photo(api, token, record.id, make_photo(), "photo.jpg")
    assert [e["code"] for e in wrong_name["errors"]] == ["WRONG_FILE_NAME"]
    masked = f"{record.id_number[:4]}{'*' * 10}{record.id_number[-4:]}.jpg"
    assert masked in wrong_name["errors"][0]["message"] and record.id_number not in wrong_name["errors"][0]["message"]

    low = _upload_photo(api, token, record.id, make_photo(dpi=72, width=300, height=400, size=60_000),
                        f"{record.id_number}.jpg")
    messages = {e["code"]: e["message"] for e in low["errors"]}
    assert set(messages) == {"FILE_TOO_SMALL", "TOO_FEW_PIXELS", "LOW_RESOLUTION"}
    assert "分辨率 72 dpi，须不低于 300 dpi" in messages["LOW_RESOLUTION"]
    assert "300×400" in messages["TOO_FEW_PIXELS"] and "402×461" in messages["TOO_FEW_PIXELS"]

    png = io.BytesIO()
    Image.new("RGB", (500, 600), "white").save(png, "PNG")
    not_jpeg = _upload_photo(api, token, record.id, png.getvalue() + b"\0" * 120_000, f"{record.id_number}.jpg")
    assert "WRONG_FILE_TYPE" in [e["code"] for e in not_jpeg["errors"]]
    assert "PNG" in not_jpeg["errors"][0]["message"]
    # nothing was written
    assert api.data(REGISTRATION, {"id": str(record.id)}, token=token)["registration"]["photo"] is None


def test_a_blue_background_is_rejected_by_the_worker_and_blocks_submission(backend):
    api, token, unit = _unit_admin(backend)
    exam = make_exam_session(backend.database)
    record = make_registration(backend.database, unit=unit, exam=exam)

    _upload_photo(api, token, record.id, make_photo(background=(67, 142, 219)), f"{record.id_number}.jpg")

    checked = _photo_when_checked(api, token, record.id)
    assert checked["photo"]["status"] == "REJECTED"
    problem = checked["photo"]["problems"][0]
    assert problem["code"] == "BACKGROUND_NOT_WHITE" and problem["required"] == "≥ 240"
    assert "背景不是白色" in problem["message"]
    assert any(b["code"] == "PHOTO_REJECTED" and "背景不是白色" in b["message"] for b in checked["blockers"])


def test_a_new_photo_on_a_record_awaiting_final_review_sends_it_back_to_initial_review(backend):
    api, token, unit = _unit_admin(backend)
    exam = make_exam_session(backend.database)
    record = make_registration(backend.database, unit=unit, exam=exam, status=RegistrationStatus.PENDING_FINAL)
    approved = make_registration(backend.database, unit=unit, exam=exam, status=RegistrationStatus.APPROVED)

    queued = _upload_photo(api, token, record.id, make_photo(), f"{record.id_number}.jpg")
    assert queued["registration"]["status"] == "PENDING_INITIAL"
    history = api.data(REGISTRATION, {"id": str(record.id)}, token=token)["registration"]["history"]
    assert history[-1] == {"action": "EDIT", "comment": "更换电子照片"}

    refused = _upload_photo(api, token, approved.id, make_photo(), f"{approved.id_number}.jpg")
    assert [e["code"] for e in refused["errors"]] == ["INVALID_STATE"]


def test_a_zip_with_gbk_and_utf8_names_gets_a_verdict_per_photo(backend):
    # given five records and a ZIP in a GBK-named folder (as Windows zips it)
    api, token, unit = _unit_admin(backend)
    db = backend.database
    exam = make_exam_session(db)
    records = [make_registration(db, unit=unit, exam=exam) for _ in range(5)]
    other_unit_record = make_registration(db, unit=make_unit(db), exam=exam)
    good = make_photo()
    entries = [
        (f"照片/{records[0].id_number}.jpg", good),
        (f"照片/{records[1].id_number}.jpg", make_photo(dpi=72)),
        (f"照片/{records[2].id_number}.JPG", good),
        ("照片/张三.jpg", good),
        (f"照片/{other_unit_record.id_number}.jpg", good),  # not this unit's candidate
        (f"照片/{records[3].id_number}.jpg", good),
        (f"照片/重复/{records[3].id_number}.jpg", good),
    ]
    archive = make_zip(entries, gbk=True)

    # when uploaded
    body = post_files(api, token, UPLOAD_PHOTOS, {"s": str(exam.id), "f": [None]},
                      {"variables.f.0": ("照片.zip", archive, "application/zip")})
    job = _finished(api, token, body["data"]["uploadPhotos"]["job"]["id"])

    # then each photo has its verdict, named as the user named it (the ID number in it masked, as in lists)
    assert job["status"] == "SUCCEEDED" and job["total"] == job["processed"] == 7
    outcomes = {r["fileName"]: r["outcome"] for r in job["photoResults"]}
    masked = [mask_id_number(r.id_number) for r in records]
    assert outcomes == {
        f"照片/{masked[0]}.jpg": "ATTACHED",
        f"照片/{masked[1]}.jpg": "REJECTED",
        f"照片/{masked[2]}.JPG": "ATTACHED",
        "照片/张三.jpg": "REJECTED",
        f"照片/{mask_id_number(other_unit_record.id_number)}.jpg": "NO_MATCH",
        f"照片/{masked[3]}.jpg": "DUPLICATE",
        f"照片/重复/{masked[3]}.jpg": "DUPLICATE",
    }
    full_numbers = {r.id_number for r in records} | {other_unit_record.id_number}
    assert not any(number in str(job) for number in full_numbers)
    low = next(r for r in job["photoResults"] if r["outcome"] == "REJECTED" and r["idNumber"])
    assert low["problems"][0]["message"] == "分辨率 72 dpi，须不低于 300 dpi"
    assert any(e["column"] == "照片/张三.jpg" and e["code"] == "WRONG_FILE_NAME" for e in job["rowErrors"])
    with db.session() as session:
        photos = {p.registration_id: p for p in session.exec(select(Photo))}
    assert set(photos) == {records[0].id, records[2].id}
    assert all(p.status == CheckStatus.OK for p in photos.values())


def test_many_files_with_utf8_names_and_a_hostile_zip(backend):
    api, token, unit = _unit_admin(backend)
    db = backend.database
    exam = make_exam_session(db)
    records = [make_registration(db, unit=unit, exam=exam, personnel_nature=PersonnelNature.STAFF) for _ in range(3)]
    files = {f"variables.f.{i}": (f"{r.id_number}.jpg", make_photo(), "image/jpeg") for i, r in enumerate(records)}

    body = post_files(api, token, UPLOAD_PHOTOS, {"s": str(exam.id), "f": [None] * 3}, files)
    job = _finished(api, token, body["data"]["uploadPhotos"]["job"]["id"])
    assert job["status"] == "SUCCEEDED"
    assert [r["outcome"] for r in job["photoResults"]] == ["ATTACHED"] * 3

    # a ZIP whose entry climbs out of its folder is refused as a whole, with the reason
    slip = make_zip([("../../etc/cron.d/x.jpg", make_photo()), (f"{records[0].id_number}.jpg", make_photo())])
    body = post_files(api, token, UPLOAD_PHOTOS, {"s": str(exam.id), "f": [None]},
                      {"variables.f.0": ("photos.zip", slip, "application/zip")})
    job = _finished(api, token, body["data"]["uploadPhotos"]["job"]["id"])
    assert job["status"] == "FAILED" and "../../etc/cron.d/x.jpg" in job["error"] and "不安全的路径" in job["error"]
