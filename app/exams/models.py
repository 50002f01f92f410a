"""考试批次: an exam session and its registration window."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models_base import timestamp


class ExamSession(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    registration_opens_at: datetime = timestamp()
    registration_closes_at: datetime = timestamp()
    created_at: datetime = timestamp()

    __table_args__ = (
        sa.CheckConstraint(
            "registration_closes_at > registration_opens_at", name="ck_exam_session_window"
        ),
    )

    def is_open(self, at: datetime) -> bool:
        return self.registration_opens_at <= at < self.registration_closes_at
