"""服务咨询电话 for a user's own region, falling back to the region's line."""

from __future__ import annotations

from sqlmodel import Session, select

from app.accounts.models import User
from app.auth.permissions import require_operator
from app.contacts.models import ServiceContact
from app.divisions.models import REGION_CODE
from app.divisions.service import get_division
from app.errors import AppError, ErrorCode, NotFound


def service_contacts(session: Session, *, division_code: str | None) -> list[ServiceContact]:
    """The hotline of `division_code`'s city, then the region's; all when no code is given."""
    if division_code is None:
        return list(session.exec(select(ServiceContact).order_by(ServiceContact.division_code)))
    division = get_division(session, division_code)
    wanted = [c for c in (division.city_code, REGION_CODE) if c]
    contacts = {c.division_code: c for c in session.exec(
        select(ServiceContact).where(ServiceContact.division_code.in_(wanted))
    )}
    return [contacts[c] for c in wanted if c in contacts]


def update_service_contact(
    session: Session,
    *,
    user: User,
    division_code: str,
    label: str | None = None,
    hotline: str | None = None,
    supervision_phone: str | None = None,
    service_hours: str | None = None,
) -> ServiceContact:
    """Operators publish or correct a region's hotline; an empty hotline un-publishes it."""
    require_operator(user)
    contact = session.exec(select(ServiceContact).where(ServiceContact.division_code == division_code)).first()
    if contact is None:
        raise NotFound("服务咨询电话", "divisionCode")
    for field, value, limit in (("label", label, 100), ("hotline", hotline, 100),
                                ("supervision_phone", supervision_phone, 30), ("service_hours", service_hours, 100)):
        if value is None:
            continue
        value = value.strip()
        if len(value) > limit:
            raise AppError(ErrorCode.TOO_LONG, f"内容不能超过{limit}个字", _api_name(field))
        if not value and field != "hotline":
            raise AppError(ErrorCode.REQUIRED, "内容不能为空", _api_name(field))
        setattr(contact, field, value or None)
    session.add(contact)
    return contact


def _api_name(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)
