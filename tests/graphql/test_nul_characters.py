"""A NUL character (U+0000) in any text argument is refused before a resolver runs, on both databases.

Found by tests/fuzz/test_graphql_fuzz.py: `login(username: "\\u0000")` reached PostgreSQL, which refuses
NUL in text, and came back as INTERNAL_SERVER_ERROR (SQLite stored such values silently).
"""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import Role
from tests.api import LOGIN, Api, error_codes
from tests.factories import PASSWORD, candidate, make_exam_session, make_unit, make_user

CREATE = """mutation($i: RegistrationInput!) { createRegistration(input: $i) { registration { id } errors { code } } }"""
SEARCH = """query { units(search: "局\\u0000") { totalCount } }"""


def refused(body: dict) -> str:
    assert body.get("data") is None and error_codes(body) == ["BAD_REQUEST"], body
    message = body["errors"][0]["message"]
    assert "空字符" in message, message
    return message


def test_nul_in_variables_and_literals_is_a_bad_request(backend):
    api = Api(backend.client)
    unit = make_unit(backend.database)
    admin = make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit)
    exam = make_exam_session(backend.database)

    # sign-in: in a variable and in the document itself
    refused(api.run(LOGIN, {"u": admin.username + "\x00", "p": PASSWORD}))
    refused(api.run('mutation { login(username: "\\u0000", password: "x") { token errors { code } } }'))
    token = api.login(admin.username, PASSWORD)  # the account is not locked or counted by them

    # a nested input field and a search argument
    refused(api.run(CREATE, {"i": candidate(sessionId=exam.id, remarks="备注\x00")}, token=token))
    refused(api.run(SEARCH, token=token))
    with backend.database.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM registration")).scalar_one() == 0

    # the same text without the NUL is fine
    created = api.data(CREATE, {"i": candidate(sessionId=exam.id, remarks="备注")}, token=token)["createRegistration"]
    assert created["errors"] == [] and created["registration"]["id"]
