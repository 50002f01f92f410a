"""单位注册 / 管理员变更 / 单位更名: requests reviewed by operators within 2 working days."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.models_base import enum_column, timestamp


class UnitRequestKind(StrEnum):
    NEW_UNIT = "NEW_UNIT"
    ADMIN_CHANGE = "ADMIN_CHANGE"
    UNIT_RENAME = "UNIT_RENAME"


class UnitRequestStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class UnitRequest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: UnitRequestKind = enum_column(UnitRequestKind, name="unit_request_kind")
    status: UnitRequestStatus = enum_column(UnitRequestStatus, name="unit_request_status", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    unit_name: str = Field(max_length=100)
    # For UNIT_RENAME: the name asked for.
    new_unit_name: str | None = Field(default=None, max_length=100)
    credit_code: str = Field(max_length=18)
    division_code: str = Field(foreign_key="division.code")
    admin_name: str | None = Field(default=None, max_length=50)
    admin_birth_date: date | None = None
    admin_id_number: str | None = Field(default=None, max_length=18)
    admin_phone: str | None = Field(default=None, max_length=11)
    requested_by: int | None = Field(default=None, foreign_key="app_user.id")
    submitted_at: datetime = timestamp()
    due_at: datetime | None = timestamp(nullable=True)
    decided_at: datetime | None = timestamp(nullable=True)
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    comment: str | None = Field(default=None, max_length=1000)
    reminded_at: datetime | None = timestamp(nullable=True)
