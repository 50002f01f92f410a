"""Every actor, bound to a broker and a Database (no module-level globals)."""

from __future__ import annotations

import dramatiq

from app.db import Database
from workers import documents, health, imports, reviews, sms


def register_actors(broker: dramatiq.Broker, database: Database) -> None:
    for module in (documents, health, imports, reviews, sms):
        module.register(broker, database)
