"""Writing audit rows, and the operators' view of them.

`record` writes into the caller's transaction, so an action that is rolled back
leaves no row claiming it succeeded; `record_apart` commits at once, for reads
and failures that have no transaction of their own. There is no update or
delete here, and the database refuses both (migration 0005).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from app.accounts.models import User
from app.audit.models import AuditEvent, AuditEventCode, AuditResult
from app.auth.permissions import require_operator
from app.clock import now
from app.db import writing
from app.errors import ErrorCode
from app.pagination import Page, paginate
from app.registrations.masking import mask_personal_numbers

CLIENT_ADDRESS = "client_address"


def scrub(text: str | None, limit: int) -> str | None:
    """No full ID number or mobile number ever reaches the audit trail, whatever was typed."""
    if text is None:
        return None
    return mask_personal_numbers(text)[:limit]


def record(
    session: Session,
    *,
    event: AuditEventCode,
    user: User | None = None,
    username: str | None = None,
    target_type: str | None = None,
    target_id: int | str | None = None,
    error_code: ErrorCode | None = None,
    details: str | None = None,
) -> None:
    """Add an audit row to the session's transaction; the client address comes from the request
    that opened the session (workers have none)."""
    session.add(_row(session, event=event, user=user, username=username, target_type=target_type,
                     target_id=target_id, error_code=error_code, details=details))


def record_apart(session: Session, **fields) -> None:  # noqa: ANN003
    """Commit an audit row at once in its own transaction, leaving `session`'s untouched."""
    row = _row(session, **fields)
    with Session(session.get_bind(), expire_on_commit=False) as own:
        with writing(own):
            own.add(row)


def _row(
    session: Session,
    *,
    event: AuditEventCode,
    user: User | None = None,
    username: str | None = None,
    target_type: str | None = None,
    target_id: int | str | None = None,
    error_code: ErrorCode | None = None,
    details: str | None = None,
) -> AuditEvent:
    return AuditEvent(
        at=now(),
        user_id=user.id if user is not None else None,
        username=scrub(user.username if user is not None else username, 64),
        event=event.value,
        target_type=target_type,
        target_id=scrub(str(target_id), 64) if target_id is not None else None,
        result=(AuditResult.FAILURE if error_code else AuditResult.SUCCESS).value,
        error_code=error_code.value if error_code else None,
        client_address=session.info.get(CLIENT_ADDRESS),
        details=scrub(details, 500),
    )


@dataclass(frozen=True)
class AuditFilter:
    event: AuditEventCode | None = None
    user_id: int | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_audit_events(
    session: Session, *, user: User, filter: AuditFilter, first: int | None, after: str | None
) -> Page[AuditEvent]:
    require_operator(user)
    conditions: list[sa.ColumnElement[bool]] = []
    if filter.event is not None:
        conditions.append(AuditEvent.event == filter.event.value)
    if filter.user_id is not None:
        conditions.append(AuditEvent.user_id == filter.user_id)
    if filter.target_type is not None:
        conditions.append(AuditEvent.target_type == filter.target_type)
    if filter.target_id is not None:
        conditions.append(AuditEvent.target_id == filter.target_id)
    if filter.since is not None:
        conditions.append(AuditEvent.at >= filter.since)
    if filter.until is not None:
        conditions.append(AuditEvent.at < filter.until)
    return paginate(session, AuditEvent, kind="AuditEvent", conditions=conditions, first=first, after=after)
