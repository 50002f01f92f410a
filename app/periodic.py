"""Periodic tasks run once per time slot, however many worker processes schedule them."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.db import Database
from app.jobs import PeriodicRun, enqueue

# Slots count from here rather than 1970 so short intervals stay well inside the 32-bit slot column.
SLOT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
# Slot rows older than this many slots are removed as new ones are written.
KEPT_SLOTS = 200


def slot_for(unix_time: float, interval: float) -> int:
    return int((unix_time - SLOT_EPOCH) // interval)


def claim_periodic_run(database: Database, *, name: str, slot: int) -> bool:
    """Insert (name, slot); the process whose insert succeeds sends the task, after commit."""
    try:
        with database.transaction() as session:
            session.add(PeriodicRun(name=name, slot=slot))
            session.flush()
            session.execute(sa.delete(PeriodicRun).where(PeriodicRun.name == name,
                                                          PeriodicRun.slot < slot - KEPT_SLOTS))
            enqueue(session, name)
    except sa.exc.IntegrityError:
        return False
    return True
