"""报名信息: one candidate in one exam session."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models_base import enum_column, timestamp
from app.registrations.kinds import ExamType, Gender, PersonnelNature


class RegistrationStatus(StrEnum):
    DRAFT = "DRAFT"
    PENDING_INITIAL = "PENDING_INITIAL"
    PENDING_FINAL = "PENDING_FINAL"
    RETURNED = "RETURNED"
    APPROVED = "APPROVED"
    ROLLBACK_REQUESTED = "ROLLBACK_REQUESTED"
    TRAINING_OPENED = "TRAINING_OPENED"


class RegistrationData(SQLModel):
    """The template's data fields, as entered one by one or imported."""

    name: str = Field(max_length=50)
    gender: Gender = enum_column(Gender, name="gender")
    ethnicity: str = Field(max_length=20)
    id_number: str = Field(max_length=18)
    political_status: str | None = Field(default=None, max_length=20)
    education: str = Field(max_length=20)
    major: str | None = Field(default=None, max_length=100)
    phone: str = Field(max_length=11)
    position: str | None = Field(default=None, max_length=100)
    enforcement_field: str = Field(max_length=30)
    exam_type: ExamType = enum_column(ExamType, name="exam_type")
    certificate_number: str | None = Field(default=None, max_length=50)
    personnel_nature: PersonnelNature = enum_column(PersonnelNature, name="personnel_nature")
    work_start_date: date | None = None
    remarks: str | None = Field(default=None, max_length=500)


class Registration(RegistrationData, table=True):
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="examsession.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    status: RegistrationStatus = enum_column(
        RegistrationStatus, name="registration_status", index=True
    )
    rollback_used: bool = Field(default=False)
    submitted_at: datetime | None = timestamp(nullable=True)
    due_at: datetime | None = timestamp(nullable=True)
    # Last reminder sent to the reviewers about this record's deadline.
    reminded_at: datetime | None = timestamp(nullable=True)
    # Who created the record and when: the first entry of its history (`history` in app/registrations/service.py).
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp()
    imported: bool = Field(default=False)  # created by a spreadsheet import, not entered one by one
    updated_at: datetime = timestamp()
    # Bumped on every change; conditional updates use it so races lose cleanly.
    version: int = Field(default=1)

    __table_args__ = (
        sa.UniqueConstraint("session_id", "id_number", name="uq_registration_session_id_number"),
        sa.Index("ix_registration_session_unit_status", "session_id", "unit_id", "status"),
    )
