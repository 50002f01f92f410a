"""What still stops a registration from being submitted: a checklist for frontends.

Computed in bulk (one query each for photos, attachments and sessions) so a page
of 100 records costs the same as one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.clock import now
from app.documents.models import Attachment, AttachmentCategory, CheckStatus, Photo
from app.errors import ErrorCode
from app.exams.models import ExamSession
from app.registrations.fields import DATA_KEYS
from app.registrations.models import PersonnelNature, Registration, RegistrationStatus
from app.registrations.rules import clean_registration

REQUIRED_CATEGORIES: dict[AttachmentCategory, str] = {
    AttachmentCategory.ESTABLISHMENT_PLAN: "三定方案",
    AttachmentCategory.POWER_LIST: "权责清单",
    AttachmentCategory.EMPLOYMENT_PROOF: "在编在职证明",
}
SUBMITTABLE = (RegistrationStatus.DRAFT, RegistrationStatus.RETURNED)


@dataclass(frozen=True)
class Blocker:
    code: ErrorCode
    message: str
    field: str | None = None


def blockers_for(session: Session, registrations: Iterable[Registration]) -> dict[int, list[Blocker]]:
    records = list(registrations)
    if not records:
        return {}
    ids = [r.id for r in records]
    photos = {p.registration_id: p for p in session.exec(select(Photo).where(col(Photo.registration_id).in_(ids)))}
    pairs = {(r.session_id, r.unit_id) for r in records}
    ok_categories: dict[tuple[int, int], set[AttachmentCategory]] = defaultdict(set)
    for session_id, unit_id, category in session.exec(
        select(Attachment.session_id, Attachment.unit_id, Attachment.category).where(
            Attachment.status == CheckStatus.OK,
            col(Attachment.session_id).in_({p[0] for p in pairs}),
            col(Attachment.unit_id).in_({p[1] for p in pairs}),
        )
    ):
        ok_categories[(session_id, unit_id)].add(category)
    sessions = {e.id: e for e in session.exec(
        select(ExamSession).where(col(ExamSession.id).in_({r.session_id for r in records})))}
    moment = now()
    return {
        r.id: _blockers(r, photos.get(r.id), ok_categories[(r.session_id, r.unit_id)], sessions[r.session_id], moment)
        for r in records
    }


def _blockers(record: Registration, photo: Photo | None, categories: set[AttachmentCategory],
              exam: ExamSession, moment) -> list[Blocker]:  # noqa: ANN001
    found: list[Blocker] = []
    if record.status not in SUBMITTABLE:
        return found  # already submitted: nothing to check off
    cleaned = clean_registration({key: getattr(record, key) for key in DATA_KEYS})
    found += [Blocker(p.code, p.message, p.field) for p in cleaned.problems]
    if photo is None:
        found.append(Blocker(ErrorCode.PHOTO_MISSING, "尚未上传电子照片（身份证号码.jpg）", "photo"))
    elif photo.status == CheckStatus.PENDING:
        found.append(Blocker(ErrorCode.PHOTO_MISSING, "电子照片正在检查，请稍后再提交", "photo"))
    elif photo.status == CheckStatus.REJECTED:
        reasons = "；".join(p.get("message", "") for p in (photo.problems or []))
        found.append(Blocker(ErrorCode.PHOTO_REJECTED, f"电子照片不符合要求：{reasons}，请重新上传", "photo"))
    for category, label in REQUIRED_CATEGORIES.items():
        if category not in categories:
            found.append(Blocker(ErrorCode.ATTACHMENT_MISSING, f"本单位尚未上传{label}（PDF），请在“证明材料”中上传",
                                 "attachments"))
    if record.personnel_nature == PersonnelNature.ENTRUSTED and AttachmentCategory.DELEGATION_LETTER not in categories:
        found.append(Blocker(ErrorCode.ATTACHMENT_MISSING, "人员性质为受委托，本单位须上传委托书（PDF）", "attachments"))
    if not exam.is_open(moment):
        found.append(Blocker(ErrorCode.WINDOW_CLOSED, f"“{exam.name}”不在报名时间内，不能提交", "sessionId"))
    return found
