"""A photo or PDF whose check never finishes (the file takes its worker down) is tried a bounded number
of times, counted in the database, and then rejected with a reason; the sweeper stops sending it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.accounts.models import Role
from app.clock import now
from app.documents import service
from app.documents.models import Attachment, AttachmentCategory, CheckStatus, Photo
from app.storage import storage_for
from tests.documents.support import make_pdf, make_photo, wait_until
from tests.factories import make_exam_session, make_registration, make_unit, make_user

AN_HOUR_AGO = timedelta(hours=1)


def _sweep(db, *, older_than: timedelta, max_attempts: int) -> tuple[dict[str, int], list[tuple[str, dict]]]:  # noqa: ANN001
    """Run the sweeper; the messages it sends are kept here instead of going to the broker."""
    sent: list[tuple[str, dict[str, Any]]] = []
    with db.transaction() as session:
        session.info["sender"] = lambda actor, kwargs: sent.append((actor, kwargs))
        counts = service.sweep_pending_checks(session, older_than=older_than, max_attempts=max_attempts)
    return counts, sent


def _rows(db, model, **ids: int) -> dict[str, Any]:  # noqa: ANN001
    with db.session() as session:
        return {name: session.get(model, row_id) for name, row_id in ids.items()}


def test_the_sweeper_rejects_exhausted_checks_and_sends_the_others(backend):
    db = backend.database
    storage = storage_for(backend.settings)
    unit, exam = make_unit(db), make_exam_session(db)
    records = [make_registration(db, unit=unit, exam=exam) for _ in range(2)]
    pdf = storage.put(make_pdf(pages=1), folder=service.ATTACHMENT_FOLDER, suffix=service.PDF_SUFFIX)
    photo = storage.put(make_photo(), folder=service.PHOTO_FOLDER, suffix=service.JPG_SUFFIX)
    long_ago = now() - AN_HOUR_AGO

    def attachment(attempts: int, claimed) -> Attachment:  # noqa: ANN001
        return Attachment(session_id=exam.id, unit_id=unit.id, category=AttachmentCategory.POWER_LIST,
                          file_name="权责清单.pdf", content_hash=pdf.sha256, size=pdf.size, status=CheckStatus.PENDING,
                          created_at=long_ago, check_attempts=attempts, check_claimed_at=claimed)

    with db.transaction() as session:
        exhausted_pdf, tried_once, in_flight = attachment(3, long_ago), attachment(1, long_ago), attachment(3, now())
        exhausted_photo = Photo(registration_id=records[0].id, file_name="p.jpg", content_hash=photo.sha256,
                                size=photo.size, status=CheckStatus.PENDING, created_at=long_ago, check_attempts=3,
                                check_claimed_at=long_ago)
        session.add_all([exhausted_pdf, tried_once, in_flight, exhausted_photo])

    counts, sent = _sweep(db, older_than=timedelta(minutes=5), max_attempts=3)

    assert counts == {"attachments": 1, "photos": 0, "given_up": 2}
    assert sent == [(service.CHECK_ATTACHMENT_ACTOR, {"attachment_id": tried_once.id})]
    pdfs = _rows(db, Attachment, exhausted=exhausted_pdf.id, tried_once=tried_once.id, in_flight=in_flight.id)
    given_up = [pdfs["exhausted"], _rows(db, Photo, photo=exhausted_photo.id)["photo"]]
    for row in given_up:
        assert row.status == CheckStatus.REJECTED and row.check_attempts == 3
        [problem] = row.problems
        assert problem["code"] == "CHECK_NEVER_FINISHED"
        assert "3 次" in problem["message"] and "重新上传" in problem["message"]
    assert "重新扫描" in given_up[0].problems[0]["message"] and "照片" in given_up[1].problems[0]["message"]
    # the one a worker took up a moment ago may still be running: neither sent again nor given up
    assert pdfs["tried_once"].status == pdfs["in_flight"].status == CheckStatus.PENDING
    # and a duplicate message for it finds no attempt left: the worker does not take it up a fourth time
    assert service.claim_check(db, Attachment, in_flight.id) is None
    assert _rows(db, Attachment, row=in_flight.id)["row"].check_attempts == 3
    # a message still on its way for a rejected check changes nothing, and the next sweep leaves them alone
    service.check_attachment(db, storage, exhausted_pdf.id)
    assert _rows(db, Attachment, row=exhausted_pdf.id)["row"].check_attempts == 3
    counts, sent = _sweep(db, older_than=timedelta(minutes=5), max_attempts=3)
    assert counts["given_up"] == 0 and [m for m in sent if m[1] != {"attachment_id": tried_once.id}] == []


def test_a_check_that_kills_its_worker_every_time_is_rejected_after_the_allowed_attempts(backend):
    """Each message for the poisonous photo is taken up and then abandoned, as by a worker process that
    died on the file; the other checks sent in the same sweeps are done by the real check."""
    db = backend.database
    storage = storage_for(backend.settings)
    max_attempts = backend.settings.document_check_max_attempts
    unit, exam = make_unit(db), make_exam_session(db)
    poisonous, fine = (make_registration(db, unit=unit, exam=exam) for _ in range(2))
    photo = storage.put(make_photo(), folder=service.PHOTO_FOLDER, suffix=service.JPG_SUFFIX)
    pdf = storage.put(make_pdf(pages=2), folder=service.ATTACHMENT_FOLDER, suffix=service.PDF_SUFFIX)
    long_ago = now() - AN_HOUR_AGO
    with db.transaction() as session:  # uploads whose first messages were lost
        rows = [Photo(registration_id=r.id, file_name="p.jpg", content_hash=photo.sha256, size=photo.size,
                      status=CheckStatus.PENDING, created_at=long_ago) for r in (poisonous, fine)]
        rows.append(Attachment(session_id=exam.id, unit_id=unit.id, category=AttachmentCategory.POWER_LIST,
                               file_name="权责清单.pdf", content_hash=pdf.sha256, size=pdf.size,
                               status=CheckStatus.PENDING, created_at=long_ago))
        session.add_all(rows)
    poison_id, fine_photo_id, pdf_id = (r.id for r in rows)

    deaths = 0
    for _ in range(max_attempts + 2):
        _, sent = _sweep(db, older_than=timedelta(0), max_attempts=max_attempts)
        for actor, kwargs in sent:
            if kwargs == {"photo_id": poison_id}:
                assert service.claim_check(db, Photo, poison_id) is not None  # and then the process is gone
                deaths += 1
            elif actor == service.CHECK_PHOTO_ACTOR:
                service.check_photo(db, storage, **kwargs)
            else:
                service.check_attachment(db, storage, **kwargs)

    assert deaths == max_attempts
    poison = _rows(db, Photo, row=poison_id)["row"]
    assert poison.status == CheckStatus.REJECTED and poison.check_attempts == max_attempts
    assert [p["code"] for p in poison.problems] == ["CHECK_NEVER_FINISHED"]
    assert f"{max_attempts} 次" in poison.problems[0]["message"]
    assert service.claim_check(db, Photo, poison_id) is None  # a late redelivery does not try again
    done_photo, done_pdf = _rows(db, Photo, row=fine_photo_id)["row"], _rows(db, Attachment, row=pdf_id)["row"]
    assert done_photo.status == CheckStatus.OK and done_photo.check_attempts == 1
    assert done_pdf.status == CheckStatus.OK and done_pdf.pages == 2 and done_pdf.check_attempts == 1

    # the user uploads the photo again, as the reason asks: the new file gets attempts of its own
    admin = make_user(db, role=Role.UNIT_ADMIN, unit=unit)
    with db.transaction() as session:
        service.upload_photo(session, user=session.merge(admin), storage=storage, registration_id=poisonous.id,
                             file_name=f"{poisonous.id_number}.jpg", data=make_photo())

    def checked():  # noqa: ANN202
        row = _rows(db, Photo, row=poison_id)["row"]
        return row if row.status != CheckStatus.PENDING else None

    again = wait_until(checked, what="the new photo's check")
    assert again.status == CheckStatus.OK and again.check_attempts == 1 and again.problems == []
