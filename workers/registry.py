"""Every actor, bound to a broker and a Database (no module-level globals)."""

from __future__ import annotations

import dramatiq

from app.db import Database
from workers import health, reviews, sms


def register_actors(broker: dramatiq.Broker, database: Database) -> None:
    for module in (health, reviews, sms):
        module.register(broker, database)
