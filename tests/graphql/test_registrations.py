"""One-by-one registration rules through the API."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import Role
from app.clock import now
from app.registrations.models import RegistrationStatus as S
from tests.api import Api, error_codes
from tests.factories import PASSWORD, candidate, make_exam_session, make_registration, make_unit, make_user
from tests.graphql.test_query_count import counted

CREATE = """mutation($i: RegistrationInput!) { createRegistration(input: $i) {
  registration { id status examType certificateNumber } errors { code field message } } }"""
UPDATE = """mutation($id: ID!, $i: RegistrationInput!) { updateRegistration(id: $id, input: $i) {
  registration { id status name } errors { code field message } } }"""
DELETE = "mutation($id: ID!) { deleteRegistration(id: $id) { deletedId errors { code message } } }"
LIST = """query($s: ID!, $f: RegistrationFilterInput, $first: Int, $after: String) {
  registrations(sessionId: $s, filter: $f, first: $first, after: $after) {
    totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor hasPreviousPage } } }"""


def admin_of(backend, division: str = "450102"):
    unit = make_unit(backend.database, division=division)
    admin = make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit)
    return unit, Api(backend.client).login(admin.username, PASSWORD)


def test_every_problem_of_a_form_is_reported_in_chinese(backend):
    api = Api(backend.client)
    _, token = admin_of(backend)
    exam = make_exam_session(backend.database)
    person = candidate(sessionId=exam.id)
    wrong_gender = "FEMALE" if person["gender"] == "MALE" else "MALE"
    form = {**person, "name": "", "gender": wrong_gender, "ethnicity": "火星族", "phone": "1234",
            "examType": "RENEWAL", "certificateNumber": None, "education": "幼儿园", "workStartDate": "2099-01-01"}
    errors = api.data(CREATE, {"i": form}, token=token)["createRegistration"]["errors"]
    by_field = {e["field"]: e for e in errors}
    assert set(by_field) == {"name", "gender", "ethnicity", "phone", "certificateNumber", "education",
                             "workStartDate"}
    assert by_field["name"]["code"] == "REQUIRED"
    assert by_field["gender"]["code"] == "ID_NUMBER_MISMATCH" and "身份证号码显示为" in by_field["gender"]["message"]
    assert by_field["certificateNumber"]["code"] == "CERTIFICATE_REQUIRED"
    assert "下拉列表" in by_field["ethnicity"]["message"]
    assert all(e["message"] for e in errors)


def test_values_are_normalised_the_way_users_type_them(backend):
    api = Api(backend.client)
    _, token = admin_of(backend)
    exam = make_exam_session(backend.database)
    person = candidate(sessionId=exam.id, examType="RENEWAL", certificateNumber="ＧＸ１２３４５６")
    spaced = {**person, "idNumber": " " + person["idNumber"].replace("X", "x") + "\u3000",
              "phone": "１" + person["phone"][1:], "name": f"\u3000{person['name']} "}
    created = api.data(CREATE, {"i": spaced}, token=token)["createRegistration"]
    assert created["errors"] == []
    assert created["registration"]["certificateNumber"] == "GX123456"


def test_duplicate_id_number_names_the_other_unit(backend):
    api = Api(backend.client)
    _, token = admin_of(backend)
    other_unit, other_token = admin_of(backend, "450103")
    exam = make_exam_session(backend.database)
    person = candidate(sessionId=exam.id)
    assert api.data(CREATE, {"i": person}, token=other_token)["createRegistration"]["errors"] == []
    again_here = api.data(CREATE, {"i": person}, token=other_token)["createRegistration"]["errors"]
    assert again_here[0]["code"] == "DUPLICATE_ID_NUMBER" and "本单位" in again_here[0]["message"]
    elsewhere = api.data(CREATE, {"i": person}, token=token)["createRegistration"]["errors"]
    assert elsewhere[0]["code"] == "DUPLICATE_ID_NUMBER" and other_unit.name in elsewhere[0]["message"]
    # the same person may register for another session
    next_exam = make_exam_session(backend.database)
    assert api.data(CREATE, {"i": {**person, "sessionId": next_exam.id}}, token=token)["createRegistration"][
        "errors"] == []


def test_editing_follows_the_states_and_the_window(backend):
    api = Api(backend.client)
    unit, token = admin_of(backend)
    exam = make_exam_session(backend.database)
    final = make_registration(backend.database, unit=unit, exam=exam, status=S.PENDING_FINAL)
    edited = api.data(UPDATE, {"id": final.id, "i": {"name": "韦小宝"}}, token=token)["updateRegistration"]
    assert edited["errors"] == [] and edited["registration"] == {"id": str(final.id), "status": "PENDING_INITIAL",
                                                                  "name": "韦小宝"}
    approved = make_registration(backend.database, unit=unit, exam=exam, status=S.APPROVED)
    refused = api.data(UPDATE, {"id": approved.id, "i": {"name": "韦小宝"}}, token=token)["updateRegistration"]
    assert refused["errors"][0]["code"] == "INVALID_STATE" and "申请回退" in refused["errors"][0]["message"]
    pending = make_registration(backend.database, unit=unit, exam=exam, status=S.PENDING_INITIAL)
    assert api.data(DELETE, {"id": pending.id}, token=token)["deleteRegistration"]["errors"][0]["code"] \
        == "INVALID_STATE"
    draft = make_registration(backend.database, unit=unit, exam=exam)
    assert api.data(DELETE, {"id": draft.id}, token=token)["deleteRegistration"] == {
        "deletedId": str(draft.id), "errors": []}

    closed = make_exam_session(backend.database, open=False)
    late = make_registration(backend.database, unit=unit, exam=closed)
    for body in (api.data(CREATE, {"i": candidate(sessionId=closed.id)}, token=token)["createRegistration"],
                 api.data(UPDATE, {"id": late.id, "i": {"name": "韦小宝"}}, token=token)["updateRegistration"]):
        assert body["errors"][0]["code"] == "WINDOW_CLOSED" and "报名时间" in body["errors"][0]["message"]


def test_reviewers_and_operators_cannot_write_registrations(backend):
    api = Api(backend.client)
    exam = make_exam_session(backend.database)
    reviewer = make_user(backend.database, role=Role.REGION_REVIEWER)
    token = api.login(reviewer.username, PASSWORD)
    assert error_codes(api.run(CREATE, {"i": candidate(sessionId=exam.id)}, token=token)) == ["FORBIDDEN"]


def test_pagination_filters_and_search(backend):
    api = Api(backend.client)
    unit, token = admin_of(backend)
    exam = make_exam_session(backend.database)
    made = [make_registration(backend.database, unit=unit, exam=exam, name=f"测试{'甲乙丙丁戊己庚辛壬癸'[i]}")
            for i in range(10)]
    make_registration(backend.database, unit=unit, exam=exam, status=S.RETURNED, name="退回者",
                      exam_type="RENEWAL", certificate_number="GX0001")
    seen, after = [], None
    while True:
        page = api.data(LIST, {"s": exam.id, "first": 4, "after": after}, token=token)["registrations"]
        assert page["totalCount"] == 11
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 11 == len(set(seen))
    returned = api.data(LIST, {"s": exam.id, "f": {"statuses": ["RETURNED"]}}, token=token)["registrations"]
    assert [e["node"]["name"] for e in returned["edges"]] == ["退回者"]
    renewal = api.data(LIST, {"s": exam.id, "f": {"examType": "RENEWAL"}}, token=token)["registrations"]
    assert renewal["totalCount"] == 1
    by_name = api.data(LIST, {"s": exam.id, "f": {"search": "测试甲"}}, token=token)["registrations"]
    assert by_name["totalCount"] == 1
    tail = made[3].id_number[-6:]
    by_id = api.data(LIST, {"s": exam.id, "f": {"search": tail}}, token=token)["registrations"]
    assert str(made[3].id) in [e["node"]["id"] for e in by_id["edges"]]
    assert api.data(LIST, {"s": exam.id, "f": {"search": "%"}}, token=token)["registrations"]["totalCount"] == 0
    too_many = api.run(LIST, {"s": exam.id, "first": 101}, token=token)
    # refused before the resolver runs (tests/security has the details)
    assert error_codes(too_many) == ["PAGE_SIZE_TOO_LARGE"] and "最多 100" in too_many["errors"][0]["message"]
    too_few = api.run(LIST, {"s": exam.id, "first": 0}, token=token)
    assert error_codes(too_few) == ["INVALID"] and "1到100" in too_few["errors"][0]["message"]
    bad_cursor = api.run(LIST, {"s": exam.id, "after": "not-a-cursor"}, token=token)
    assert error_codes(bad_cursor) == ["INVALID"]


def test_unique_id_number_per_session_holds_in_the_database(backend):
    unit = make_unit(backend.database)
    exam = make_exam_session(backend.database)
    first = make_registration(backend.database, unit=unit, exam=exam)
    try:
        make_registration(backend.database, unit=make_unit(backend.database), exam=exam, id_number=first.id_number)
    except sa.exc.IntegrityError:
        return
    raise AssertionError("the database accepted a second registration of the same ID number")


REGISTRATION_FIELDS = {  # every field of Registration, with a selection under the objects
    "id": "", "sessionId": "", "status": "", "name": "", "gender": "", "ethnicity": "", "idNumber": "",
    "politicalStatus": "", "education": "", "major": "", "phone": "", "position": "", "enforcementField": "",
    "examType": "", "certificateNumber": "", "personnelNature": "", "workStartDate": "", "remarks": "",
    "rollbackUsed": "", "dueAt": "", "overdue": "", "createdAt": "", "updatedAt": "",
    "blockers": "{ code field message }", "photo": "{ status }", "unit": "{ id name }",
    "history": "{ action toStatus actor { username } }",
}


def test_a_list_loads_only_the_columns_it_shows_and_shows_each_field_as_a_full_row_does(backend):
    """A page selects only the columns of the fields asked for (fragments included); each field alone,
    or through a fragment, answers what it answers beside all the others (which load every column)."""
    db = backend.database
    exam = make_exam_session(db)
    unit = make_unit(db)
    for status in (S.DRAFT, S.PENDING_INITIAL, S.PENDING_FINAL, S.APPROVED):
        make_registration(db, unit=unit, exam=exam, status=status, position="科员", major="法学",
                          due_at=now() + timedelta(days=-1 if status == S.PENDING_INITIAL else 2)
                          if status in (S.PENDING_INITIAL, S.PENDING_FINAL) else None)
    token = Api(backend.client).login(make_user(db, role=Role.REGION_REVIEWER).username, PASSWORD)
    api = Api(backend.client)
    selection = " ".join(f"{name} {inner}" for name, inner in REGISTRATION_FIELDS.items())
    full = api.data(f"query($s: ID!) {{ registrations(sessionId: $s) {{ edges {{ node {{ {selection} }} }} }} }}",
                    {"s": exam.id}, token=token)["registrations"]["edges"]
    assert len(full) == 4 and any(e["node"]["overdue"] for e in full)
    assert all("*" in e["node"]["idNumber"] and "*" in e["node"]["phone"] for e in full)
    for name, inner in REGISTRATION_FIELDS.items():
        for query in (
            f"query($s: ID!) {{ registrations(sessionId: $s) {{ edges {{ node {{ {name} {inner} }} }} }} }}",
            f"query($s: ID!) {{ registrations(sessionId: $s) {{ ...Page }} }} "
            f"fragment Page on RegistrationConnection {{ edges {{ node {{ ... on Registration {{ ...Field }} }} }} }} "
            f"fragment Field on Registration {{ {name} {inner} }}",
        ):
            alone = api.data(query, {"s": exam.id}, token=token)["registrations"]["edges"]
            assert [e["node"][name] for e in alone] == [e["node"][name] for e in full], name

    with counted(db.engine) as statements:
        api.data("query($s: ID!) { registrations(sessionId: $s) { edges { node { name overdue unit { name } } } } }",
                 {"s": exam.id}, token=token)
    page = next(s for s in statements if "ORDER BY" in s)
    assert "due_at" in page and "id_number" not in page and "remarks" not in page and "unit.name" in page
    assert not any(s.lstrip().startswith("SELECT unit.") for s in statements)  # the name came with the rows
