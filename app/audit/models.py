"""Audit rows: append-only (the database refuses UPDATE and DELETE, see migration 0005)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models_base import timestamp


class AuditEventCode(StrEnum):
    LOGIN = "LOGIN"
    ID_NUMBER_VIEWED = "ID_NUMBER_VIEWED"
    EXPORT_CREATED = "EXPORT_CREATED"
    DOWNLOAD_OPENED = "DOWNLOAD_OPENED"
    REGISTRATION_APPROVED = "REGISTRATION_APPROVED"
    REGISTRATION_REJECTED = "REGISTRATION_REJECTED"
    ROLLBACK_REQUESTED = "ROLLBACK_REQUESTED"
    ROLLBACK_GRANTED = "ROLLBACK_GRANTED"
    ROLLBACK_DENIED = "ROLLBACK_DENIED"
    ACCOUNT_CREATED = "ACCOUNT_CREATED"
    ROLE_CHANGED = "ROLE_CHANGED"
    ACCOUNT_DEACTIVATED = "ACCOUNT_DEACTIVATED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    PROFILE_CHANGED = "PROFILE_CHANGED"
    UNIT_APPLICATION_FILED = "UNIT_APPLICATION_FILED"
    ADMIN_CHANGE_REQUESTED = "ADMIN_CHANGE_REQUESTED"
    UNIT_REQUEST_APPROVED = "UNIT_REQUEST_APPROVED"
    UNIT_REQUEST_REJECTED = "UNIT_REQUEST_REJECTED"


class AuditResult(StrEnum):
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp()
    # No foreign key: the trail must outlive anything it mentions.
    user_id: int | None = Field(default=None)
    username: str | None = Field(default=None, max_length=64)
    # Plain strings, not database enums: a new event code needs no migration.
    event: str = Field(max_length=40)
    target_type: str | None = Field(default=None, max_length=40)
    target_id: str | None = Field(default=None, max_length=64)
    result: str = Field(max_length=10)
    error_code: str | None = Field(default=None, max_length=40)
    client_address: str | None = Field(default=None, max_length=64)
    details: str | None = Field(default=None, max_length=500)

    __table_args__ = (
        sa.Index("ix_audit_event_event_id", "event", "id"),
        sa.Index("ix_audit_event_user_id_id", "user_id", "id"),
        sa.Index("ix_audit_event_target", "target_type", "target_id", "id"),
    )
