"""Append-only history of every registration transition."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.models_base import enum_column, timestamp
from app.registrations.models import RegistrationStatus


class ReviewActionKind(StrEnum):
    CREATE = "CREATE"
    EDIT = "EDIT"
    SUBMIT = "SUBMIT"
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    REQUEST_ROLLBACK = "REQUEST_ROLLBACK"
    GRANT_ROLLBACK = "GRANT_ROLLBACK"
    DENY_ROLLBACK = "DENY_ROLLBACK"
    OPEN_TRAINING = "OPEN_TRAINING"


class ReviewAction(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", index=True, ondelete="CASCADE")
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_role: str | None = Field(default=None, max_length=32)
    action: ReviewActionKind = enum_column(ReviewActionKind, name="review_action_kind")
    from_status: RegistrationStatus | None = enum_column(
        RegistrationStatus, name="review_from_status", nullable=True
    )
    to_status: RegistrationStatus = enum_column(RegistrationStatus, name="review_to_status")
    comment: str | None = Field(default=None, max_length=1000)
    at: datetime = timestamp(index=True)
