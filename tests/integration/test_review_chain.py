"""The review chain as a pure rule and as SQL agree for every kind of unit and reviewer."""

from __future__ import annotations

import itertools

from sqlmodel import select

from app.accounts.models import Role
from app.reviews.chain import Stage, _units_reviewed, reviewer_for
from app.units.models import Unit, UnitLevel
from tests.factories import make_unit, make_user


def test_pure_chain_and_sql_chain_agree(database):
    dept_region = make_unit(database, division="450000", level=UnitLevel.REGION, is_department=True)
    dept_city = make_unit(database, division="450100", level=UnitLevel.CITY, is_department=True)
    units = [
        make_unit(database, division="450102"),
        make_unit(database, division="450103"),
        make_unit(database, division="450202"),
        dept_region,
        make_unit(database, division="450000", level=UnitLevel.REGION, supervisor=dept_region),
        make_unit(database, division="450000", level=UnitLevel.REGION),
        dept_city,
        make_unit(database, division="450100", level=UnitLevel.CITY, supervisor=dept_city),
        make_unit(database, division="450100", level=UnitLevel.CITY),
        make_unit(database, division="450200", level=UnitLevel.CITY),
    ]
    users = [
        make_user(database, role=Role.COUNTY_REVIEWER, division="450102"),
        make_user(database, role=Role.COUNTY_REVIEWER, division="450202"),
        make_user(database, role=Role.COUNTY_REVIEWER, division="450103"),
        make_user(database, role=Role.CITY_REVIEWER, division="450100"),
        make_user(database, role=Role.CITY_REVIEWER, division="450200"),
        make_user(database, role=Role.DEPT_REVIEWER, unit=dept_region),
        make_user(database, role=Role.DEPT_REVIEWER, unit=dept_city),
        make_user(database, role=Role.REGION_REVIEWER),
        make_user(database, role=Role.TRAINING_OPERATOR),
    ]
    with database.session() as session:
        for user, stage in itertools.product(users, Stage):
            by_sql = set(session.exec(select(Unit.id).where(_units_reviewed(user, stage))))
            by_rule = {u.id for u in units if reviewer_for(u, stage).matches(user)}
            assert by_sql == by_rule, (user.role, user.division_code, stage)
    # every unit has exactly one reviewer account per stage here
    for unit, stage in itertools.product(units, Stage):
        assert sum(reviewer_for(unit, stage).matches(u) for u in users) == 1, (unit.name, stage)
