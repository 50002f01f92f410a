"""Sign-in, tokens, passwords, profiles and operator-created accounts."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import AuthToken, Role
from app.clock import now
from tests.api import LOGIN, Api, error_codes
from tests.factories import PASSWORD, make_unit, make_user

ME = "{ me { username role name mustChangePassword mobile unit { name } } }"


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(backend):
    api = Api(backend.client)
    user = make_user(backend.database, role=Role.REGION_REVIEWER)
    for _ in range(4):
        payload = api.data(LOGIN, {"u": user.username, "p": "wrong-password1"})["login"]
        assert payload["errors"][0]["code"] == "INVALID_CREDENTIALS"
    fifth = api.data(LOGIN, {"u": user.username, "p": "wrong-password1"})["login"]
    assert fifth["errors"][0]["code"] == "ACCOUNT_LOCKED"
    locked = api.data(LOGIN, {"u": user.username, "p": PASSWORD})["login"]
    assert locked["token"] is None and locked["errors"][0]["code"] == "ACCOUNT_LOCKED"
    assert "锁定" in locked["errors"][0]["message"]

    # after 15 minutes the right password works again
    with backend.database.transaction() as session:
        session.execute(sa.text("UPDATE app_user SET locked_until = :t WHERE id = :i"),
                        {"t": (now() - timedelta(minutes=1)).replace(tzinfo=None), "i": user.id})
    assert api.data(LOGIN, {"u": user.username, "p": PASSWORD})["login"]["token"]


def test_unknown_user_and_wrong_password_look_the_same(backend):
    api = Api(backend.client)
    user = make_user(backend.database, role=Role.REGION_REVIEWER)
    unknown = api.data(LOGIN, {"u": "nobody-here", "p": "whatever1"})["login"]["errors"]
    wrong = api.data(LOGIN, {"u": user.username, "p": "whatever1"})["login"]["errors"]
    assert unknown == wrong


def test_logout_revokes_the_token_and_expired_or_forged_tokens_are_refused(backend):
    api = Api(backend.client)
    user = make_user(backend.database, role=Role.REGION_REVIEWER)
    token = api.login(user.username, PASSWORD)
    assert api.data(ME, token=token)["me"]["username"] == user.username

    assert api.data("mutation { logout { ok errors { code } } }", token=token)["logout"] == {"ok": True, "errors": []}
    assert error_codes(api.run(ME, token=token)) == ["UNAUTHENTICATED"]

    expiring = api.login(user.username, PASSWORD)
    with backend.database.transaction() as session:
        session.execute(sa.update(AuthToken).values(expires_at=now() - timedelta(seconds=1)))
    assert error_codes(api.run(ME, token=expiring)) == ["UNAUTHENTICATED"]
    for forged in ("forged", "x" * 5000, "Ｔｏｋｅｎ", "' OR 1=1 --"):
        assert error_codes(api.run(ME, token=forged)) == ["UNAUTHENTICATED"]


def test_new_password_rules_and_other_sessions_end(backend):
    api = Api(backend.client)
    admin = make_user(backend.database, role=Role.UNIT_ADMIN, unit=make_unit(backend.database))
    first = api.login(admin.username, PASSWORD)
    second = api.login(admin.username, PASSWORD)
    change = """mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) {
        errors { code field message } } }"""
    wrong_old = api.data(change, {"o": "nope", "n": "Abcdefg123"}, token=first)["changePassword"]["errors"]
    assert wrong_old[0]["code"] == "WRONG_PASSWORD" and wrong_old[0]["field"] == "oldPassword"
    for weak, reason in [("abc123", "至少需要8位"), ("abcdefghij", "字母和数字"), ("1234567890", "字母和数字"),
                         (f"x{admin.username}1", "不能包含用户名")]:
        errors = api.data(change, {"o": PASSWORD, "n": weak}, token=first)["changePassword"]["errors"]
        assert any(reason in e["message"] for e in errors), (weak, errors)
    assert api.data(change, {"o": PASSWORD, "n": "Brand2026new"}, token=first)["changePassword"]["errors"] == []
    assert api.data(ME, token=first)["me"]["username"] == admin.username
    assert error_codes(api.run(ME, token=second)) == ["UNAUTHENTICATED"]
    assert api.data(LOGIN, {"u": admin.username, "p": PASSWORD})["login"]["token"] is None
    assert api.login(admin.username, "Brand2026new")


def test_profile_changes_only_contact_details(backend):
    api = Api(backend.client)
    admin = make_user(backend.database, role=Role.UNIT_ADMIN, unit=make_unit(backend.database, name="某某执法局"))
    token = api.login(admin.username, PASSWORD)
    update = """mutation($i: ProfileInput!) { updateProfile(input: $i) {
        user { mobile officePhone email name } errors { code field message } } }"""
    bad = api.data(update, {"i": {"mobile": "12345", "email": "not-an-email"}}, token=token)["updateProfile"]
    assert {e["field"] for e in bad["errors"]} == {"mobile", "email"}
    good = api.data(update, {"i": {"mobile": "１３９００１３９０００", "officePhone": "0771-5770807",
                                   "email": "admin@example.gov.cn"}}, token=token)["updateProfile"]
    assert good["errors"] == []
    assert good["user"] == {"mobile": "13900139000", "officePhone": "0771-5770807",
                            "email": "admin@example.gov.cn", "name": admin.name}
    assert api.data(ME, token=token)["me"]["unit"] == {"name": "某某执法局"}
    # name, birth date and ID number are not part of the profile input at all
    assert error_codes(api.run('mutation { updateProfile(input: {name: "X"}) { errors { code } } }', token=token)) \
        == ["BAD_REQUEST"]


def test_operators_create_sessions_units_and_accounts_others_may_not(backend):
    api = Api(backend.client)
    operator = make_user(backend.database, role=Role.SUPERADMIN)
    reviewer = make_user(backend.database, role=Role.CITY_REVIEWER, division="450100")
    op_token = api.login(operator.username, PASSWORD)
    reviewer_token = api.login(reviewer.username, PASSWORD)

    create_session = """mutation($i: CreateExamSessionInput!) { createExamSession(input: $i) {
        examSession { id name isOpen } errors { code field message } } }"""
    window = {"name": "2027年全区行政执法人员资格考试", "opensAt": "2027-03-01T08:00:00+08:00",
              "closesAt": "2027-03-31T18:00:00+08:00"}
    assert error_codes(api.run(create_session, {"i": window}, token=reviewer_token)) == ["FORBIDDEN"]
    made = api.data(create_session, {"i": window}, token=op_token)["createExamSession"]
    assert made["errors"] == [] and made["examSession"]["isOpen"] is False
    again = api.data(create_session, {"i": window}, token=op_token)["createExamSession"]
    assert again["errors"][0]["code"] == "DUPLICATE"
    backwards = api.data(create_session, {"i": {**window, "name": "x", "closesAt": "2027-02-01T00:00:00+08:00"}},
                         token=op_token)["createExamSession"]
    assert backwards["errors"][0]["field"] == "closesAt"

    create_unit = """mutation($i: CreateUnitInput!) { createUnit(input: $i) {
        unit { id name level divisionCode cityCode } errors { code field message } } }"""
    unit_input = {"name": "南宁市青秀区农业农村局", "creditCode": "11450103MB0000000X", "divisionCode": "450103",
                  "level": "COUNTY"}
    bad_code = api.data(create_unit, {"i": unit_input}, token=op_token)["createUnit"]
    assert bad_code["errors"][0]["code"] == "INVALID_CREDIT_CODE"
    from stdnum.cn import uscc
    code = "11450103MB000000" + "1"
    code += uscc.calc_check_digit(code)
    wrong_level = api.data(create_unit, {"i": {**unit_input, "creditCode": code, "divisionCode": "450100"}},
                           token=op_token)["createUnit"]
    assert wrong_level["errors"][0]["field"] == "divisionCode"
    unit = api.data(create_unit, {"i": {**unit_input, "creditCode": code}}, token=op_token)["createUnit"]
    assert unit["errors"] == [] and unit["unit"]["cityCode"] == "450100"
    assert error_codes(api.run(create_unit, {"i": unit_input}, token=reviewer_token)) == ["FORBIDDEN"]

    create_user = """mutation($i: CreateUserInput!) { createUser(input: $i) {
        user { username role mustChangePassword unit { name } } errors { code field message } } }"""
    admin_input = {"role": "UNIT_ADMIN", "name": "张三", "idNumber": "450103197805090012",
                   "unitId": unit["unit"]["id"]}
    from stdnum.cn import ric
    admin_input["idNumber"] = admin_input["idNumber"][:17] + ric.calc_check_digit(admin_input["idNumber"])
    admin = api.data(create_user, {"i": admin_input}, token=op_token)["createUser"]
    assert admin["errors"] == []
    assert admin["user"] == {"username": "张三19780509", "role": "UNIT_ADMIN", "mustChangePassword": True,
                             "unit": {"name": "南宁市青秀区农业农村局"}}
    second_admin = api.data(create_user, {"i": {**admin_input, "name": "李四"}}, token=op_token)["createUser"]
    assert second_admin["errors"][0]["code"] == "DUPLICATE"
    county = api.data(create_user, {"i": {"role": "COUNTY_REVIEWER", "name": "审核员", "username": "qx_reviewer",
                                          "divisionCode": "450100"}}, token=op_token)["createUser"]
    assert county["errors"][0]["field"] == "divisionCode"
    assert api.login("张三19780509", "8888")
