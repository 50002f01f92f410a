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
        sent = service.sweep_pending_checks(session, older_than=timedelta(minutes=5))
    assert sent == {"attachments": 1, "photos": 1}  # the fresh upload's message may still be on its way

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
