"""Reading the division tree."""

from __future__ import annotations

from sqlmodel import Session, select

from app.divisions.models import REGION_CODE, Division
from app.errors import NotFound


def list_divisions(session: Session, *, parent_code: str | None) -> list[Division]:
    """Children of `parent_code`; with none, the region itself."""
    if parent_code is None:
        return list(session.exec(select(Division).where(Division.code == REGION_CODE)))
    return list(session.exec(select(Division).where(Division.parent_code == parent_code).order_by(Division.code)))


def get_division(session: Session, code: str, *, field: str = "divisionCode") -> Division:
    division = session.get(Division, code) if code and len(code) == 6 else None
    if division is None:
        raise NotFound("行政区划", field)
    return division


def divisions_by_code(session: Session, codes: list[str]) -> dict[str, Division]:
    return {d.code: d for d in session.exec(select(Division).where(Division.code.in_(codes)))}
