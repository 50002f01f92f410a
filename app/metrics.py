"""Prometheus figures for `GET /metrics`.

Two sources, each chosen for being right when the service runs as several processes
(API processes behind one address, and `examreg worker` processes):

* What only the process that did the work can measure (HTTP and GraphQL request
  latency, GraphQL error codes, each actor's message durations and failures) is
  kept in prometheus-client metrics. In one process (the embedded default, worker
  threads inside `examreg serve`) they live in memory. With several processes set
  PROMETHEUS_MULTIPROC_DIR to a directory all of them share (empty when they start):
  every process writes its figures to files there and any API process's `/metrics`
  adds them up, the workers' included, which no longer serve HTTP of their own.
* What the database records anyway (jobs by status, SMS by status, failed sign-ins
  from the append-only audit trail) and the broker's queue lengths are read when
  `/metrics` is scraped. Counting them in memory would give each process its own
  partial figure, lose it on restart, and disagree with the rows operators see;
  the rows are the truth whichever process answers.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from app.audit.models import AuditEvent, AuditEventCode, AuditResult
from app.db import Database
from app.jobs import Job
from app.sms.models import SmsMessage

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
if MULTIPROCESS_DIR:
    # Host and pid: containers sharing the directory all run as pid 1.
    values.ValueClass = values.MultiProcessValue(lambda: f"{socket.gethostname()}-{os.getpid()}")

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Distinct client-chosen operation names kept as labels per process; later ones are counted as "other".
MAX_OPERATION_NAMES = 200
_OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
# Seconds: a page of the registrations list takes tens of milliseconds, an upload or a login (a slow
# password hash on purpose) a few hundred.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.4, 0.6, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
# The key under which the GraphQL layer leaves an OperationSeen in the request's state.
OPERATION_STATE = "graphql_operation"


@dataclass(frozen=True, slots=True)
class OperationSeen:
    name: str | None  # as the client named it; None: anonymous
    kind: str  # query, mutation, subscription; "invalid" when the document did not parse or validate
    error_codes: tuple[str, ...]


class Metrics:
    """The in-process figures of one API or worker process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "examreg_http_requests", "HTTP requests", ["path", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "examreg_http_request_seconds", "HTTP request latency", ["path"], registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self.operations = Histogram(
            "examreg_graphql_operation_seconds",
            "GraphQL request latency per operation (name as sent by the client; anonymous, invalid and "
            "names past the first 200 are grouped), from the request's arrival to its last byte",
            ["operation", "type"], registry=self.registry, buckets=LATENCY_BUCKETS,
        )
        self.errors = Counter(
            "examreg_graphql_errors", "GraphQL errors sent to clients, by extensions.code", ["code"],
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "examreg_job_seconds", "Time a worker spent on one message, per actor", ["actor"],
            registry=self.registry, buckets=JOB_BUCKETS,
        )
        self.job_messages = Counter(
            "examreg_job_messages", "Messages processed per actor: succeeded, failed (raised; may be retried) "
            "or skipped", ["actor", "outcome"], registry=self.registry,
        )
        self._operation_names: set[str] = set()

    def operation_label(self, name: str | None) -> str:
        if name is None:
            return "anonymous"
        if name in self._operation_names:
            return name
        if len(self._operation_names) >= MAX_OPERATION_NAMES or not _OPERATION_NAME.fullmatch(name):
            return "other"
        self._operation_names.add(name)
        return name

    def observe_operation(self, name: str | None, kind: str, seconds: float) -> None:
        label = "invalid" if kind == "invalid" else self.operation_label(name)
        self.operations.labels(label, kind).observe(seconds)

    def count_errors(self, codes: Iterable[str]) -> None:
        for code in codes:
            self.errors.labels(code).inc()

    def job_done(self, actor: str, outcome: str, seconds: float | None) -> None:
        self.job_messages.labels(actor, outcome).inc()
        if seconds is not None:
            self.job_seconds.labels(actor).observe(seconds)

    def exposition(self, *collectors: object) -> bytes:
        """The text for `/metrics`: this process's figures (or all processes' in multiprocess mode) and
        `collectors` read now."""
        registry = CollectorRegistry()
        if MULTIPROCESS_DIR:
            MultiProcessCollector(registry, MULTIPROCESS_DIR)
        else:
            registry.register(self.registry)
        for collector in collectors:
            registry.register(collector)
        return generate_latest(registry)


class RecordedFigures:
    """Collector read at scrape time from the database and the broker (see the module's docstring)."""

    def __init__(self, database: Database, queue_depths: Callable[[], dict[str, int]]) -> None:
        self.database = database
        self.queue_depths = queue_depths

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "examreg_queue_depth", "Messages in a broker queue not yet finished (waiting, delayed or in progress)",
            labels=["queue"])
        for queue, size in sorted(self.queue_depths().items()):
            depth.add_metric([queue], size)
        yield depth
        jobs = GaugeMetricFamily("examreg_jobs", "Job rows by kind and status", labels=["kind", "status"])
        sms = GaugeMetricFamily("examreg_sms_messages", "SMS outbox rows by status (SENT, FAILED, PENDING, ...)",
                                labels=["status"])
        logins = CounterMetricFamily(
            "examreg_logins_failed", "Failed sign-ins in the audit trail, by error code", labels=["code"])
        with self.database.engine.connect() as connection:
            for kind, status, count in connection.execute(
                    sa.select(Job.kind, Job.status, sa.func.count()).group_by(Job.kind, Job.status)):
                jobs.add_metric([_text(kind), _text(status)], count)
            for status, count in connection.execute(
                    sa.select(SmsMessage.status, sa.func.count()).group_by(SmsMessage.status)):
                sms.add_metric([_text(status)], count)
            for code, count in connection.execute(
                    sa.select(AuditEvent.error_code, sa.func.count())
                    .where(AuditEvent.event == AuditEventCode.LOGIN.value,
                           AuditEvent.result == AuditResult.FAILURE.value)
                    .group_by(AuditEvent.error_code)):
                logins.add_metric([code or "UNKNOWN"], count)
        yield jobs
        yield sms
        yield logins


def _text(value: object) -> str:
    return getattr(value, "value", None) or str(value)


class RequestMetrics:
    """Pure ASGI middleware: counts and times HTTP requests, and GraphQL ones per operation.

    The GraphQL schema's OperationSeen extension leaves the operation's name, type and
    error codes in the request's state (scope["state"]) for this middleware to record.
    """

    KNOWN = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})

    def __init__(self, app, metrics: Metrics) -> None:  # noqa: ANN001
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"] if scope["path"] in self.KNOWN else "other"
        status = {"code": 500}

        async def send_with_status(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(path, str(status["code"])).inc()
            self.metrics.latency.labels(path).observe(elapsed)
            seen = scope.get("state", {}).get(OPERATION_STATE)
            if seen is not None:
                self.metrics.observe_operation(seen.name, seen.kind, elapsed)
                self.metrics.count_errors(seen.error_codes)

