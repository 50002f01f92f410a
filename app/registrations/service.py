"""Use cases for one-by-one registration: create, edit, delete, read, list."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.auth.permissions import require_unit_admin
from app.auth.scope import visible_registrations
from app.clock import now
from app.errors import AppError, ErrorCode, NotFound, ValidationFailed
from app.exams.service import get_exam_session, require_window_open
from app.pagination import Page, paginate
from app.registrations.fields import DATA_KEYS
from app.registrations.models import ExamType, Registration, RegistrationStatus
from app.registrations.rules import clean_registration
from app.registrations.workflow import check_deletable, status_after_edit
from app.reviews.chain import awaiting_review_by
from app.reviews.models import ReviewAction, ReviewActionKind
from app.units.models import Unit

LISTED_ALWAYS = frozenset({"id", "unit_id"})
IMPORTED = "批量导入"  # the comment on the creation of a record a spreadsheet import created
CREATOR_ROLE = Role.UNIT_ADMIN.value  # only unit admins create records


@dataclass(frozen=True)
class RegistrationFilter:
    statuses: tuple[RegistrationStatus, ...] = ()
    unit_id: int | None = None
    exam_type: ExamType | None = None
    search: str | None = None  # name, or (part of) an ID number
    awaiting_my_review: bool = False  # a reviewer's queue
    overdue: bool | None = None


def create_registration(
    session: Session, *, user: User, session_id: int, data: Mapping[str, Any]
) -> Registration:
    require_unit_admin(user)
    exam = get_exam_session(session, session_id)
    require_window_open(exam)
    values = _checked(data)
    _refuse_duplicate(session, session_id=session_id, id_number=values["id_number"], user=user)
    registration = Registration(
        session_id=session_id,
        unit_id=user.unit_id,
        status=RegistrationStatus.DRAFT,
        created_by=user.id,
        **values,
    )
    _insert(session, registration)
    return registration


def update_registration(
    session: Session, *, user: User, registration_id: int, changes: Mapping[str, Any]
) -> Registration:
    require_unit_admin(user)
    registration = get_registration(session, user=user, registration_id=registration_id)
    require_window_open(get_exam_session(session, registration.session_id))
    new_status = status_after_edit(registration.status)
    merged = {key: getattr(registration, key) for key in DATA_KEYS} | dict(changes)
    values = _checked(merged)
    if values["id_number"] != registration.id_number:
        _refuse_duplicate(
            session, session_id=registration.session_id, id_number=values["id_number"], user=user
        )
    result = session.execute(
        sa.update(Registration)
        .where(Registration.id == registration.id, Registration.version == registration.version)
        .values(**values, status=new_status, updated_at=now(), version=Registration.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AppError(ErrorCode.CONFLICT, "这条报名信息刚被修改过，请刷新后重新填写")
    old_status = registration.status
    session.refresh(registration)
    _record(session, registration, user, ReviewActionKind.EDIT, old_status)
    return registration


def delete_registration(session: Session, *, user: User, registration_id: int) -> int:
    require_unit_admin(user)
    registration = get_registration(session, user=user, registration_id=registration_id)
    require_window_open(get_exam_session(session, registration.session_id))
    check_deletable(registration.status)
    result = session.execute(
        sa.delete(Registration).where(
            Registration.id == registration.id, Registration.version == registration.version
        ).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AppError(ErrorCode.CONFLICT, "这条报名信息刚被修改过，请刷新后再删除")
    session.expunge(registration)
    return registration_id


def get_registration(session: Session, *, user: User, registration_id: int) -> Registration:
    """A record the user may see; any other id answers as if it did not exist."""
    registration = session.exec(
        select(Registration).where(Registration.id == registration_id, visible_registrations(user))
    ).first()
    if registration is None:
        raise NotFound("报名信息")
    return registration


def list_registrations(
    session: Session,
    *,
    user: User,
    session_id: int,
    filter: RegistrationFilter | None = None,
    first: int | None = None,
    after: str | None = None,
    columns: Collection[str] | None = None,
    unit_name: bool = False,
) -> Page[Registration]:
    """A page to show: read-only rows with the attributes of Registration, not entities.

    `columns`: the names of the only columns to load (the id and the unit's are always loaded);
    None loads every column. `unit_name`: each row also holds its unit's name as `unit_name`.
    """
    conditions = listed_conditions(user=user, session_id=session_id, filter=filter)
    table = Registration.__table__
    if columns is None:
        chosen = list(table.c)
    else:
        chosen = [table.c.id, table.c.unit_id, *(table.c[name] for name in sorted(set(columns) - LISTED_ALWAYS))]
    selected = sa.select(*chosen)
    if unit_name:
        units = Unit.__table__
        selected = selected.add_columns(units.c.name.label("unit_name")).join(units, units.c.id == table.c.unit_id)
    return paginate(
        session, Registration, kind="registration", conditions=conditions, first=first, after=after, as_rows=True,
        selected=selected,
    )


def listed_conditions(*, user: User, session_id: int, filter: RegistrationFilter | None) -> list[Any]:
    """WHERE conditions for what `registrations(sessionId, filter)` lists; statistics count the same rows."""
    filter = filter or RegistrationFilter()
    conditions = [Registration.session_id == session_id, visible_registrations(user), *_filter_conditions(filter)]
    if filter.awaiting_my_review:
        conditions.append(awaiting_review_by(user))
    return conditions


def overdue() -> ColumnElement[bool]:
    """Still waiting for a review past its deadline (decisions clear `due_at`); see is_overdue."""
    return sa.and_(Registration.due_at.is_not(None), Registration.due_at < now())


def is_overdue(due_at: datetime | None, moment: datetime | None = None) -> bool:
    """`overdue()` for one record in hand, at `moment` (now by default)."""
    return due_at is not None and due_at < (moment or now())


def history(session: Session, registration_ids: list[int]) -> dict[int, list[ReviewAction]]:
    """Each record's history, oldest first: its creation, then every transition (the review actions).

    The creation is the record's own created_by / created_at (an import writes thousands of records
    at once; a history row each would repeat them), shown as the CREATE entry it always was.
    """
    by_registration: dict[int, list[ReviewAction]] = {i: [] for i in registration_ids}
    created = (
        sa.select(Registration.id.label("registration_id"), Registration.created_by.label("actor_id"),
                  sa.case((Registration.imported, IMPORTED), else_=sa.null()).label("comment"),
                  Registration.created_at.label("at"))
        .where(col(Registration.id).in_(registration_ids))
    )
    transitions = select(ReviewAction).where(col(ReviewAction.registration_id).in_(registration_ids))
    for row in session.execute(created):
        by_registration[row.registration_id].append(ReviewAction(
            registration_id=row.registration_id, actor_id=row.actor_id, actor_role=CREATOR_ROLE,
            action=ReviewActionKind.CREATE, from_status=None, to_status=RegistrationStatus.DRAFT,
            comment=row.comment, at=row.at))
    for action in session.exec(transitions.order_by(ReviewAction.at, ReviewAction.id)):
        by_registration[action.registration_id].append(action)
    return by_registration


def _filter_conditions(f: RegistrationFilter) -> list[Any]:
    conditions: list[Any] = []
    if f.statuses:
        conditions.append(col(Registration.status).in_(f.statuses))
    if f.unit_id is not None:
        conditions.append(Registration.unit_id == f.unit_id)
    if f.exam_type is not None:
        conditions.append(Registration.exam_type == f.exam_type)
    if f.overdue is not None:
        late = overdue()
        conditions.append(late if f.overdue else sa.not_(late))
    search = (f.search or "").strip()
    if search:
        if len(search) > 50:
            raise AppError(ErrorCode.TOO_LONG, "搜索内容不能超过50个字", "filter.search")
        escaped = search.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if any(ch.isdigit() for ch in search):
            conditions.append(col(Registration.id_number).like(f"%{escaped}%", escape="\\"))
        else:
            conditions.append(col(Registration.name).like(f"%{escaped}%", escape="\\"))
    return conditions


def _checked(data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = clean_registration(data)
    if cleaned.problems:
        raise ValidationFailed(cleaned.problems)
    return cleaned.values


def _refuse_duplicate(session: Session, *, session_id: int, id_number: str, user: User) -> None:
    existing = session.exec(
        select(Registration.name, Unit.id, Unit.name)
        .join(Unit, Unit.id == Registration.unit_id)
        .where(Registration.session_id == session_id, Registration.id_number == id_number)
    ).first()
    if existing is not None:
        raise _duplicate_error(existing[1] == user.unit_id, existing[0], existing[2])


def _duplicate_error(same_unit: bool, name: str, unit_name: str) -> AppError:
    where = f"本单位（{name}）" if same_unit else f"其他单位（{unit_name}）"
    return AppError(
        ErrorCode.DUPLICATE_ID_NUMBER,
        f"该身份证号码在本次考试中已由{where}报名，同一人每次考试只能报名一次",
        "idNumber",
    )


def _insert(session: Session, registration: Registration) -> None:
    try:
        with session.begin_nested():
            session.add(registration)
    except IntegrityError as exc:  # lost a race against a concurrent registration
        raise AppError(
            ErrorCode.DUPLICATE_ID_NUMBER,
            "该身份证号码在本次考试中刚刚已被报名，同一人每次考试只能报名一次",
            "idNumber",
        ) from exc


def _record(
    session: Session,
    registration: Registration,
    user: User,
    kind: ReviewActionKind,
    from_status: RegistrationStatus | None,
) -> None:
    session.add(
        ReviewAction(
            registration_id=registration.id,
            actor_id=user.id,
            actor_role=user.role.value,
            action=kind,
            from_status=from_status,
            to_status=registration.status,
        )
    )
