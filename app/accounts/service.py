"""Sign-in, passwords, profiles and accounts created by operators."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.audit import service as audit
from app.audit.models import AuditEventCode
from app.auth import rate_limits
from app.auth.passwords import hash_password, new_password_problems, verify_password
from app.auth.permissions import require_operator
from app.auth.tokens import issue_token, revoke_all_tokens, revoke_token
from app.clock import CHINA, now
from app.divisions.models import REGION_CODE, DivisionLevel
from app.divisions.service import get_division
from app.errors import AppError, ErrorCode, FieldProblem, ValidationFailed
from app.registrations.rules import (
    MOBILE,
    birth_date_of,
    halfwidth,
    id_number_problem,
    normalise_id_number,
)
from app.settings import Settings
from app.units.service import get_unit

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
OFFICE_PHONE = re.compile(r"^[0-9\-()（） 转]{5,30}$")
MAX_USERNAME = 64


@dataclass
class LoginResult:
    token: str | None = None
    user: User | None = None
    error: AppError | None = None
    # The existing account a failed attempt was for, if any (for the audit trail only).
    tried: User | None = None


def unit_admin_username(name: str, birth_date: date) -> str:
    """单位管理员用户名 = 姓名 + 出生年月日, e.g. 张三19780509."""
    return f"{name}{birth_date:%Y%m%d}"


def login(session: Session, *, settings: Settings, username: str, password: str) -> LoginResult:
    """Never raises for bad credentials: failure counts and the audit row must be committed."""
    result = _attempt(session, settings=settings, username=(username or "").strip(), password=password or "")
    account = result.user or result.tried
    audit.record(session, event=AuditEventCode.LOGIN, user=account,
                 username=None if account else (username or "")[:MAX_USERNAME] or None,
                 target_type="user", target_id=account.id if account else None,
                 error_code=result.error.code if result.error else None)
    return result


def _attempt(session: Session, *, settings: Settings, username: str, password: str) -> LoginResult:
    try:
        rate_limits.check(settings, rate_limits.Limited.LOGIN, session.info.get(audit.CLIENT_ADDRESS))
    except AppError as error:
        return LoginResult(error=error)
    if not username or len(username) > MAX_USERNAME or len(password) > 1024:
        verify_password(None, password)
        return LoginResult(error=_bad_credentials())
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.is_active:
        verify_password(None, password)
        return LoginResult(error=_bad_credentials())
    if user.locked_until is not None and user.locked_until > now():
        return LoginResult(error=_locked(user), tried=user)
    if not verify_password(user.password_hash, password):
        return LoginResult(error=_count_failure(session, user, settings), tried=user)
    if not _clear_failures(session, user):
        return LoginResult(error=_locked(user), tried=user)
    return LoginResult(token=issue_token(session, user, ttl_hours=settings.token_ttl_hours), user=user)


def logout(session: Session, *, token: str) -> None:
    revoke_token(session, token)


def change_password(
    session: Session, *, settings: Settings, user: User, old_password: str, new_password: str, token: str | None
) -> User:
    if not verify_password(user.password_hash, old_password or ""):
        raise AppError(ErrorCode.WRONG_PASSWORD, "原密码不正确，请重新输入", "oldPassword")
    problems = new_password_problems(
        new_password or "", username=user.username, initial_password=settings.initial_password
    )
    if new_password == old_password:
        problems.append(FieldProblem(ErrorCode.WEAK_PASSWORD, "新密码不能与原密码相同", "newPassword"))
    if problems:
        raise ValidationFailed(problems)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.password_changed_at = now()
    session.add(user)
    revoke_all_tokens(session, user.id, keep=token)
    audit.record(session, event=AuditEventCode.PASSWORD_CHANGED, user=user, target_type="user", target_id=user.id)
    return user


def update_profile(
    session: Session,
    *,
    user: User,
    mobile: str | None = None,
    office_phone: str | None = None,
    email: str | None = None,
) -> User:
    """The user's own 个人资料; name, birth date and ID number change only by request."""
    problems: list[FieldProblem] = []
    if mobile is not None:
        mobile = halfwidth(mobile.strip()) or None
        if mobile is not None and not MOBILE.fullmatch(mobile):
            problems.append(FieldProblem(ErrorCode.INVALID_PHONE, "手机号码应为以1开头的11位数字，用于接收短信通知", "mobile"))
        user.mobile = mobile
    if office_phone is not None:
        office_phone = office_phone.strip() or None
        if office_phone is not None and not OFFICE_PHONE.fullmatch(office_phone):
            problems.append(FieldProblem(ErrorCode.INVALID_PHONE, "办公电话格式不正确，如0771-5770807", "officePhone"))
        user.office_phone = office_phone
    if email is not None:
        email = email.strip() or None
        if email is not None and (len(email) > 100 or not EMAIL.fullmatch(email)):
            problems.append(FieldProblem(ErrorCode.INVALID, "电子邮箱格式不正确，如name@example.com", "email"))
        user.email = email
    if problems:
        raise ValidationFailed(problems)
    session.add(user)
    changed = [name for name, value in (("mobile", mobile), ("officePhone", office_phone), ("email", email))
               if value is not None]
    audit.record(session, event=AuditEventCode.PROFILE_CHANGED, user=user, target_type="user", target_id=user.id,
                 details=",".join(changed))
    return user


@dataclass(frozen=True)
class NewUser:
    role: Role
    name: str
    username: str | None = None
    unit_id: int | None = None
    division_code: str | None = None
    id_number: str | None = None
    mobile: str | None = None
    password: str | None = None
    # None: only accounts given the initial password must change it; True forces it (one-time passwords).
    must_change_password: bool | None = None


def create_user(session: Session, *, settings: Settings, user: User, new: NewUser) -> User:
    require_operator(user)
    created = create_account(session, settings=settings, new=new)
    audit.record(session, event=AuditEventCode.ACCOUNT_CREATED, user=user, target_type="user", target_id=created.id,
                 details=created.role.value)
    return created


def create_account(session: Session, *, settings: Settings, new: NewUser) -> User:
    """Create an account; unit admins get 姓名+出生日期 as username and the initial password."""
    name = (new.name or "").strip()
    if not name or len(name) > 50:
        raise AppError(ErrorCode.REQUIRED, "姓名不能为空，且不超过50个字", "name")
    unit_id, division_code = _binding(session, new)
    id_number = normalise_id_number(new.id_number) if new.id_number else None
    birth = None
    if id_number:
        if problem := id_number_problem(id_number):
            raise AppError(ErrorCode.INVALID_ID_NUMBER, problem, "idNumber")
        birth = birth_date_of(id_number)
    if new.role == Role.UNIT_ADMIN:
        if birth is None:
            raise AppError(ErrorCode.REQUIRED, "单位管理员须填写身份证号码，用户名由姓名和出生日期组成", "idNumber")
        username = unit_admin_username(name, birth)
    else:
        username = (new.username or "").strip()
        if not re.fullmatch(r"[\w\u3400-\u9fff.\-]{3,64}", username):
            raise AppError(ErrorCode.INVALID, "用户名须为3至64位的字母、数字、汉字、“.”或“-”", "username")
    password = new.password or settings.initial_password
    if new.password:
        if problems := new_password_problems(password, username=username, initial_password=settings.initial_password):
            raise ValidationFailed([FieldProblem(p.code, p.message, "password") for p in problems])
    mobile = halfwidth(new.mobile.strip()) if new.mobile else None
    if mobile and not MOBILE.fullmatch(mobile):
        raise AppError(ErrorCode.INVALID_PHONE, "手机号码应为以1开头的11位数字", "mobile")
    account = User(
        username=username,
        password_hash=hash_password(password),
        role=new.role,
        unit_id=unit_id,
        division_code=division_code,
        name=name,
        birth_date=birth,
        id_number=id_number,
        mobile=mobile,
        must_change_password=new.password is None if new.must_change_password is None else new.must_change_password,
    )
    try:
        with session.begin_nested():
            session.add(account)
    except IntegrityError as exc:
        raise _account_conflict(session, username, unit_id) from exc
    return account


def create_superuser(session: Session, *, username: str, password: str, settings: Settings) -> User:
    """For the CLI: creates (or resets) an operator account with a chosen password."""
    problems = new_password_problems(password, username=username, initial_password=settings.initial_password)
    if problems:
        raise ValidationFailed(problems)
    existing = session.exec(select(User).where(User.username == username)).first()
    if existing is not None:
        existing.role, existing.is_active = Role.SUPERADMIN, True
        existing.password_hash = hash_password(password)
        existing.must_change_password, existing.failed_logins, existing.locked_until = False, 0, None
        session.add(existing)
        session.flush()
        audit.record(session, event=AuditEventCode.ROLE_CHANGED, username="examreg create-superuser",
                     target_type="user", target_id=existing.id, details=Role.SUPERADMIN.value)
        return existing
    created = create_account(
        session,
        settings=settings,
        new=NewUser(role=Role.SUPERADMIN, name=username, username=username, password=password),
    )
    audit.record(session, event=AuditEventCode.ACCOUNT_CREATED, username="examreg create-superuser",
                 target_type="user", target_id=created.id, details=Role.SUPERADMIN.value)
    return created


def _binding(session: Session, new: NewUser) -> tuple[int | None, str | None]:
    """The unit or division an account is bound to, checked against its role."""
    match new.role:
        case Role.UNIT_ADMIN | Role.DEPT_REVIEWER:
            if new.unit_id is None:
                raise AppError(ErrorCode.REQUIRED, "请选择该账号所属单位", "unitId")
            unit = get_unit(session, new.unit_id)
            if new.role == Role.DEPT_REVIEWER and not unit.is_department:
                raise AppError(ErrorCode.INVALID, f"“{unit.name}”不是负责初审的主管部门", "unitId")
            return unit.id, unit.division_code
        case Role.COUNTY_REVIEWER | Role.CITY_REVIEWER:
            level = DivisionLevel.COUNTY if new.role == Role.COUNTY_REVIEWER else DivisionLevel.CITY
            division = get_division(session, new.division_code or "")
            if division.level != level:
                word = "县（市、区）" if level == DivisionLevel.COUNTY else "设区的市"
                raise AppError(ErrorCode.INVALID, f"该角色须绑定到{word}，“{division.name}”不是", "divisionCode")
            return None, division.code
    return None, REGION_CODE


def _account_conflict(session: Session, username: str, unit_id: int | None) -> AppError:
    if session.exec(select(User.id).where(User.username == username)).first():
        return AppError(ErrorCode.DUPLICATE, f"用户名“{username}”已存在", "username")
    return AppError(ErrorCode.DUPLICATE, "该单位已有单位管理员；更换管理员请通过“管理员变更申请”", "unitId")


def _count_failure(session: Session, user: User, settings: Settings) -> AppError:
    """One atomic UPDATE counts the failure and locks at the limit, and only while the account is
    not locked: concurrent wrong guesses (aliases, batches, parallel requests) each count once, the
    one that reaches the limit locks, and those that arrive later count for nothing."""
    moment = now()
    reaches_limit = User.failed_logins + 1 >= settings.login_max_failures
    counted = session.execute(
        sa.update(User)
        .where(User.id == user.id, _not_locked(moment))
        .values(
            failed_logins=sa.case((reaches_limit, 0), else_=User.failed_logins + 1),
            locked_until=sa.case(
                (reaches_limit, moment + timedelta(minutes=settings.login_lock_minutes)), else_=None),
        )
        .returning(User.failed_logins, User.locked_until)
        .execution_options(synchronize_session=False)
    ).first()
    if counted is None:  # another attempt locked it meanwhile
        session.refresh(user)
        return _locked(user)
    user.failed_logins, user.locked_until = counted
    return _locked(user) if user.locked_until else _bad_credentials()


def _clear_failures(session: Session, user: User) -> bool:
    """The right password resets the count, unless a concurrent wrong one has just locked the account."""
    cleared = session.execute(
        sa.update(User).where(User.id == user.id, _not_locked(now()))
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    session.refresh(user)
    return cleared.rowcount == 1


def _not_locked(moment: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(User.locked_until.is_(None), User.locked_until <= moment)


def _bad_credentials() -> AppError:
    return AppError(ErrorCode.INVALID_CREDENTIALS, "用户名或密码错误。单位管理员用户名为“姓名+出生年月日”，如张三19780509")


def _locked(user: User) -> AppError:
    until = user.locked_until.astimezone(CHINA)
    return AppError(ErrorCode.ACCOUNT_LOCKED, f"密码连续输错次数过多，账号已锁定，请于{until:%H:%M}后再试")


def users_by_id(session: Session, ids: list[int]) -> dict[int, User]:
    return {u.id: u for u in session.exec(select(User).where(User.id.in_(ids)))}
