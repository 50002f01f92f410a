"""Outbox row per SMS: written in the business transaction, sent by a worker."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.models_base import enum_column, json_column, timestamp


class SmsStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class SmsMessage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=11)
    template: str = Field(max_length=50)
    params: dict | None = json_column()
    status: SmsStatus = enum_column(SmsStatus, name="sms_status", index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = timestamp()
    sent_at: datetime | None = timestamp(nullable=True)
