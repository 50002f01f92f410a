"""The approved candidates of a session, handed to the training company to create accounts."""

from __future__ import annotations

from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.auth.permissions import require_role
from app.downloads import BUILDERS, Download
from app.exams.models import ExamSession
from app.exams.service import get_exam_session
from app.registrations.choices import EXAM_TYPE_LABELS, GENDER_LABELS, PERSONNEL_NATURE_LABELS
from app.registrations.models import Registration, RegistrationStatus
from app.registrations.workflow import STATUS_LABELS
from app.settings import Settings
from app.spreadsheets import workbook_bytes
from app.units.models import Unit

KIND = "training-candidates"
HEADERS = ["序号", "姓名", "性别", "身份证号码", "手机号码", "工作单位", "执法门类", "报考类型", "原执法证号",
           "人员性质", "状态"]
WIDTHS = [6, 10, 6, 22, 14, 36, 14, 10, 16, 10, 12]


def authorize(session: Session, user: User, session_id: int) -> ExamSession:
    require_role(user, Role.TRAINING_OPERATOR, Role.SUPERADMIN, message="只有培训机构可以导出开通培训名单")
    return get_exam_session(session, session_id)


def training_candidates(session: Session, user: User, params: dict, settings: Settings) -> Download:
    exam = authorize(session, user, int(params["session_id"]))
    rows = session.exec(
        select(Registration, Unit.name)
        .join(Unit, Unit.id == Registration.unit_id)
        .where(Registration.session_id == exam.id,
               Registration.status.in_([RegistrationStatus.APPROVED, RegistrationStatus.TRAINING_OPENED]))
        .order_by(Unit.name, Registration.id)
    )
    content = workbook_bytes("开通培训名单", HEADERS, (
        (n, r.name, GENDER_LABELS[r.gender], r.id_number, r.phone, unit_name, r.enforcement_field,
         EXAM_TYPE_LABELS[r.exam_type], r.certificate_number or "", PERSONNEL_NATURE_LABELS[r.personnel_nature],
         STATUS_LABELS[r.status])
        for n, (r, unit_name) in enumerate(rows, start=1)
    ), widths=WIDTHS)
    return Download(f"{exam.name}-终审通过名单.xlsx", content,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


BUILDERS[KIND] = training_candidates
