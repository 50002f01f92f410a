"""A small scheduler thread in every worker process: sends periodic actors once per slot.

Each process ticks on its own clock; the PeriodicRun row (unique name + slot)
decides which one actually sends, so N worker processes still run each slot once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from app.db import Database
from app.periodic import claim_periodic_run, slot_for
from app.settings import Settings

log = logging.getLogger(__name__)

# (actor name, default interval in seconds); PERIODIC_INTERVALS overrides an interval, 0 turns it off.
PERIODIC: list[tuple[str, float]] = [
    ("sweep_sms_outbox", 60),
    ("send_review_reminders", 3600),
    ("sweep_jobs", 60),
    ("sweep_document_checks", 60),
]


def schedule(settings: Settings, actor_names: Iterable[str]) -> list[tuple[str, float]]:
    """The periodic actors this process should send, with their configured intervals."""
    known = set(actor_names)
    chosen = []
    for name, default in PERIODIC:
        interval = float(settings.periodic_intervals.get(name, default))
        if interval <= 0:
            continue
        if name not in known:
            log.warning("periodic task %s has no actor registered; skipped", name)
            continue
        chosen.append((name, interval))
    return chosen


class PeriodicScheduler:
    def __init__(self, database: Database, tasks: list[tuple[str, float]], *, tick: float) -> None:
        self.database = database
        self.tasks = tasks
        self.tick = tick
        self.last_slot: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="periodic-scheduler", daemon=True)

    def start(self) -> None:
        if self.tasks:
            self._thread.start()
            log.info("periodic scheduler: %s", ", ".join(f"{n} every {i:g}s" for n, i in self.tasks))

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def run_due(self, unix_time: float | None = None) -> list[str]:
        """Send every task whose current slot this process has not handled yet; returns those it sent."""
        unix_time = time.time() if unix_time is None else unix_time
        sent = []
        for name, interval in self.tasks:
            slot = slot_for(unix_time, interval)
            if self.last_slot.get(name) == slot:
                continue
            if claim_periodic_run(self.database, name=name, slot=slot):
                sent.append(name)
            self.last_slot[name] = slot
        return sent

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:  # noqa: BLE001  a database hiccup must not end the schedule
                log.exception("periodic scheduler tick failed; trying again")
            self._stop.wait(self.tick)
