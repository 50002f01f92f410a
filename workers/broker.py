"""The broker chosen by settings: Redis, or in-process with worker threads."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from app.db import Database
from workers import periodic, registry

log = logging.getLogger(__name__)


class TaskQueue:
    """A broker with our actors bound to one Database, plus its optional worker."""

    def __init__(self, database: Database) -> None:
        settings = database.settings
        self.database = database
        self.in_process = not settings.uses_redis
        if self.in_process:
            self.broker: dramatiq.Broker = StubBroker()
        else:
            self.broker = RedisBroker(url=settings.redis_url, namespace=settings.broker_namespace)
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

    def start_worker(self, *, threads: int | None = None) -> None:
        if self.worker is None:
            threads = threads or self.database.settings.in_process_worker_threads
            self.worker = dramatiq.Worker(self.broker, worker_threads=threads, worker_timeout=100)
            self.worker.start()
            log.info("started %s worker with %d threads", self.kind, threads)
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

    def ping(self) -> None:
        """Raise if the broker cannot be reached."""
        if isinstance(self.broker, RedisBroker):
            self.broker.client.ping()

    def close(self) -> None:
        self.stop_worker()
        self.broker.close()
        self.database.sender = None
