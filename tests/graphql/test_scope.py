"""Who sees what: every role against one realistic set of units."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.registrations.models import RegistrationStatus as S
from app.units.models import UnitLevel
from tests.api import Api
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user

LIST = """query($s: ID!) { registrations(sessionId: $s, first: 100) {
  totalCount edges { node { id idNumber phone unit { name } } } } }"""
DETAIL = "query($id: ID!) { registration(id: $id) { id idNumber } }"
UNITS = "{ units(first: 100) { totalCount edges { node { name } } } }"


@pytest.fixture
def world(backend):
    db = backend.database
    dept = make_unit(db, division="450000", level=UnitLevel.REGION, is_department=True, name="自治区某厅")
    units = {
        "dept": dept,
        "dept_child": make_unit(db, division="450000", level=UnitLevel.REGION, supervisor=dept, name="某厅总队"),
        "region_other": make_unit(db, division="450000", level=UnitLevel.REGION, name="自治区其他单位"),
        "xingning": make_unit(db, division="450102", name="兴宁区单位"),
        "qingxiu": make_unit(db, division="450103", name="青秀区单位"),
        "nanning_city": make_unit(db, division="450100", level=UnitLevel.CITY, name="南宁市直单位"),
        "liuzhou": make_unit(db, division="450202", name="柳州城中区单位"),
    }
    exam = make_exam_session(db)
    records = {key: make_registration(db, unit=unit, exam=exam, status=S.PENDING_INITIAL)
               for key, unit in units.items()}
    records["approved"] = make_registration(db, unit=units["liuzhou"], exam=exam, status=S.APPROVED)
    return units, exam, records


CASES = {
    "unit_admin": (Role.UNIT_ADMIN, {"unit": "xingning"}, {"xingning"}),
    "county": (Role.COUNTY_REVIEWER, {"division": "450102"}, {"xingning"}),
    "city": (Role.CITY_REVIEWER, {"division": "450100"}, {"xingning", "qingxiu", "nanning_city"}),
    "other_city": (Role.CITY_REVIEWER, {"division": "450200"}, {"liuzhou", "approved"}),
    "dept": (Role.DEPT_REVIEWER, {"unit": "dept"}, {"dept", "dept_child"}),
    "region": (Role.REGION_REVIEWER, {}, None),
    "training": (Role.TRAINING_OPERATOR, {}, {"approved"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_role_sees_exactly_its_jurisdiction_and_lists_are_masked(backend, world, case):
    units, exam, records = world
    role, binding, expected = CASES[case]
    expected = set(records) if expected is None else expected
    user = make_user(backend.database, role=role, unit=units.get(binding.get("unit")),
                     division=binding.get("division"))
    api = Api(backend.client)
    token = api.login(user.username, PASSWORD)

    listed = api.data(LIST, {"s": exam.id}, token=token)["registrations"]
    ids = {e["node"]["id"] for e in listed["edges"]}
    assert ids == {str(records[k].id) for k in expected}
    assert listed["totalCount"] == len(expected)
    for edge in listed["edges"]:
        assert "**********" in edge["node"]["idNumber"] and "****" in edge["node"]["phone"]

    for key, record in records.items():
        detail = api.data(DETAIL, {"id": record.id}, token=token)["registration"]
        if key in expected:
            assert detail == {"id": str(record.id), "idNumber": record.id_number}
        else:
            assert detail is None, f"{case} could see {key}"


def test_units_follow_the_same_jurisdiction(backend, world):
    units, _, _ = world
    api = Api(backend.client)
    county = make_user(backend.database, role=Role.COUNTY_REVIEWER, division="450103")
    names = [e["node"]["name"] for e in
             api.data(UNITS, token=api.login(county.username, PASSWORD))["units"]["edges"]]
    assert names == ["青秀区单位"]
    admin = make_user(backend.database, role=Role.UNIT_ADMIN, unit=units["liuzhou"])
    names = [e["node"]["name"] for e in api.data(UNITS, token=api.login(admin.username, PASSWORD))["units"]["edges"]]
    assert names == ["柳州城中区单位"]
