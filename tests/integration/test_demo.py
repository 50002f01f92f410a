"""The demo data set: spread over the real divisions and every state, with histories that add up."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from app.clock import now
from app.demo import DEMO_PASSWORD, load_demo
from app.exams.models import ExamSession
from app.registrations.models import Registration
from app.registrations.models import RegistrationStatus as S
from app.registrations.rules import id_number_problem
from app.registrations.service import history as registration_history
from app.reviews.models import ReviewAction
from app.reviews.models import ReviewActionKind as A
from app.units.models import Unit
from tests.api import Api

SCALE = 600
STATISTICS = """query($s: ID!) { statistics(sessionId: $s, groupBy: [CITY]) {
  rows { key { city } figures { count } }
  total { count overdue finishedReviews reviewHoursMedian reviewHoursP90 photoMissingOrRejected } } }"""


def test_the_demo_spreads_over_divisions_and_states_and_its_statistics_add_up(backend):
    db = backend.database
    logins = load_demo(db, scale=SCALE)

    with db.session() as session:
        exam = session.execute(sa.select(ExamSession)).scalar_one()
        rows = session.execute(sa.select(Registration, Unit.city_code, Unit.division_code)
                               .join(Unit, Unit.id == Registration.unit_id)).all()
        actions_stored = session.execute(sa.select(ReviewAction.action)).scalars().all()
    records = [r for r, _, _ in rows]
    assert len(records) == SCALE
    assert len({city for _, city, _ in rows if city}) >= 10 and len({d for _, _, d in rows}) >= 60
    assert set(Counter(r.status for r in records)) == set(S)  # every state, training opened included
    assert all(id_number_problem(r.id_number) is None for r in records)
    opens, moment = exam.registration_opens_at, now()
    for record in records:
        if record.status == S.DRAFT:
            assert record.submitted_at is None
        else:
            assert opens <= record.submitted_at <= moment
    with db.session() as session:
        by_record = registration_history(session, [r.id for r in records])
    assert A.CREATE not in actions_stored  # the creation is the record's own
    for record in records:  # each history starts with its creation and ends in the record's state
        steps = by_record[record.id]
        assert steps[0].action == A.CREATE and steps[-1].to_status == record.status
        assert all(a.to_status == b.from_status for a, b in zip(steps, steps[1:], strict=False))
        assert all(opens <= s.at <= moment for s in steps)

    api = Api(backend.client)
    region = next(login for login in logins if login.role == "REGION_REVIEWER")
    token = api.login(region.username, DEMO_PASSWORD)
    stats = api.data(STATISTICS, {"s": exam.id}, token=token)["statistics"]
    total = stats["total"]
    assert total["count"] == SCALE == sum(r["figures"]["count"] for r in stats["rows"])
    assert len(stats["rows"]) >= 10
    assert total["overdue"] > 0 and total["photoMissingOrRejected"] > 0
    assert total["finishedReviews"] > SCALE // 3
    assert 0 < total["reviewHoursMedian"] < total["reviewHoursP90"]

    assert load_demo(db, scale=SCALE) == logins  # a second run only gives the logins again
    with db.session() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Registration)).scalar_one() == SCALE
