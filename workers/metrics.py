"""Dramatiq middleware timing each actor's messages and counting their failures for /metrics."""

from __future__ import annotations

import time

import dramatiq

from app.metrics import Metrics


class ActorMetrics(dramatiq.Middleware):
    """Per actor: seconds per message, and messages succeeded, failed (raised) or skipped.

    In `examreg worker` processes the figures reach `/metrics` through PROMETHEUS_MULTIPROC_DIR
    (see app/metrics.py); with the embedded default they share the API's registry.
    """

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._started: dict[str, float] = {}  # message id -> perf_counter(); one thread per message

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        self._started[message.message_id] = time.perf_counter()

    def after_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message, *,
                              result: object = None, exception: BaseException | None = None) -> None:
        started = self._started.pop(message.message_id, None)
        seconds = None if started is None else time.perf_counter() - started
        self.metrics.job_done(message.actor_name, "failed" if exception is not None else "succeeded", seconds)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        self._started.pop(message.message_id, None)
        self.metrics.job_done(message.actor_name, "skipped", None)
