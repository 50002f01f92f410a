"""Periodic reminders about review deadlines."""

from __future__ import annotations

import dramatiq

from app.db import Database
from app.reviews import reminders

ACTOR = "send_review_reminders"


def register(broker: dramatiq.Broker, database: Database) -> None:
    def send_review_reminders() -> None:
        with database.transaction() as session:
            reminders.send_review_reminders(session)

    dramatiq.actor(send_review_reminders, actor_name=ACTOR, broker=broker, max_retries=0)
