"""An import that fails for a reason of ours is retried, then failed with a message: never left RUNNING."""

from __future__ import annotations

import sqlalchemy as sa

from app.imports import service
from app.jobs import MAX_JOB_ATTEMPTS, Job
from app.registrations.models import Registration
from tests.api import Api
from tests.factories import candidate, make_exam_session
from tests.imports.support import filled_template, person_row, upload, wait_for
from tests.imports.test_import_flow import UNIT, admin


def test_an_import_failing_unexpectedly_is_tried_again_then_failed_with_a_message(backend, monkeypatch):
    api = Api(backend.client)
    unit, token = admin(backend)
    exam = make_exam_session(backend.database)
    calls = []

    def broken_plan(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr(service, "_plan", broken_plan)
    started = upload(api, token, exam.id, filled_template([person_row(candidate(sessionId=exam.id), UNIT)]))
    job = wait_for(api, token, started["job"]["id"], timeout=120)

    assert job["status"] == "FAILED" and "系统内部错误" in job["error"] and "a fault" not in job["error"]
    assert len(calls) == MAX_JOB_ATTEMPTS
    with backend.database.session() as session:
        assert session.scalar(sa.select(Job.attempts).where(Job.id == int(started["job"]["id"]))) == MAX_JOB_ATTEMPTS
        assert session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_an_import_that_fails_once_succeeds_on_the_next_attempt(backend, monkeypatch):
    api = Api(backend.client)
    unit, token = admin(backend)
    exam = make_exam_session(backend.database)
    real_plan, calls = service._plan, []

    def flaky_plan(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        if len(calls) == 1:
            raise OSError("storage hiccup")
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(service, "_plan", flaky_plan)
    started = upload(api, token, exam.id, filled_template([person_row(candidate(sessionId=exam.id), UNIT)]))
    job = wait_for(api, token, started["job"]["id"], timeout=120)

    assert job["status"] == "SUCCEEDED" and job["summary"]["created"] == 1 and len(calls) == 2
