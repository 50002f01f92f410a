"""Use cases for proof PDFs and ID photos: upload, list, delete, and the background checks.

An upload is checked at once for what is cheap (type, size, name; for photos also
pixels and dpi from the header), stored under its content hash and recorded as
PENDING; a worker then runs the checks that cost time and records OK or REJECTED
with every reason. Checks are idempotent: a verdict is written only while the row
is still PENDING with the same content, so a re-upload or a redelivered message
cannot overwrite a newer file's verdict.

A worker counts its attempt in the row, committed before it reads the file, so
a file that takes the worker process down still counts; the sweeper sends a
lost check again only while it has attempts left and otherwise rejects it, so
such a file ends REJECTED instead of being re-sent forever.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.auth.permissions import require_unit_admin
from app.auth.scope import owned_by_visible_unit
from app.clock import now
from app.db import Database, after_commit
from app.documents import pdf_rules, photo_rules
from app.documents.models import Attachment, AttachmentCategory, CheckStatus, Photo
from app.documents.problems import Problem
from app.errors import AppError, ErrorCode, FieldProblem, NotFound, ValidationFailed
from app.exams.service import get_exam_session, require_window_open
from app.jobs import enqueue
from app.registrations.blockers import REQUIRED_CATEGORIES
from app.registrations.models import Registration, RegistrationStatus
from app.registrations.service import get_registration
from app.registrations.workflow import PENDING_REVIEW, status_after_edit
from app.reviews.models import ReviewAction, ReviewActionKind
from app.storage import Storage, StoredFile
from app.storage.base import key_for

CHECK_ATTACHMENT_ACTOR = "check_attachment"
CHECK_PHOTO_ACTOR = "check_photo"
ATTACHMENT_FOLDER, PDF_SUFFIX = "attachments", ".pdf"
PHOTO_FOLDER, JPG_SUFFIX = "photos", ".jpg"
MAX_ATTACHMENTS = 50  # per unit and session
MAX_PHOTO_UPLOAD_BYTES = 20 * 1024 * 1024  # read this much to report the real size; the rule is 1 MB
CATEGORY_LABELS: dict[AttachmentCategory, str] = {
    **REQUIRED_CATEGORIES, AttachmentCategory.DELEGATION_LETTER: "委托书", AttachmentCategory.OTHER: "其他材料",
}
# Payload error codes for the rules checked at once.
ERROR_CODE_FOR: dict[str, ErrorCode] = {
    photo_rules.PhotoProblemCode.NOT_JPEG: ErrorCode.WRONG_FILE_TYPE,
    photo_rules.PhotoProblemCode.UNREADABLE: ErrorCode.BAD_FILE,
    photo_rules.PhotoProblemCode.TOO_MANY_PIXELS: ErrorCode.BAD_FILE,
    photo_rules.PhotoProblemCode.FILE_TOO_SMALL: ErrorCode.FILE_TOO_SMALL,
    photo_rules.PhotoProblemCode.FILE_TOO_LARGE: ErrorCode.FILE_TOO_LARGE,
    photo_rules.PhotoProblemCode.TOO_FEW_PIXELS: ErrorCode.TOO_FEW_PIXELS,
    photo_rules.PhotoProblemCode.NO_DPI: ErrorCode.LOW_RESOLUTION,
    photo_rules.PhotoProblemCode.LOW_DPI: ErrorCode.LOW_RESOLUTION,
    photo_rules.PhotoProblemCode.WRONG_FILE_NAME: ErrorCode.WRONG_FILE_NAME,
    pdf_rules.PdfProblemCode.NOT_PDF: ErrorCode.WRONG_FILE_TYPE,
    pdf_rules.PdfProblemCode.FILE_TOO_LARGE: ErrorCode.FILE_TOO_LARGE,
}


def attachment_key(attachment: Attachment) -> str:
    return key_for(ATTACHMENT_FOLDER, attachment.content_hash, PDF_SUFFIX)


def photo_key(photo: Photo) -> str:
    return key_for(PHOTO_FOLDER, photo.content_hash, JPG_SUFFIX)


# ---- proof PDFs ----------------------------------------------------------------------------------


def upload_attachment(session: Session, *, user: User, storage: Storage, session_id: int,
                      category: AttachmentCategory, file_name: str, data: bytes) -> Attachment:
    require_unit_admin(user)
    require_window_open(get_exam_session(session, session_id))
    _refuse(pdf_rules.quick_problems(data))
    count = session.exec(select(sa.func.count()).select_from(Attachment).where(
        Attachment.session_id == session_id, Attachment.unit_id == user.unit_id)).one()
    if count >= MAX_ATTACHMENTS:
        raise AppError(ErrorCode.INVALID, f"本单位本次考试已上传 {count} 份证明材料，最多 {MAX_ATTACHMENTS} 份，请先删除不需要的",
                       "file")
    stored = storage.put(data, folder=ATTACHMENT_FOLDER, suffix=PDF_SUFFIX)
    attachment = Attachment(
        session_id=session_id, unit_id=user.unit_id, category=category,
        file_name=_display_name(file_name, f"{CATEGORY_LABELS[category]}.pdf"), content_hash=stored.sha256,
        size=stored.size, status=CheckStatus.PENDING, uploaded_by=user.id,
    )
    session.add(attachment)
    session.flush()
    enqueue(session, CHECK_ATTACHMENT_ACTOR, attachment_id=attachment.id)
    return attachment


def list_attachments(session: Session, *, user: User, session_id: int, unit_id: int | None) -> list[Attachment]:
    """A unit's proof PDFs for a session; unit administrators see their own unit's."""
    if unit_id is None:
        if user.role != Role.UNIT_ADMIN:
            raise AppError(ErrorCode.REQUIRED, "请选择要查看的单位", "unitId")
        unit_id = user.unit_id
    return list(session.exec(
        select(Attachment)
        .where(Attachment.session_id == session_id, Attachment.unit_id == unit_id,
               owned_by_visible_unit(Attachment.unit_id, user))
        .order_by(Attachment.category, Attachment.created_at, Attachment.id)
    ))


def get_attachment(session: Session, *, user: User, attachment_id: int) -> Attachment:
    found = session.exec(select(Attachment).where(
        Attachment.id == attachment_id, owned_by_visible_unit(Attachment.unit_id, user))).first()
    if found is None:
        raise NotFound("证明材料")
    return found


def delete_attachment(session: Session, *, user: User, storage: Storage, attachment_id: int) -> int:
    require_unit_admin(user)
    attachment = get_attachment(session, user=user, attachment_id=attachment_id)
    require_window_open(get_exam_session(session, attachment.session_id))
    if attachment.status == CheckStatus.OK and _last_proof_under_review(session, attachment):
        raise AppError(
            ErrorCode.INVALID_STATE,
            f"本单位已有报名信息在审核中或已通过，这是唯一一份合格的{CATEGORY_LABELS[attachment.category]}，"
            "请先上传新的文件并通过检查后再删除", "id")
    session.delete(attachment)
    session.flush()
    _forget_file(session, storage, Attachment, ATTACHMENT_FOLDER, PDF_SUFFIX, attachment.content_hash)
    return attachment_id


def check_attachment(database: Database, storage: Storage, attachment_id: int, *,
                     seconds: float = pdf_rules.CHECK_SECONDS) -> None:
    """The worker's PDF check; runs the parser in a child process with a time limit."""
    attachment = claim_check(database, Attachment, attachment_id)
    if attachment is None:
        return  # deleted, already checked (a redelivered message), or out of attempts
    content_hash, key = attachment.content_hash, attachment_key(attachment)
    try:
        data = storage.read(key)
    except FileNotFoundError:
        facts = pdf_rules.PdfFacts(problems=[_missing_file()])
    else:
        facts = pdf_rules.check_isolated(data, seconds=seconds)
    with database.transaction() as session:
        session.execute(
            sa.update(Attachment)
            .where(Attachment.id == attachment_id, Attachment.status == CheckStatus.PENDING,
                   Attachment.content_hash == content_hash)
            .values(status=CheckStatus.OK if facts.ok else CheckStatus.REJECTED, pages=facts.pages,
                    problems=[p.as_dict() for p in facts.problems])
            .execution_options(synchronize_session=False))


def _last_proof_under_review(session: Session, attachment: Attachment) -> bool:
    if attachment.category not in REQUIRED_CATEGORIES and attachment.category != AttachmentCategory.DELEGATION_LETTER:
        return False
    others = session.exec(select(sa.func.count()).select_from(Attachment).where(
        Attachment.session_id == attachment.session_id, Attachment.unit_id == attachment.unit_id,
        Attachment.category == attachment.category, Attachment.status == CheckStatus.OK,
        Attachment.id != attachment.id)).one()
    if others:
        return False
    reviewed = (*PENDING_REVIEW, RegistrationStatus.APPROVED, RegistrationStatus.TRAINING_OPENED)
    return session.exec(select(Registration.id).where(
        Registration.session_id == attachment.session_id, Registration.unit_id == attachment.unit_id,
        col(Registration.status).in_(reviewed)).limit(1)).first() is not None


# ---- ID photos -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoVerdict:
    """A photo checked in full and, when it passed, stored upright and without EXIF."""

    facts: photo_rules.PhotoFacts
    stored: StoredFile | None  # the file kept for the registration (OK photos only)


def upload_photo(session: Session, *, user: User, storage: Storage, registration_id: int, file_name: str,
                 data: bytes) -> Photo:
    """Replace a registration's photo; the full check (decode, white background) follows in a worker."""
    require_unit_admin(user)
    registration = get_registration(session, user=user, registration_id=registration_id)
    require_window_open(get_exam_session(session, registration.session_id))
    status_after_edit(registration.status)  # refuses records no longer editable
    header = photo_rules.read_header(data)
    name_problem = photo_rules.check_file_name(file_name, registration.id_number)
    _refuse([*header.problems, *([name_problem] if name_problem else [])])
    stored = storage.put(data, folder=PHOTO_FOLDER, suffix=JPG_SUFFIX)
    photo = attach_photo(session, storage=storage, user=user, registration=registration,
                         file_name=photo_rules.base_name(file_name), stored=stored, facts=header,
                         status=CheckStatus.PENDING)
    enqueue(session, CHECK_PHOTO_ACTOR, photo_id=photo.id)
    return photo


def verdict_for(storage: Storage, data: bytes) -> PhotoVerdict:
    """Every photo rule; a passing photo is stored as kept (upright, metadata stripped)."""
    facts = photo_rules.inspect_photo(data)
    if not facts.ok:
        return PhotoVerdict(facts, None)
    clean = photo_rules.upright_jpeg(data, facts)
    return PhotoVerdict(facts, storage.put(clean, folder=PHOTO_FOLDER, suffix=JPG_SUFFIX))


def check_photo(database: Database, storage: Storage, photo_id: int) -> None:
    """The worker's full check of a single upload."""
    photo = claim_check(database, Photo, photo_id)
    if photo is None:
        return  # deleted, already checked (a redelivered message), or out of attempts
    uploaded_hash, key = photo.content_hash, photo_key(photo)
    try:
        verdict = verdict_for(storage, storage.read(key))
    except FileNotFoundError:
        verdict = PhotoVerdict(photo_rules.PhotoFacts(size=0, problems=[_missing_file()]), None)
    facts, stored = verdict.facts, verdict.stored
    with database.transaction() as session:
        values = dict(status=CheckStatus.OK if stored else CheckStatus.REJECTED,
                      problems=[p.as_dict() for p in facts.problems], width=facts.width, height=facts.height,
                      dpi=facts.dpi)
        if stored is not None:
            values.update(content_hash=stored.sha256, size=stored.size)
        changed = session.execute(
            sa.update(Photo).where(Photo.id == photo_id, Photo.status == CheckStatus.PENDING,
                                   Photo.content_hash == uploaded_hash)
            .values(**values).execution_options(synchronize_session=False))
        if changed.rowcount == 1 and stored is not None and stored.sha256 != uploaded_hash:
            _forget_file(session, storage, Photo, PHOTO_FOLDER, JPG_SUFFIX, uploaded_hash)


def attach_photo(session: Session, *, storage: Storage, user: User, registration: Registration, file_name: str,
                 stored: StoredFile, facts: photo_rules.PhotoFacts, status: CheckStatus) -> Photo:
    """Make `stored` the registration's photo (insert or replace), as an edit of the record."""
    existing = session.exec(select(Photo).where(Photo.registration_id == registration.id)).first()
    photo = place_photo(session, storage=storage, user=user, registration=registration, file_name=file_name,
                        stored=stored, facts=facts, status=status, existing=existing)
    try:
        with session.begin_nested():
            session.flush([photo])
    except IntegrityError as exc:  # another upload for the same record won the race
        raise AppError(ErrorCode.CONFLICT, "这条报名信息的照片刚刚被另一次上传更换，请刷新后查看", "file") from exc
    return photo


def place_photo(session: Session, *, storage: Storage, user: User, registration: Registration, file_name: str,
                stored: StoredFile, facts: photo_rules.PhotoFacts, status: CheckStatus,
                existing: Photo | None) -> Photo:
    """The photo row for `stored`, added to the session but not flushed: batches flush many at once.

    `existing` is the record's current photo, if any (batches load them in bulk).
    """
    _record_photo_change(session, user=user, registration=registration)
    photo = existing
    if photo is None:
        photo = Photo(registration_id=registration.id, file_name=file_name, content_hash=stored.sha256,
                      size=stored.size, status=status)
    replaced = existing.content_hash if existing is not None else None
    photo.file_name, photo.content_hash, photo.size, photo.status = file_name, stored.sha256, stored.size, status
    photo.check_attempts, photo.check_claimed_at = 0, None  # a new file gets its own attempts
    photo.width, photo.height, photo.dpi = facts.width, facts.height, facts.dpi
    photo.problems = [p.as_dict() for p in facts.problems] if status == CheckStatus.REJECTED else []
    photo.uploaded_by, photo.created_at = user.id, now()
    session.add(photo)
    if replaced is not None and replaced != stored.sha256:
        _forget_file(session, storage, Photo, PHOTO_FOLDER, JPG_SUFFIX, replaced)
    return photo


def photos_by_registration(session: Session, registration_ids: Iterable[int]) -> dict[int, Photo]:
    ids = list(registration_ids)
    if not ids:
        return {}
    return {p.registration_id: p for p in session.exec(select(Photo).where(col(Photo.registration_id).in_(ids)))}


def get_photo(session: Session, *, user: User, registration_id: int) -> tuple[Registration, Photo]:
    registration = get_registration(session, user=user, registration_id=registration_id)
    photo = session.exec(select(Photo).where(Photo.registration_id == registration.id)).first()
    if photo is None:
        raise NotFound("电子照片")
    return registration, photo


def _record_photo_change(session: Session, *, user: User, registration: Registration) -> None:
    """A new photo on a record awaiting review is an edit: final review starts over, and it is logged."""
    new_status = status_after_edit(registration.status)
    if registration.status not in PENDING_REVIEW:
        return
    moved = session.execute(
        sa.update(Registration)
        .where(Registration.id == registration.id, Registration.version == registration.version)
        .values(status=new_status, updated_at=now(), version=Registration.version + 1)
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise AppError(ErrorCode.CONFLICT, "这条报名信息刚被修改过，请刷新后重新上传照片", "file")
    old_status = registration.status
    session.refresh(registration)
    session.add(ReviewAction(registration_id=registration.id, actor_id=user.id, actor_role=user.role.value,
                             action=ReviewActionKind.EDIT, from_status=old_status, to_status=new_status,
                             comment="更换电子照片"))


# ---- shared --------------------------------------------------------------------------------------


def claim_check(database: Database, model: type[Attachment] | type[Photo], row_id: int) -> Attachment | Photo | None:
    """Take up a PENDING check: one more attempt, committed before the work starts so that a worker
    that dies on the file still counts. None when the row is gone, checked, or out of attempts."""
    with database.transaction() as session:
        claimed = session.execute(
            sa.update(model)
            .where(model.id == row_id, model.status == CheckStatus.PENDING,
                   model.check_attempts < database.settings.document_check_max_attempts)
            .values(check_attempts=model.check_attempts + 1, check_claimed_at=now())
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            return None
        return session.get(model, row_id)


def sweep_pending_checks(session: Session, *, older_than: timedelta, max_attempts: int) -> dict[str, int]:
    """Send again the checks whose message or worker was lost (a broker restart, a killed worker);
    reject those taken up `max_attempts` times without a verdict: the file stops every worker that checks it.

    A check counts as lost when it was uploaded and last taken up more than `older_than` ago.
    Returns how many checks of each kind were sent again, and how many were given up.
    """
    cutoff = now() - older_than
    counts = {"attachments": 0, "photos": 0, "given_up": 0}
    for model, actor, argument, kind in ((Attachment, CHECK_ATTACHMENT_ACTOR, "attachment_id", "attachments"),
                                         (Photo, CHECK_PHOTO_ACTOR, "photo_id", "photos")):
        lost = sa.and_(model.status == CheckStatus.PENDING, model.created_at < cutoff,
                       sa.or_(model.check_claimed_at.is_(None), model.check_claimed_at < cutoff))
        given_up = session.execute(
            sa.update(model).where(lost, model.check_attempts >= max_attempts)
            .values(status=CheckStatus.REJECTED, problems=[_check_never_finished(model, max_attempts).as_dict()])
            .execution_options(synchronize_session=False))
        counts["given_up"] += given_up.rowcount
        again = session.exec(select(model.id).where(lost, model.check_attempts < max_attempts)
                             .order_by(model.id).limit(500)).all()
        for row_id in again:
            enqueue(session, actor, **{argument: row_id})
        counts[kind] = len(again)
    return counts


def problems_as_field_errors(problems: Iterable[Problem], field: str = "file") -> list[FieldProblem]:
    return [FieldProblem(ERROR_CODE_FOR.get(p.code, ErrorCode.BAD_FILE), p.message, field) for p in problems]


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise ValidationFailed(problems_as_field_errors(problems))


def _check_never_finished(model: type[Attachment] | type[Photo], attempts: int) -> Problem:
    redo = "请用原始照片重新导出 JPG 文件" if model is Photo else "请重新导出或重新扫描成 PDF 文件"
    return Problem("CHECK_NEVER_FINISHED",
                   f"系统已尝试检查这个文件 {attempts} 次，每次都因文件异常而中断，无法完成检查。{redo}后重新上传",
                   f"检查中断 {attempts} 次", "可以正常检查的文件")


def _missing_file() -> Problem:
    return Problem("FILE_MISSING", "文件在服务器上丢失，请重新上传", "文件丢失", "重新上传")


def _display_name(file_name: str, default: str) -> str:
    name = photo_rules.base_name(file_name or "")
    name = "".join(ch for ch in name if ch.isprintable())
    return (name or default)[-255:]


def _forget_file(session: Session, storage: Storage, model: type[Attachment] | type[Photo], folder: str,
                 suffix: str, content_hash: str) -> None:
    """Delete a stored file after commit when no row refers to it any more (files are shared by content)."""
    still_used = session.exec(select(model.id).where(model.content_hash == content_hash).limit(1)).first()
    if still_used is None:
        after_commit(session, lambda: storage.delete(key_for(folder, content_hash, suffix)))
