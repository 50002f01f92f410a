"""The periodic scheduler: each slot runs once however many worker processes tick."""

from __future__ import annotations

import uuid

from sqlmodel import select

from app.db import Database
from app.jobs import PeriodicRun
from app.periodic import slot_for
from app.settings import Settings
from workers.broker import TaskQueue
from workers.periodic import PERIODIC, PeriodicScheduler, schedule


def _process(base: Settings) -> TaskQueue:
    """What one worker process has: its own Database and broker connection (not consuming here)."""
    settings = base.model_copy(update={"broker_namespace": f"{base.broker_namespace}-periodic-{uuid.uuid4().hex[:8]}"})
    return TaskQueue(Database(settings))


def test_each_slot_is_sent_by_exactly_one_of_several_processes(backend):
    processes = [_process(backend.settings) for _ in range(3)]
    try:
        schedulers = [PeriodicScheduler(p.database, [("sweep_sms_outbox", 10)], tick=1) for p in processes]
        first_slot_start = 1_800_000_000.0

        sent = [s.run_due(first_slot_start) for s in schedulers]
        again = [s.run_due(first_slot_start + 9) for s in schedulers]  # same slot
        next_slot = [s.run_due(first_slot_start + 10) for s in reversed(schedulers)]

        assert sorted(map(len, sent)) == [0, 0, 1] and again == [[], [], []]
        assert next_slot[0] == ["sweep_sms_outbox"] and next_slot[1:] == [[], []]
        with backend.database.session() as session:
            slots = sorted(r.slot for r in session.exec(select(PeriodicRun).where(PeriodicRun.name == "sweep_sms_outbox")))
        assert slots == [slot_for(first_slot_start, 10), slot_for(first_slot_start, 10) + 1]
    finally:
        for process in processes:
            process.close()
            process.database.dispose()


def test_intervals_come_from_settings_and_zero_turns_a_task_off():
    names = ["sweep_sms_outbox"]
    assert schedule(Settings(_env_file=None), names) == [("sweep_sms_outbox", 60.0)]
    assert schedule(Settings(_env_file=None, periodic_intervals={"sweep_sms_outbox": 2}), names) == [
        ("sweep_sms_outbox", 2.0)]
    assert schedule(Settings(_env_file=None, periodic_intervals={"sweep_sms_outbox": 0}), names) == []
    assert schedule(Settings(_env_file=None), []) == []  # no actor registered under that name


def test_slots_stay_small_enough_for_the_slot_column():
    assert 0 <= slot_for(1_800_000_000, 0.1) < 2**31
    assert slot_for(1_800_000_000, 60) == slot_for(1_800_000_059.9, 60) != slot_for(1_800_000_060, 60)


def test_review_reminders_are_on_the_schedule(backend):
    from workers.periodic import schedule

    declared = backend.database.sender.__self__.broker.get_declared_actors()
    assert {name for name, _ in PERIODIC} <= declared
    names = dict(schedule(backend.settings, declared))
    assert names["send_review_reminders"] == 3600 and "sweep_sms_outbox" in names
