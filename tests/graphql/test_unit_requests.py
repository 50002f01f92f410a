"""New units register themselves; admin changes and renames are decided by operators."""

from __future__ import annotations

import sqlalchemy as sa
from stdnum.cn import ric, uscc

from app.accounts.models import Role
from tests.api import LOGIN, Api, error_codes
from tests.factories import PASSWORD, make_unit, make_user

APPLY = """mutation($i: UnitRegistrationInput!) { applyUnitRegistration(input: $i) {
  request { id kind status unitName adminName adminIdNumber adminPhone dueAt } errors { code field message } } }"""
CHANGE = """mutation($i: AdminChangeInput!) { requestAdminChange(input: $i) {
  request { id kind status newUnitName } errors { code field message } } }"""
DECIDE = """mutation($id: ID!, $a: Boolean!, $c: String) { reviewUnitRequest(id: $id, approve: $a, comment: $c) {
  request { id status unitId comment } errors { code field message } } }"""
LIST = "query($s: UnitRequestStatus) { unitRequests(status: $s) { totalCount edges { node { id kind status } } } }"


def id_number(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def credit_code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


def last_sms(backend, phone: str) -> dict:
    with backend.database.engine.connect() as connection:
        row = connection.execute(sa.text(
            "SELECT template, params FROM smsmessage WHERE phone = :p ORDER BY id DESC"), {"p": phone}).first()
    params = row[1] if isinstance(row[1], dict) else __import__("json").loads(row[1])
    return {"template": row[0], **params}


def test_a_new_unit_registers_and_its_admin_signs_in(backend):
    api = Api(backend.client)
    form = {"unitName": "南宁市青秀区文化市场综合行政执法大队", "creditCode": credit_code("12450103MB0123456"),
            "divisionCode": "450103",
            "admin": {"name": "黄小明", "birthDate": "1985-06-15", "idNumber": id_number("45010319850615003"),
                      "phone": "13977112345"}}
    bad = api.data(APPLY, {"i": {**form, "creditCode": "123", "admin": {**form["admin"], "birthDate": "1985-06-16",
                                                                         "phone": "1234"}}})["applyUnitRegistration"]
    assert {e["field"] for e in bad["errors"]} == {"creditCode", "adminBirthDate", "adminPhone"}
    filed = api.data(APPLY, {"i": form})["applyUnitRegistration"]
    assert filed["errors"] == [] and filed["request"]["status"] == "PENDING" and filed["request"]["dueAt"]
    assert filed["request"]["adminIdNumber"].count("*") == 10 and filed["request"]["adminPhone"] == "139****2345"
    again = api.data(APPLY, {"i": form})["applyUnitRegistration"]
    assert again["errors"][0]["code"] == "DUPLICATE" and "审核中" in again["errors"][0]["message"]

    operator = api.login(make_user(backend.database, role=Role.SUPERADMIN).username, PASSWORD)
    assert api.data(LIST, {"s": "PENDING"}, token=operator)["unitRequests"]["totalCount"] == 1
    approved = api.data(DECIDE, {"id": filed["request"]["id"], "a": True}, token=operator)["reviewUnitRequest"]
    assert approved["errors"] == [] and approved["request"]["unitId"]
    twice = api.data(DECIDE, {"id": filed["request"]["id"], "a": True}, token=operator)["reviewUnitRequest"]
    assert twice["errors"][0]["code"] == "INVALID_STATE"

    sms = last_sms(backend, "13977112345")
    assert sms["template"] == "UNIT_REGISTERED" and sms["username"] == "黄小明19850615"
    login = api.data(LOGIN, {"u": sms["username"], "p": sms["password"]})["login"]
    assert login["user"]["mustChangePassword"] is True
    me = api.data("{ me { unit { name } } }", token=login["token"])["me"]
    assert me["unit"]["name"] == form["unitName"]
    assert error_codes(api.run(LIST, token=api.login(make_user(backend.database, role=Role.CITY_REVIEWER,
                                                               division="450100").username, PASSWORD))) == ["FORBIDDEN"]


def test_admin_change_replaces_the_old_admin_and_a_rejection_says_why(backend):
    api = Api(backend.client)
    unit = make_unit(backend.database, name="柳州市城中区市场监督管理局", division="450202")
    old = make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit)
    old_token = api.login(old.username, PASSWORD)
    operator = api.login(make_user(backend.database, role=Role.SUPERADMIN).username, PASSWORD)

    rename = api.data(CHANGE, {"i": {"newUnitName": "柳州市城中区市场监管局"}}, token=old_token)["requestAdminChange"]
    assert rename["request"]["kind"] == "UNIT_RENAME"
    pending = api.data(CHANGE, {"i": {"newUnitName": "另一个名字"}}, token=old_token)["requestAdminChange"]
    assert pending["errors"][0]["code"] == "DUPLICATE"
    api.data(DECIDE, {"id": rename["request"]["id"], "a": False, "c": "名称与三定方案不一致"}, token=operator)
    assert last_sms(backend, old.mobile)["reason"] == "名称与三定方案不一致"

    new_admin = {"name": "覃丽", "idNumber": id_number("45020219900101002"), "phone": "13877200000"}
    change = api.data(CHANGE, {"i": {"admin": new_admin}}, token=old_token)["requestAdminChange"]
    assert change["errors"] == [] and change["request"]["kind"] == "ADMIN_CHANGE"
    assert api.data(LIST, token=old_token)["unitRequests"]["totalCount"] == 2  # their own unit's requests
    api.data(DECIDE, {"id": change["request"]["id"], "a": True}, token=operator)

    assert error_codes(api.run("{ me { username } }", token=old_token)) == ["UNAUTHENTICATED"]
    assert api.data(LOGIN, {"u": old.username, "p": PASSWORD})["login"]["token"] is None
    sms = last_sms(backend, "13877200000")
    assert sms["template"] == "ADMIN_CHANGED" and sms["username"] == "覃丽19900101"
    assert api.data(LOGIN, {"u": "覃丽19900101", "p": sms["password"]})["login"]["token"]
