"""A check whose broker message was lost is sent again by the periodic sweep and then done once."""

from __future__ import annotations

from datetime import timedelta

from app.clock import now
from app.documents import service
from app.documents.models import Attachment, AttachmentCategory, CheckStatus, Photo
from app.storage import storage_for
from tests.documents.support import make_pdf, make_photo, wait_until
from tests.factories import make_exam_session, make_registration, make_unit


def test_pending_checks_left_behind_are_sent_again(backend):
    db = backend.database
    storage = storage_for(backend.settings)
    unit = make_unit(db)
    exam = make_exam_session(db)
    record = make_registration(db, unit=unit, exam=exam)
    photo_file = storage.put(make_photo(), folder=service.PHOTO_FOLDER, suffix=service.JPG_SUFFIX)
    pdf_file = storage.put(make_pdf(pages=3), folder=service.ATTACHMENT_FOLDER, suffix=service.PDF_SUFFIX)
    an_hour_ago = now() - timedelta(hours=1)
    # rows written as an upload writes them, but whose messages never reached a worker
    with db.transaction() as session:
        lost_photo = Photo(registration_id=record.id, file_name="p.jpg", content_hash=photo_file.sha256,
                           size=photo_file.size, status=CheckStatus.PENDING, created_at=an_hour_ago)
        lost_pdf = Attachment(session_id=exam.id, unit_id=unit.id, category=AttachmentCategory.POWER_LIST,
                              file_name="权责清单.pdf", content_hash=pdf_file.sha256, size=pdf_file.size,
                              status=CheckStatus.PENDING, created_at=an_hour_ago)
        session.add_all([lost_photo, lost_pdf])
        fresh = Attachment(session_id=exam.id, unit_id=unit.id, category=AttachmentCategory.OTHER, file_name="x.pdf",
                           content_hash="f" * 64, size=1, status=CheckStatus.PENDING)
        session.add(fresh)

    with db.transaction() as session:
        sent = service.sweep_pending_checks(session, older_than=timedelta(minutes=5), max_attempts=3)
    assert sent == {"attachments": 1, "photos": 1, "given_up": 0}  # the fresh upload's message may still be on its way

    def checked():  # noqa: ANN202
        with db.session() as session:
            photo, attachment = session.get(Photo, lost_photo.id), session.get(Attachment, lost_pdf.id)
            done = photo.status != CheckStatus.PENDING and attachment.status != CheckStatus.PENDING
            return (photo, attachment) if done else None

    photo, attachment = wait_until(checked, what="swept checks")
    assert photo.status == CheckStatus.OK and photo.content_hash != photo_file.sha256  # stored without metadata
    assert attachment.status == CheckStatus.OK and attachment.pages == 3
    # sending the same checks again changes nothing: the rows are no longer PENDING
    service.check_photo(db, storage, photo.id)
    service.check_attachment(db, storage, attachment.id)
    with db.session() as session:
        assert session.get(Photo, photo.id).content_hash == photo.content_hash


def test_a_photo_batch_run_again_after_its_worker_died_gives_the_same_outcome(backend):
    import sqlalchemy as sa
    from sqlmodel import select

    from app.accounts.models import Role
    from app.documents import batch
    from app.jobs import Job, JobStatus
    from tests.api import Api
    from tests.documents.support import make_zip, post_files
    from tests.factories import PASSWORD, make_user

    db = backend.database
    storage = storage_for(backend.settings)
    unit = make_unit(db)
    exam = make_exam_session(db)
    admin = make_user(db, role=Role.UNIT_ADMIN, unit=unit)
    records = [make_registration(db, unit=unit, exam=exam) for _ in range(3)]
    api = Api(backend.client)
    token = api.login(admin.username, PASSWORD)
    archive = make_zip([(f"{r.id_number}.jpg", make_photo()) for r in records])
    body = post_files(api, token, "mutation($s: ID!, $f: [Upload!]!) { uploadPhotos(sessionId: $s, files: $f) { job { id } } }",
                      {"s": str(exam.id), "f": [None]}, {"variables.f.0": ("p.zip", archive, "application/zip")})
    job_id = int(body["data"]["uploadPhotos"]["job"]["id"])

    def finished():  # noqa: ANN202
        with db.session() as session:
            job = session.get(Job, job_id)
            return job if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) else None

    first = wait_until(finished, what="the batch")
    # as the job sweeper does for a worker that died mid-batch: back to QUEUED, and run again
    with db.transaction() as session:
        session.execute(sa.update(Job).where(Job.id == job_id).values(status=JobStatus.QUEUED))
    kept = storage.put(archive, folder=batch.INPUT_FOLDER, suffix=".zip")  # the first run dropped its upload
    assert kept.key == first.options["files"][0]["key"]
    batch.run_photo_batch(db, storage, job_id)
    with db.session() as session:
        again = session.get(Job, job_id)
        photos = session.exec(select(Photo)).all()
    assert again.status == JobStatus.SUCCEEDED and again.attempts == first.attempts + 1
    assert [p["outcome"] for p in again.result["photos"]] == ["ATTACHED"] * 3 == \
        [p["outcome"] for p in first.result["photos"]]
    assert sorted(p.registration_id for p in photos) == sorted(r.id for r in records)
