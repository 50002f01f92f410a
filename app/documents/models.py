"""Proof PDFs per unit and session, and one ID photo per registration."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.models_base import enum_column, json_column, timestamp


class AttachmentCategory(StrEnum):
    ESTABLISHMENT_PLAN = "ESTABLISHMENT_PLAN"  # 三定方案
    POWER_LIST = "POWER_LIST"  # 权责清单
    EMPLOYMENT_PROOF = "EMPLOYMENT_PROOF"  # 在编在职证明
    DELEGATION_LETTER = "DELEGATION_LETTER"  # 委托书
    OTHER = "OTHER"


class CheckStatus(StrEnum):
    PENDING = "PENDING"
    OK = "OK"
    REJECTED = "REJECTED"


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="examsession.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    category: AttachmentCategory = enum_column(AttachmentCategory, name="attachment_category")
    file_name: str = Field(max_length=255)
    content_hash: str = Field(max_length=64)
    size: int
    pages: int | None = None
    status: CheckStatus = enum_column(CheckStatus, name="attachment_status")
    problems: list | None = json_column()
    # Workers that took up the check (counted before the work, so a crash counts too), and the last one's time.
    check_attempts: int = Field(default=0)
    check_claimed_at: datetime | None = timestamp(nullable=True)
    uploaded_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp()


class Photo(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(
        foreign_key="registration.id", unique=True, ondelete="CASCADE"
    )
    file_name: str = Field(max_length=255)
    content_hash: str = Field(max_length=64)
    size: int
    width: int | None = None
    height: int | None = None
    dpi: float | None = None
    status: CheckStatus = enum_column(CheckStatus, name="photo_status")
    problems: list | None = json_column()
    check_attempts: int = Field(default=0)  # as for Attachment; reset when a new file replaces the photo
    check_claimed_at: datetime | None = timestamp(nullable=True)
    uploaded_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp()
