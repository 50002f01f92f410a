"""Users, their roles and their sign-in tokens."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models_base import enum_column, timestamp


class Role(StrEnum):
    UNIT_ADMIN = "UNIT_ADMIN"
    COUNTY_REVIEWER = "COUNTY_REVIEWER"
    CITY_REVIEWER = "CITY_REVIEWER"
    DEPT_REVIEWER = "DEPT_REVIEWER"
    REGION_REVIEWER = "REGION_REVIEWER"
    TRAINING_OPERATOR = "TRAINING_OPERATOR"
    SUPERADMIN = "SUPERADMIN"


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=255)
    role: Role = enum_column(Role, name="user_role")
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    division_code: str | None = Field(default=None, foreign_key="division.code", index=True)
    # 个人资料
    name: str = Field(max_length=50)
    birth_date: date | None = None
    id_number: str | None = Field(default=None, max_length=18)
    mobile: str | None = Field(default=None, max_length=11)
    office_phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=100)
    # sign-in state
    must_change_password: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = timestamp(nullable=True)
    is_active: bool = Field(default=True)
    created_at: datetime = timestamp()
    password_changed_at: datetime | None = timestamp(nullable=True)

    __table_args__ = (
        sa.CheckConstraint("failed_logins >= 0", name="ck_app_user_failed_logins"),
        # One active administrator per unit; a change of admin deactivates the old one.
        sa.Index(
            "uq_app_user_one_unit_admin",
            "unit_id",
            unique=True,
            sqlite_where=sa.text("role = 'UNIT_ADMIN' AND is_active"),
            postgresql_where=sa.text("role = 'UNIT_ADMIN' AND is_active"),
        ),
    )


class AuthToken(SQLModel, table=True):
    """A bearer token, stored only as its SHA-256 so a database leak reveals none."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = timestamp()
    expires_at: datetime = timestamp()
    # Touched at most once a minute; a token unused for TOKEN_IDLE_MINUTES is refused.
    last_used_at: datetime | None = timestamp(nullable=True)
    revoked_at: datetime | None = timestamp(nullable=True)
