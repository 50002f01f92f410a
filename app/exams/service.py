"""Exam sessions and their registration windows."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.accounts.models import User
from app.auth.permissions import require_operator
from app.clock import CHINA, now
from app.errors import AppError, ErrorCode, NotFound
from app.exams.models import ExamSession


def create_exam_session(
    session: Session, *, user: User, name: str, opens_at: datetime, closes_at: datetime
) -> ExamSession:
    require_operator(user)
    name = name.strip()
    if not name or len(name) > 100:
        raise AppError(ErrorCode.INVALID, "考试批次名称不能为空，且不超过100个字", "name")
    if opens_at.tzinfo is None or closes_at.tzinfo is None:
        opens_at, closes_at = (d if d.tzinfo else d.replace(tzinfo=CHINA) for d in (opens_at, closes_at))
    if closes_at <= opens_at:
        raise AppError(ErrorCode.INVALID_DATE, "报名截止时间必须晚于报名开始时间", "closesAt")
    if session.exec(select(ExamSession.id).where(ExamSession.name == name)).first():
        raise AppError(ErrorCode.DUPLICATE, f"考试批次“{name}”已存在", "name")
    exam = ExamSession(name=name, registration_opens_at=opens_at, registration_closes_at=closes_at)
    session.add(exam)
    session.flush()
    return exam


def list_exam_sessions(session: Session) -> list[ExamSession]:
    return list(session.exec(select(ExamSession).order_by(ExamSession.registration_opens_at.desc())))


def get_exam_session(session: Session, session_id: int) -> ExamSession:
    exam = session.get(ExamSession, session_id)
    if exam is None:
        raise NotFound("考试批次", "sessionId")
    return exam


def require_window_open(exam: ExamSession) -> None:
    if not exam.is_open(now()):
        opens = exam.registration_opens_at.astimezone(CHINA)
        closes = exam.registration_closes_at.astimezone(CHINA)
        raise AppError(
            ErrorCode.WINDOW_CLOSED,
            f"“{exam.name}”的报名时间为{opens:%Y年%m月%d日 %H:%M}至{closes:%Y年%m月%d日 %H:%M}，"
            "当前不在报名时间内，不能新增或修改报名信息",
        )
