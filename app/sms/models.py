"""Outbox row per SMS: written in the business transaction, sent by a worker."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.models_base import enum_column, json_column, timestamp


class SmsStatus(StrEnum):
    PENDING = "PENDING"  # in the outbox, not yet handed to the provider
    SENDING = "SENDING"  # claimed by one worker; the provider call is in flight
    SENT = "SENT"  # the provider accepted it
    FAILED = "FAILED"  # the provider refused it for good, or retries ran out
    UNCERTAIN = "UNCERTAIN"  # a worker died mid-call; the provider's records decide


class SmsMessage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=11)
    # Stable template name (see app/sms/templates.py), e.g. TRAINING_OPENED.
    template: str = Field(max_length=50)
    params: dict | None = json_column()
    status: SmsStatus = enum_column(SmsStatus, name="sms_status", index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    provider: str | None = Field(default=None, max_length=30)
    provider_message_id: str | None = Field(default=None, max_length=100)
    # The batch the row was last claimed in: its key is the OutId of that provider call, shared by every
    # number in it (SendBatchSms takes one OutId). None: sent on its own, with the row id as OutId.
    batch_key: str | None = Field(default=None, max_length=64)
    # What the message is about, for operators: e.g. ("registration", 42).
    subject_type: str | None = Field(default=None, max_length=30)
    subject_id: int | None = Field(default=None)
    created_at: datetime = timestamp(index=True)
    claimed_at: datetime | None = timestamp(nullable=True)
    next_attempt_at: datetime | None = timestamp(nullable=True)
    sent_at: datetime | None = timestamp(nullable=True)
