"""Per-address rate limits on sign-in and on unit applications, in fixed windows.

The counters live in Redis when REDIS_URL is set, so every API process counts
together; in the embedded single-process default they live in the process. A
fixed window (the `limits` library's INCR with expiry) costs one round trip and
is enough here: the lockout protects each account, this only slows one address.
"""

from __future__ import annotations

import logging
import math
import threading
from datetime import datetime
from enum import StrEnum

from limits import parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from app.clock import CHINA
from app.errors import AppError, ErrorCode
from app.settings import Settings

log = logging.getLogger(__name__)


class Limited(StrEnum):
    LOGIN = "login"
    UNIT_APPLICATION = "unit-application"


WHAT = {Limited.LOGIN: "登录尝试", Limited.UNIT_APPLICATION: "单位注册申请"}

_limiters: dict[tuple[str, str], FixedWindowRateLimiter] = {}
_guard = threading.Lock()


def check(settings: Settings, action: Limited, address: str | None) -> None:
    """Count one attempt of `action` from `address`; raise RATE_LIMITED once over the limit."""
    spec = settings.login_rate_limit if action == Limited.LOGIN else settings.unit_application_rate_limit
    if not spec or not address:  # workers and in-process calls have no address
        return
    item = parse(spec)
    limiter = _limiter(settings)
    try:
        if limiter.hit(item, action.value, address):
            return
        reset = limiter.get_window_stats(item, action.value, address).reset_time
    except Exception:  # noqa: BLE001  an unreachable Redis must not stop sign-in; the lockout still holds
        log.warning("rate limit store unavailable; %s from an address not limited", action.value, exc_info=True)
        return
    until = datetime.fromtimestamp(math.ceil(reset / 60) * 60, CHINA)
    raise AppError(ErrorCode.RATE_LIMITED, f"{WHAT[action]}过于频繁，请于{until:%H:%M}后再试")


def _limiter(settings: Settings) -> FixedWindowRateLimiter:
    key = (settings.redis_url, settings.broker_namespace)
    with _guard:
        if key not in _limiters:
            _limiters[key] = FixedWindowRateLimiter(_storage(settings))
        return _limiters[key]


def _storage(settings: Settings) -> Storage:
    if settings.uses_redis:
        return RedisStorage(settings.redis_url, key_prefix=f"{settings.broker_namespace}:rate-limits")
    return MemoryStorage()
