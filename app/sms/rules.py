"""Pure outbox rules: when to try again, when a row is stale, what operators read."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.settings import Settings

# A retry may reach a worker whose clock runs slightly behind the one that scheduled it.
CLOCK_TOLERANCE = timedelta(seconds=2)
LAST_ERROR_LENGTH = 500


@dataclass(frozen=True)
class OutboxPolicy:
    max_attempts: int = 8
    retry_first: timedelta = timedelta(seconds=15)
    retry_longest: timedelta = timedelta(hours=1)
    pending_grace: timedelta = timedelta(minutes=2)
    sending_lease: timedelta = timedelta(minutes=5)
    reconcile_give_up: timedelta = timedelta(hours=1)

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboxPolicy:
        return cls(
            max_attempts=settings.sms_max_attempts,
            retry_first=timedelta(seconds=settings.sms_retry_first_seconds),
            retry_longest=timedelta(seconds=settings.sms_retry_longest_seconds),
            pending_grace=timedelta(seconds=settings.sms_pending_grace_seconds),
            sending_lease=timedelta(seconds=settings.sms_sending_lease_seconds),
            reconcile_give_up=timedelta(seconds=settings.sms_reconcile_give_up_seconds),
        )


def retry_delay(attempts: int, policy: OutboxPolicy, *, jitter: Callable[[], float] = random.random) -> timedelta:
    """Exponential backoff after the `attempts`-th failed try, with up to 20% jitter so retries spread out."""
    base = policy.retry_first * (2 ** max(attempts - 1, 0)) if attempts < 40 else policy.retry_longest
    return min(base, policy.retry_longest) * (1 + 0.2 * jitter())


def may_retry(attempts: int, policy: OutboxPolicy) -> bool:
    return attempts < policy.max_attempts


def is_due(next_attempt_at: datetime | None, at: datetime) -> bool:
    return next_attempt_at is None or next_attempt_at <= at + CLOCK_TOLERANCE


def clip(text: str) -> str:
    return text if len(text) <= LAST_ERROR_LENGTH else text[: LAST_ERROR_LENGTH - 1] + "…"


def refused_message(reason: str) -> str:
    return clip(f"短信平台拒绝发送，不再重试：{reason}")


def exhausted_message(attempts: int, reason: str) -> str:
    return clip(f"已尝试发送{attempts}次仍未成功，不再自动重试：{reason}")


def retrying_message(attempts: int, reason: str) -> str:
    return clip(f"第{attempts}次发送未成功，稍后自动重试：{reason}")


def outcome_unknown_message(reason: str) -> str:
    return clip(f"发送结果未知，将与短信平台的发送记录核对后再处理：{reason}")


RESENT_AFTER_INTERRUPTION = "发送过程中断（工作进程异常退出），短信平台确认未收到，已重新排队发送"
UNCERTAIN_UNKNOWABLE = (
    "发送过程中断（工作进程异常退出），当前短信通道无法查询是否已发出。"
    "请在短信平台的发送记录中按手机号核对：未发出可点“重新发送”，已发出则无需处理。"
)


def uncertain_other_provider(provider: str) -> str:
    return clip(
        f"发送过程中断，该短信由“{provider}”通道发送，当前通道无法查询其发送记录。"
        "请在原短信平台核对：未发出可点“重新发送”，已发出则无需处理。"
    )


def uncertain_query_failed(reason: str) -> str:
    return clip(
        f"发送过程中断，且多次查询短信平台发送记录失败（{reason}）。"
        "请在短信平台按手机号核对：未发出可点“重新发送”，已发出则无需处理。"
    )
