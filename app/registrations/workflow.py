"""The registration state machine as plain data: no I/O, tested exhaustively."""

from __future__ import annotations

from app.errors import AppError, ErrorCode
from app.registrations.models import RegistrationStatus as S

STATUS_LABELS: dict[S, str] = {
    S.DRAFT: "未提交",
    S.PENDING_INITIAL: "待初审",
    S.PENDING_FINAL: "待终审",
    S.RETURNED: "已退回",
    S.APPROVED: "终审通过",
    S.ROLLBACK_REQUESTED: "回退申请中",
    S.TRAINING_OPENED: "已开通培训",
}

# A unit admin may edit while a record is theirs or still awaiting review (待审核).
EDITABLE = frozenset({S.DRAFT, S.RETURNED, S.PENDING_INITIAL, S.PENDING_FINAL})
# Deleting is only for records no reviewer has seen in their current form.
DELETABLE = frozenset({S.DRAFT, S.RETURNED})


def status_after_edit(status: S) -> S:
    """An edit keeps the state, except that a record awaiting final review starts over."""
    if status not in EDITABLE:
        raise AppError(
            ErrorCode.INVALID_STATE,
            f"报名信息当前为“{STATUS_LABELS[status]}”状态，不能修改"
            + ("；如需修改请先申请回退" if status == S.APPROVED else ""),
        )
    return S.PENDING_INITIAL if status == S.PENDING_FINAL else status


def check_deletable(status: S) -> None:
    if status not in DELETABLE:
        raise AppError(
            ErrorCode.INVALID_STATE,
            f"报名信息当前为“{STATUS_LABELS[status]}”状态，不能删除；只有未提交或已退回的报名信息可以删除",
        )
