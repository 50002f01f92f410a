"""The first session of a new unit administrator, end to end, on both backends."""

from __future__ import annotations

from app.accounts.models import Role
from tests.api import LOGIN, Api, error_codes
from tests.factories import candidate, make_exam_session, make_unit, make_user

CREATE = """
mutation Create($input: RegistrationInput!) {
  createRegistration(input: $input) {
    registration { id status name idNumber phone unit { name } history { action toStatus actor { username } } }
    errors { code field message }
  }
}"""
LIST = """
query List($sessionId: ID!) {
  registrations(sessionId: $sessionId, first: 20) {
    totalCount
    edges { cursor node { id name idNumber phone status unit { id name } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
DETAIL = "query One($id: ID!) { registration(id: $id) { id name idNumber phone } }"
CHANGE_PASSWORD = """
mutation Change($old: String!, $new: String!) {
  changePassword(oldPassword: $old, newPassword: $new) { user { mustChangePassword } errors { code field message } }
}"""


def test_new_admin_changes_password_registers_and_stays_private(backend):
    # given a unit admin migrated with the initial password, and an open session
    api = Api(backend.client)
    unit = make_unit(backend.database, name="南宁市兴宁区市场监督管理局")
    admin = make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit, password=None)
    exam = make_exam_session(backend.database)
    assert admin.username.endswith(admin.birth_date.strftime("%Y%m%d"))

    # when they sign in with 8888 they must change the password before anything else
    login = api.data(LOGIN, {"u": admin.username, "p": "8888"})["login"]
    token = login["token"]
    assert login["user"]["mustChangePassword"] is True
    blocked = api.run(CREATE, {"input": candidate(sessionId=exam.id)}, token=token)
    assert error_codes(blocked) == ["PASSWORD_CHANGE_REQUIRED"]
    assert "修改初始密码" in blocked["errors"][0]["message"]

    weak = api.data(CHANGE_PASSWORD, {"old": "8888", "new": "8888"}, token=token)["changePassword"]
    assert {e["code"] for e in weak["errors"]} == {"WEAK_PASSWORD"}
    assert any("至少需要8位" in e["message"] for e in weak["errors"])
    changed = api.data(CHANGE_PASSWORD, {"old": "8888", "new": "Xingning2026"}, token=token)["changePassword"]
    assert changed == {"user": {"mustChangePassword": False}, "errors": []}

    # a bad ID number is explained, and nothing is written
    person = candidate(sessionId=exam.id)
    bad_id = person["idNumber"][:-1] + ("0" if person["idNumber"][-1] != "0" else "1")
    rejected = api.data(CREATE, {"input": {**person, "idNumber": bad_id}}, token=token)["createRegistration"]
    assert rejected["registration"] is None
    assert rejected["errors"] == [{
        "code": "INVALID_ID_NUMBER", "field": "idNumber",
        "message": "身份证号码校验位不正确（最后一位与前17位不符），请逐位核对",
    }]

    # fixed, it is saved as a draft with its history
    created = api.data(CREATE, {"input": person}, token=token)["createRegistration"]
    assert created["errors"] == []
    record = created["registration"]
    assert record["status"] == "DRAFT" and record["idNumber"] == person["idNumber"]
    assert record["unit"]["name"] == "南宁市兴宁区市场监督管理局"
    assert record["history"] == [{"action": "CREATE", "toStatus": "DRAFT", "actor": {"username": admin.username}}]

    # the list shows it masked, the detail view in full
    listed = api.data(LIST, {"sessionId": exam.id}, token=token)["registrations"]
    assert listed["totalCount"] == 1
    node = listed["edges"][0]["node"]
    assert node["idNumber"] == person["idNumber"][:4] + "*" * 10 + person["idNumber"][-4:]
    assert node["phone"] == person["phone"][:3] + "****" + person["phone"][-4:]
    detail = api.data(DETAIL, {"id": record["id"]}, token=token)["registration"]
    assert detail["idNumber"] == person["idNumber"] and detail["phone"] == person["phone"]

    # another unit's admin cannot see or touch it
    other_unit = make_unit(backend.database, division="450103")
    other = make_user(backend.database, role=Role.UNIT_ADMIN, unit=other_unit)
    other_token = api.login(other.username, "Passw0rd2026")
    assert api.data(LIST, {"sessionId": exam.id}, token=other_token)["registrations"]["totalCount"] == 0
    assert api.data(DETAIL, {"id": record["id"]}, token=other_token)["registration"] is None
    update = api.data(
        "mutation($id: ID!) { updateRegistration(id: $id, input: {name: \"李四\"}) { errors { code field } } }",
        {"id": record["id"]}, token=other_token,
    )["updateRegistration"]
    assert update["errors"] == [{"code": "NOT_FOUND", "field": "id"}]
    assert api.data(DETAIL, {"id": record["id"]}, token=token)["registration"]["name"] == person["name"]
