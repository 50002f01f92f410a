"""The health-check actor: a real message through the broker, a real row updated."""

from __future__ import annotations

import dramatiq

from app import health
from app.db import Database


def register(broker: dramatiq.Broker, database: Database) -> None:
    def health_check(job_id: int) -> None:
        with database.transaction() as session:
            health.run_health_check(session, job_id=job_id)

    def noop() -> None:
        """Does nothing: bench/queue_speed.py measures the queue itself with it."""

    dramatiq.actor(health_check, actor_name=health.ACTOR, broker=broker, max_retries=3)
    dramatiq.actor(noop, actor_name="noop", broker=broker, max_retries=0)
