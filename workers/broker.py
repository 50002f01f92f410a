"""The broker chosen by settings: Redis, or in-process with worker threads."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name

from app.db import Database
from app.metrics import Metrics
from workers import periodic, registry
from workers.metrics import ActorMetrics

log = logging.getLogger(__name__)

# Messages a worker process takes from Redis ahead of its threads, per thread. Dramatiq's default is 2,
# and its consumer fetches only while fewer than that many messages are taken and not yet acknowledged,
# sleeping a backoff otherwise: with short messages it is nearly always full and asleep while threads
# wait. One process with two threads drained ~510 no-op messages/s so, and 2,000-4,800/s with 64 on a
# busy two-core machine (bench/queue_speed.py). A process's prefetched messages wait for its own threads
# only (a few long imports could queue behind each other while another process idles), and those of a
# killed process come back after Redis' heartbeat timeout (the outbox and job sweepers re-send long
# before that), so it stays a bounded multiple of the threads rather than unlimited.
# `examreg worker --prefetch N` or dramatiq's own `dramatiq_queue_prefetch` variable override it.
PREFETCH_PER_THREAD = 32


def queue_prefetch(threads: int, prefetch: int | None = None) -> int:
    return prefetch or dramatiq.worker.QUEUE_PREFETCH or threads * PREFETCH_PER_THREAD


class TaskQueue:
    """A broker with our actors bound to one Database, plus its optional worker."""

    def __init__(self, database: Database, *, metrics: Metrics | None = None) -> None:
        settings = database.settings
        self.database = database
        self.in_process = not settings.uses_redis
        if self.in_process:
            self.broker: dramatiq.Broker = StubBroker()
        else:
            self.broker = RedisBroker(url=settings.redis_url, namespace=settings.broker_namespace)
        if metrics is not None:
            self.broker.add_middleware(ActorMetrics(metrics))
        self.broker.emit_after("process_boot")
        registry.register_actors(self.broker, database)
        self.worker: dramatiq.Worker | None = None
        self.scheduler: periodic.PeriodicScheduler | None = None
        database.sender = self.send

    @property
    def kind(self) -> str:
        return "in-process" if self.in_process else "redis"

    def send(self, actor_name: str, kwargs: dict[str, Any]) -> None:
        self.broker.get_actor(actor_name).send_with_options(kwargs=kwargs)

    def start_worker(self, *, threads: int | None = None, prefetch: int | None = None) -> None:
        if self.worker is None:
            threads = threads or self.database.settings.in_process_worker_threads
            self.worker = dramatiq.Worker(self.broker, worker_threads=threads, worker_timeout=100)
            self.worker.queue_prefetch = queue_prefetch(threads, prefetch)
            self.worker.start()
            log.info("started %s worker with %d threads, prefetching %d messages", self.kind, threads,
                     self.worker.queue_prefetch)
        if self.scheduler is None:
            settings = self.database.settings
            tasks = periodic.schedule(settings, self.broker.get_declared_actors())
            self.scheduler = periodic.PeriodicScheduler(self.database, tasks, tick=settings.periodic_tick_seconds)
            self.scheduler.start()

    def stop_worker(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None
        if self.worker is not None:
            self.worker.stop(timeout=10_000)
            self.worker = None

    def depths(self) -> dict[str, int]:
        """Per queue, messages not yet finished: waiting, delayed (retries) or being processed."""
        queues = sorted(q for q in self.broker.get_declared_queues() if not q.endswith((".DQ", ".XQ")))
        if isinstance(self.broker, RedisBroker):
            return {queue: int(self.broker.do_qsize(queue)) for queue in queues}
        stub = self.broker.queues
        return {queue: stub[queue].qsize() + (stub[dq_name(queue)].qsize() if dq_name(queue) in stub else 0)
                for queue in queues}

    def ping(self) -> None:
        """Raise if the broker cannot be reached."""
        if isinstance(self.broker, RedisBroker):
            self.broker.client.ping()

    def close(self) -> None:
        self.stop_worker()
        self.broker.close()
        self.database.sender = None
