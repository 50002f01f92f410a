"""A file's people already registered, found late or registered meanwhile: checked again, never half written."""

from __future__ import annotations

import io
import logging
import random

import sqlalchemy as sa
from openpyxl import load_workbook

from app.demo import People
from app.imports import service
from app.imports.reading import read_checked
from app.jobs import Job
from app.registrations.models import Registration
from app.reviews.models import ReviewAction
from tests.api import Api
from tests.factories import make_exam_session, make_registration, make_unit
from tests.imports.support import large_template, upload, wait_for
from tests.imports.test_import_flow import UNIT, admin

ROWS = 1200  # three batches (app/imports/reader_process.BATCH), so the clash is in a later statement
OTHER_UNIT = "南宁市青秀区市场监督管理局"


def file_and_numbers(seed: int) -> tuple[bytes, list[str]]:
    data = large_template(People(random.Random(seed)), UNIT, ROWS)
    with read_checked(data, unit_name=UNIT) as reading:
        return data, [values["id_number"] for checked in reading for values in checked.valid.values()]


def test_a_person_registered_only_in_a_later_batch_makes_the_import_read_the_file_again(backend, caplog):
    """The first batch finds nobody registered, so later batches are written without a lookup; the one
    registered person among them makes that pass roll back, and the file is read again, looking up."""
    caplog.set_level(logging.INFO, logger=service.__name__)
    api = Api(backend.client)
    unit, token = admin(backend)
    exam = make_exam_session(backend.database)
    data, numbers = file_and_numbers(41)
    other = make_unit(backend.database, name=OTHER_UNIT, division="450103")
    make_registration(backend.database, unit=other, exam=exam, id_number=numbers[900])

    job = wait_for(api, token, upload(api, token, exam.id, data, policy="IMPORT_VALID_ROWS")["job"]["id"],
                   timeout=120)

    assert "reading the file again" in caplog.text
    assert job["status"] == "SUCCEEDED"
    assert job["summary"]["created"] == ROWS - 1 and job["summary"]["skipped"] == 0
    assert [(e["row"], e["column"]) for e in job["rowErrors"]] == [(903, "身份证号码")]
    assert OTHER_UNIT in job["rowErrors"][0]["message"]
    with backend.database.session() as session:
        assert session.scalar(sa.select(Job.attempts).where(Job.id == int(job["id"]))) == 1  # no retry needed
        mine = session.scalars(sa.select(Registration.id).where(
            Registration.session_id == exam.id, Registration.unit_id == unit.id)).all()
    assert len(mine) == ROWS - 1  # nothing of the first pass was left behind


def test_a_file_not_written_still_reports_the_people_registered_in_batches_not_looked_up(backend):
    """All or nothing: a bad row stops the writing, and a later batch (never looked up, never written) holds a
    person another unit registered; the report names both."""
    api = Api(backend.client)
    _unit, token = admin(backend)
    exam = make_exam_session(backend.database)
    data, numbers = file_and_numbers(43)
    book = load_workbook(io.BytesIO(data))
    book["报名信息"].cell(row=3 + 600, column=9).value = "12345"  # 手机号码 of the 601st person
    out = io.BytesIO()
    book.save(out)
    other = make_unit(backend.database, name=OTHER_UNIT, division="450103")
    make_registration(backend.database, unit=other, exam=exam, id_number=numbers[1000])

    job = wait_for(api, token, upload(api, token, exam.id, out.getvalue())["job"]["id"], timeout=120)

    assert job["status"] == "SUCCEEDED" and job["summary"]["written"] is False
    assert [(e["row"], e["column"]) for e in job["rowErrors"]] == [(603, "手机号码"), (1003, "身份证号码")]
    assert OTHER_UNIT in job["rowErrors"][1]["message"]


def test_a_person_registered_meanwhile_rolls_the_attempt_back_and_the_next_names_the_unit(backend, monkeypatch,
                                                                                          caplog):
    """Every batch is looked up (the first finds one of the unit's own records), but one person is
    registered between a lookup and the write: the attempt rolls back and the job runs again."""
    caplog.set_level(logging.INFO, logger=service.__name__)
    api = Api(backend.client)
    unit, token = admin(backend)
    exam = make_exam_session(backend.database)
    data, numbers = file_and_numbers(42)
    make_registration(backend.database, unit=unit, exam=exam, id_number=numbers[5])  # skipped (onExisting SKIP)
    other = make_unit(backend.database, name=OTHER_UNIT, division="450103")
    make_registration(backend.database, unit=other, exam=exam, id_number=numbers[900])

    real_existing, lookups = service._existing, []

    def looked_up_before_the_other_unit_committed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        lookups.append(1)
        found = real_existing(*args, **kwargs)
        if len(lookups) <= 3:  # the whole first attempt
            found.pop(numbers[900], None)
        return found

    monkeypatch.setattr(service, "_existing", looked_up_before_the_other_unit_committed)
    job = wait_for(api, token, upload(api, token, exam.id, data, policy="IMPORT_VALID_ROWS")["job"]["id"],
                   timeout=120)

    assert len(lookups) == 6, "the first attempt lost the race and the file was checked again"
    assert "lost a race on a unique ID number" in caplog.text  # not taken for a fault of ours
    assert job["status"] == "SUCCEEDED"
    assert job["summary"]["created"] == ROWS - 2 and job["summary"]["skipped"] == 1
    assert [(e["row"], e["column"]) for e in job["rowErrors"]] == [(903, "身份证号码")]
    assert OTHER_UNIT in job["rowErrors"][0]["message"]
    with backend.database.session() as session:
        assert session.scalar(sa.select(Job.attempts).where(Job.id == int(job["id"]))) == 2
        mine = session.scalars(sa.select(Registration.id).where(
            Registration.session_id == exam.id, Registration.unit_id == unit.id)).all()
        history_rows = session.scalar(sa.select(sa.func.count()).select_from(ReviewAction).where(
            ReviewAction.registration_id.in_(mine)))
    assert len(mine) == ROWS - 1 and history_rows == 0  # nothing of the first attempt was left behind
