"""服务咨询电话 for a user's own region, falling back to the region's line."""

from __future__ import annotations

from sqlmodel import Session, select

from app.contacts.models import ServiceContact
from app.divisions.models import REGION_CODE
from app.divisions.service import get_division


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
