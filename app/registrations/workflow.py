"""The registration state machine as plain data: no I/O, tested exhaustively."""

from __future__ import annotations

from app.errors import AppError, ErrorCode
from app.registrations.models import RegistrationStatus as S
from app.reviews.models import ReviewActionKind

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


# Every move a registration can make, by the action that causes it.
TRANSITIONS: dict[ReviewActionKind, dict[S, S]] = {
    ReviewActionKind.SUBMIT: {S.DRAFT: S.PENDING_INITIAL, S.RETURNED: S.PENDING_INITIAL},
    ReviewActionKind.APPROVE: {S.PENDING_INITIAL: S.PENDING_FINAL, S.PENDING_FINAL: S.APPROVED},
    ReviewActionKind.REJECT: {S.PENDING_INITIAL: S.RETURNED, S.PENDING_FINAL: S.RETURNED},
    ReviewActionKind.REQUEST_ROLLBACK: {S.APPROVED: S.ROLLBACK_REQUESTED},
    ReviewActionKind.GRANT_ROLLBACK: {S.ROLLBACK_REQUESTED: S.RETURNED},
    ReviewActionKind.DENY_ROLLBACK: {S.ROLLBACK_REQUESTED: S.APPROVED},
    ReviewActionKind.OPEN_TRAINING: {S.APPROVED: S.TRAINING_OPENED},
}
ACTION_LABELS: dict[ReviewActionKind, str] = {
    ReviewActionKind.CREATE: "新增",
    ReviewActionKind.EDIT: "修改",
    ReviewActionKind.SUBMIT: "提交",
    ReviewActionKind.APPROVE: "审核通过",
    ReviewActionKind.REJECT: "退回",
    ReviewActionKind.REQUEST_ROLLBACK: "申请回退",
    ReviewActionKind.GRANT_ROLLBACK: "同意回退",
    ReviewActionKind.DENY_ROLLBACK: "不同意回退",
    ReviewActionKind.OPEN_TRAINING: "开通网络培训",
}
PENDING_REVIEW = frozenset({S.PENDING_INITIAL, S.PENDING_FINAL, S.ROLLBACK_REQUESTED})


def next_status(action: ReviewActionKind, status: S) -> S:
    """Where `action` takes a record in `status`, or a Chinese reason why it cannot."""
    moves = TRANSITIONS[action]
    if status not in moves:
        allowed = "、".join(STATUS_LABELS[s] for s in moves)
        raise AppError(
            ErrorCode.INVALID_STATE,
            f"报名信息当前为“{STATUS_LABELS[status]}”，不能{ACTION_LABELS[action]}（只有“{allowed}”的报名信息可以）",
        )
    return moves[status]
