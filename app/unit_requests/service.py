"""单位注册 and 管理员变更申请: filed by units, decided by operators within 2 working days."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.accounts.service import NewUser, create_account, unit_admin_username
from app.audit import service as audit
from app.audit.models import AuditEventCode
from app.auth import rate_limits
from app.auth.passwords import hash_password
from app.auth.permissions import require_operator, require_unit_admin
from app.auth.tokens import revoke_all_tokens
from app.calendar.service import unit_request_due
from app.clock import now
from app.divisions.models import DivisionLevel
from app.divisions.service import get_division
from app.errors import AppError, ErrorCode, FieldProblem, NotFound, ValidationFailed
from app.pagination import Page, paginate
from app.registrations.rules import MOBILE, birth_date_of, halfwidth, id_number_problem, normalise_id_number
from app.settings import Settings
from app.sms.service import queue_sms
from app.sms.templates import SmsTemplate
from app.unit_requests.models import UnitRequest, UnitRequestKind, UnitRequestStatus
from app.units.models import Unit, UnitLevel
from app.units.service import NewUnit, add_unit, credit_code_problem

KIND_LABELS = {UnitRequestKind.NEW_UNIT: "单位注册", UnitRequestKind.ADMIN_CHANGE: "管理员变更",
               UnitRequestKind.UNIT_RENAME: "单位名称变更"}
LEVEL_OF_DIVISION = {DivisionLevel.REGION: UnitLevel.REGION, DivisionLevel.CITY: UnitLevel.CITY,
                     DivisionLevel.COUNTY: UnitLevel.COUNTY}
# Unambiguous characters: no 0/O or 1/l/I to misread in an SMS.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ"
PASSWORD_DIGITS = "23456789"


@dataclass(frozen=True)
class AdminDetails:
    name: str
    birth_date: date | None
    id_number: str
    phone: str


def apply_unit_registration(
    session: Session, *, settings: Settings, unit_name: str, credit_code: str, division_code: str,
    admin: AdminDetails,
) -> UnitRequest:
    """No sign-in: a new unit asks to be registered, with its administrator. Limited per address."""
    rate_limits.check(settings, rate_limits.Limited.UNIT_APPLICATION, session.info.get(audit.CLIENT_ADDRESS))
    problems: list[FieldProblem] = []
    name = (unit_name or "").strip()
    if not name or len(name) > 100:
        problems.append(FieldProblem(ErrorCode.REQUIRED, "请填写单位全称（不超过100个字）", "unitName"))
    code = (halfwidth(credit_code) or "").upper()
    if problem := credit_code_problem(code):
        problems.append(FieldProblem(ErrorCode.INVALID_CREDIT_CODE, problem, "creditCode"))
    elif session.exec(select(Unit.id).where(Unit.credit_code == code)).first():
        problems.append(FieldProblem(ErrorCode.DUPLICATE, "该统一社会信用代码的单位已在系统中；更换管理员请由原管理员登录后申请变更",
                                     "creditCode"))
    elif session.exec(select(UnitRequest.id).where(UnitRequest.credit_code == code,
                                                   UnitRequest.status == UnitRequestStatus.PENDING)).first():
        problems.append(FieldProblem(ErrorCode.DUPLICATE, "该单位的注册申请正在审核中，请等待短信通知", "creditCode"))
    admin_problems, admin = _check_admin(admin)
    problems += admin_problems
    division = None
    try:
        division = get_division(session, division_code)
    except AppError as error:
        problems += error.problems
    if problems:
        raise ValidationFailed(problems)
    request = _file(session, UnitRequest(kind=UnitRequestKind.NEW_UNIT, unit_name=name, credit_code=code,
                                         division_code=division.code, **_admin_fields(admin)))
    audit.record(session, event=AuditEventCode.UNIT_APPLICATION_FILED, username=admin.name,
                 target_type="unit_request", target_id=request.id)
    return request


def request_admin_change(
    session: Session, *, user: User, admin: AdminDetails | None, new_unit_name: str | None
) -> UnitRequest:
    """The current administrator asks to hand over the account and/or rename the unit."""
    require_unit_admin(user)
    unit = session.get(Unit, user.unit_id)
    new_name = (new_unit_name or "").strip() or None
    if admin is None and new_name is None:
        raise AppError(ErrorCode.REQUIRED, "请填写新管理员信息或新的单位名称", "admin")
    problems: list[FieldProblem] = []
    if new_name is not None and (len(new_name) > 100 or new_name == unit.name):
        problems.append(FieldProblem(ErrorCode.INVALID, "新的单位名称须与原名称不同，且不超过100个字", "newUnitName"))
    if admin is not None:
        admin_problems, admin = _check_admin(admin)
        problems += admin_problems
    if session.exec(select(UnitRequest.id).where(UnitRequest.unit_id == unit.id,
                                                 UnitRequest.status == UnitRequestStatus.PENDING)).first():
        problems.append(FieldProblem(ErrorCode.DUPLICATE, "本单位已有一项申请正在审核中，请等待审核结果", None))
    if problems:
        raise ValidationFailed(problems)
    kind = UnitRequestKind.ADMIN_CHANGE if admin is not None else UnitRequestKind.UNIT_RENAME
    request = _file(session, UnitRequest(
        kind=kind, unit_id=unit.id, unit_name=unit.name, new_unit_name=new_name, credit_code=unit.credit_code,
        division_code=unit.division_code, requested_by=user.id,
        **(_admin_fields(admin) if admin else {"admin_phone": user.mobile}),
    ))
    audit.record(session, event=AuditEventCode.ADMIN_CHANGE_REQUESTED, user=user, target_type="unit_request",
                 target_id=request.id, details=kind.value)
    return request


def review_unit_request(
    session: Session, *, settings: Settings, user: User, request_id: int, approve: bool, comment: str | None,
    supervisor_id: int | None = None,
) -> UnitRequest:
    require_operator(user)
    request = session.get(UnitRequest, request_id)
    if request is None:
        raise NotFound("申请")
    comment = (comment or "").strip() or None
    if not approve and comment is None:
        raise AppError(ErrorCode.COMMENT_REQUIRED, "请填写不通过的原因，将以短信告知申请人", "comment")
    claimed = session.execute(
        sa.update(UnitRequest)
        .where(UnitRequest.id == request.id, UnitRequest.status == UnitRequestStatus.PENDING)
        .values(status=UnitRequestStatus.APPROVED if approve else UnitRequestStatus.REJECTED,
                decided_at=now(), decided_by=user.id, comment=comment)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise AppError(ErrorCode.INVALID_STATE, "该申请已经审核过了")
    session.refresh(request)
    audit.record(session, event=AuditEventCode.UNIT_REQUEST_APPROVED if approve else AuditEventCode.UNIT_REQUEST_REJECTED,
                 user=user, target_type="unit_request", target_id=request.id, details=request.kind.value)
    label = KIND_LABELS[request.kind]
    if not approve:
        _text(session, request, SmsTemplate.UNIT_REQUEST_REJECTED,
              {"unit": request.unit_name, "kind": label, "reason": comment})
        return request
    match request.kind:
        case UnitRequestKind.NEW_UNIT:
            division = get_division(session, request.division_code)
            unit = add_unit(session, new=NewUnit(
                name=request.unit_name, credit_code=request.credit_code, division_code=division.code,
                level=LEVEL_OF_DIVISION[division.level], supervisor_id=supervisor_id))
            request.unit_id = unit.id
            username, password = _new_admin(session, settings, request, unit, actor=user)
            _text(session, request, SmsTemplate.UNIT_REGISTERED,
                  {"unit": unit.name, "username": username, "password": password})
        case UnitRequestKind.ADMIN_CHANGE:
            unit = session.get(Unit, request.unit_id)
            _retire_admin(session, unit, actor=user)
            if request.new_unit_name:
                unit.name = request.new_unit_name
                session.add(unit)
            username, password = _new_admin(session, settings, request, unit, actor=user)
            _text(session, request, SmsTemplate.ADMIN_CHANGED,
                  {"unit": unit.name, "username": username, "password": password})
        case UnitRequestKind.UNIT_RENAME:
            unit = session.get(Unit, request.unit_id)
            unit.name = request.new_unit_name
            session.add(unit)
            _text(session, request, SmsTemplate.UNIT_REQUEST_APPROVED,
                  {"unit": unit.name, "kind": label, "detail": f"单位名称已变更为“{unit.name}”。"})
    session.add(request)
    return request


def list_unit_requests(
    session: Session, *, user: User, status: UnitRequestStatus | None, first: int | None, after: str | None
) -> Page[UnitRequest]:
    """Operators see every request; a unit administrator the requests of their unit."""
    if user.role == Role.UNIT_ADMIN:
        conditions = [UnitRequest.unit_id == user.unit_id]
    else:
        require_operator(user)
        conditions = []
    if status is not None:
        conditions.append(UnitRequest.status == status)
    return paginate(session, UnitRequest, kind="unitRequest", conditions=conditions, first=first, after=after)


def one_time_password() -> str:
    """Meets the password rule (letters and digits); the account must change it at first sign-in."""
    letters = [secrets.choice(PASSWORD_ALPHABET) for _ in range(6)]
    digits = [secrets.choice(PASSWORD_DIGITS) for _ in range(4)]
    mixed = letters + digits
    secrets.SystemRandom().shuffle(mixed)
    return "".join(mixed)


def _check_admin(admin: AdminDetails) -> tuple[list[FieldProblem], AdminDetails]:
    problems: list[FieldProblem] = []
    name = (admin.name or "").strip()
    if not name or len(name) > 50:
        problems.append(FieldProblem(ErrorCode.REQUIRED, "请填写管理员姓名", "adminName"))
    id_number = normalise_id_number(admin.id_number)
    if problem := id_number_problem(id_number):
        problems.append(FieldProblem(ErrorCode.INVALID_ID_NUMBER, problem, "adminIdNumber"))
    elif admin.birth_date is not None and birth_date_of(id_number) != admin.birth_date:
        problems.append(FieldProblem(ErrorCode.ID_NUMBER_MISMATCH, "出生日期与身份证号码不一致，请核对",
                                     "adminBirthDate"))
    phone = halfwidth((admin.phone or "").strip())
    if not phone or not MOBILE.fullmatch(phone):
        problems.append(FieldProblem(ErrorCode.INVALID_PHONE, "请填写管理员本人的11位手机号码，用于接收审核结果短信",
                                     "adminPhone"))
    return problems, AdminDetails(name=name, birth_date=admin.birth_date, id_number=id_number or "", phone=phone or "")


def _admin_fields(admin: AdminDetails) -> dict:
    return {"admin_name": admin.name, "admin_birth_date": birth_date_of(admin.id_number),
            "admin_id_number": admin.id_number, "admin_phone": admin.phone}


def _file(session: Session, request: UnitRequest) -> UnitRequest:
    request.status = UnitRequestStatus.PENDING
    request.submitted_at = now()
    request.due_at = unit_request_due(session, request.submitted_at)
    session.add(request)
    session.flush()
    return request


def _retire_admin(session: Session, unit: Unit, *, actor: User) -> None:
    """The old administrator loses access at once."""
    for old in session.exec(select(User).where(User.unit_id == unit.id, User.role == Role.UNIT_ADMIN,
                                               User.is_active.is_(True))):
        old.is_active = False
        session.add(old)
        audit.record(session, event=AuditEventCode.ACCOUNT_DEACTIVATED, user=actor, target_type="user",
                     target_id=old.id)
        revoke_all_tokens(session, old.id)
    session.flush()


def _new_admin(
    session: Session, settings: Settings, request: UnitRequest, unit: Unit, *, actor: User
) -> tuple[str, str]:
    username = unit_admin_username(request.admin_name, request.admin_birth_date)
    existing = session.exec(select(User).where(User.username == username)).first()
    if existing is not None and existing.is_active and existing.unit_id != unit.id:
        raise AppError(ErrorCode.DUPLICATE, f"用户名“{username}”已被其他单位的管理员使用，请联系客服处理")
    password = one_time_password()
    if existing is not None:
        existing.unit_id, existing.is_active, existing.role = unit.id, True, Role.UNIT_ADMIN
        existing.password_hash, existing.must_change_password = hash_password(password), True
        existing.mobile, existing.failed_logins, existing.locked_until = request.admin_phone, 0, None
        session.add(existing)
        session.flush()
        audit.record(session, event=AuditEventCode.ROLE_CHANGED, user=actor, target_type="user",
                     target_id=existing.id, details=f"{Role.UNIT_ADMIN.value} unit {unit.id}")
        return username, password
    created = create_account(session, settings=settings, new=NewUser(
        role=Role.UNIT_ADMIN, name=request.admin_name, unit_id=unit.id, id_number=request.admin_id_number,
        mobile=request.admin_phone, password=password, must_change_password=True))
    audit.record(session, event=AuditEventCode.ACCOUNT_CREATED, user=actor, target_type="user",
                 target_id=created.id, details=f"{Role.UNIT_ADMIN.value} unit {unit.id}")
    return username, password


def _text(session: Session, request: UnitRequest, template: SmsTemplate, params: dict[str, str]) -> None:
    if request.admin_phone:
        queue_sms(session, phone=request.admin_phone, template=template, params=params,
                  subject=("unitRequest", request.id))
