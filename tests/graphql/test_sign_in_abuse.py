"""Sign-in under abuse: the lockout holds however the guesses arrive, addresses are rate limited,
and a token left unused expires."""

from __future__ import annotations

import contextlib
import threading
import uuid
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.models import AuthToken, Role, User
from app.audit.models import AuditEvent
from app.clock import now
from tests.api import LOGIN, Api, error_codes
from tests.custom_app import client_with, settings_with
from tests.factories import PASSWORD, make_user
from tests.server import live_server

ME = "{ me { username } }"
APPLY = """mutation($i: UnitRegistrationInput!) { applyUnitRegistration(input: $i) { request { id } errors { code message } } }"""


def login_codes(payloads: list[dict]) -> list[str]:
    return [p["errors"][0]["code"] if p["errors"] else "OK" for p in payloads]


def account(db, user_id: int) -> User:  # noqa: ANN001
    with Session(db.engine) as session:
        return session.get(User, user_id)


def audited_logins(db, user_id: int) -> list[AuditEvent]:  # noqa: ANN001
    with Session(db.engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.event == "LOGIN",
                                                          AuditEvent.user_id == user_id)))


def test_guesses_spread_over_aliases_of_one_document_lock_the_account(backend):
    api = Api(backend.client)
    user = make_user(backend.database, role=Role.REGION_REVIEWER)
    guesses = 7  # with the right password: 8 aliases, within the document limits
    fields = " ".join(f'a{i}: login(username: $u, password: "wrong-guess{i}") {{ token errors {{ code }} }}'
                      for i in range(guesses))
    document = (f"mutation($u: String!, $p: String!) {{ {fields} "
                "right: login(username: $u, password: $p) { token errors { code } } }")
    body = api.run(document, {"u": user.username, "p": PASSWORD})

    assert body.get("data"), body
    codes = login_codes([body["data"][f"a{i}"] for i in range(guesses)] + [body["data"]["right"]])
    limit = backend.settings.login_max_failures
    assert codes == ["INVALID_CREDENTIALS"] * (limit - 1) + ["ACCOUNT_LOCKED"] * (guesses + 1 - (limit - 1))
    assert body["data"]["right"]["token"] is None
    assert account(backend.database, user.id).locked_until is not None
    assert len(audited_logins(backend.database, user.id)) == guesses + 1


def test_a_json_batch_of_guesses_is_refused_or_counted(backend):
    user = make_user(backend.database, role=Role.REGION_REVIEWER)
    batch = [{"query": LOGIN, "variables": {"u": user.username, "p": f"wrong-guess{i}"}} for i in range(10)]
    response = backend.client.post("/graphql", json=batch)
    assert response.status_code < 500
    attempts = audited_logins(backend.database, user.id)
    if response.status_code >= 400:
        assert attempts == []
    else:
        assert len(attempts) == 10 and account(backend.database, user.id).locked_until is not None
    if not attempts:
        assert Api(backend.client).login(user.username, PASSWORD)


def test_concurrent_wrong_passwords_lock_after_exactly_the_configured_number(backend):
    """Several API servers (as in production), each with its own event loop, take the guesses at once."""
    user = make_user(backend.database, role=Role.REGION_REVIEWER)
    attempts, limit = 12, backend.settings.login_max_failures
    start = threading.Barrier(attempts)
    answers: list[dict] = []
    guard = threading.Lock()
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(live_server(backend.settings)) for _ in range(3)]

        def guess(i: int) -> None:
            with httpx.Client(timeout=60) as client:
                start.wait()
                reply = client.post(servers[i % len(servers)].graphql_url, json={
                    "query": LOGIN, "variables": {"u": user.username, "p": f"wrong-guess{i}"}})
            with guard:
                answers.append(reply.json()["data"]["login"])

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        right = httpx.post(servers[0].graphql_url, timeout=60,
                           json={"query": LOGIN, "variables": {"u": user.username, "p": PASSWORD}}).json()
        right = right["data"]["login"]

    codes = login_codes(answers)
    assert len(codes) == attempts
    assert codes.count("INVALID_CREDENTIALS") == limit - 1
    assert codes.count("ACCOUNT_LOCKED") == attempts - (limit - 1)
    assert right["token"] is None and right["errors"][0]["code"] == "ACCOUNT_LOCKED"
    locked = account(backend.database, user.id)
    assert locked.locked_until > now() and locked.failed_logins == 0
    assert len(audited_logins(backend.database, user.id)) == attempts + 1


def test_login_is_rate_limited_per_client_address(backend):
    user = make_user(backend.database, role=Role.REGION_REVIEWER)
    noisy, quiet = f"noisy-{uuid.uuid4().hex}", f"quiet-{uuid.uuid4().hex}"
    with client_with(backend, login_rate_limit="3/minute", login_max_failures=100,
                     trusted_proxies=["testclient"]) as client:
        def login(address: str, password: str) -> dict:
            return client.post("/graphql", json={"query": LOGIN, "variables": {"u": user.username, "p": password}},
                               headers={"X-Forwarded-For": address}).json()["data"]["login"]

        first = [login(noisy, "wrong-guess1") for _ in range(3)]
        limited = login(noisy, PASSWORD)
        other = login(quiet, PASSWORD)

    assert login_codes(first) == ["INVALID_CREDENTIALS"] * 3
    assert limited["token"] is None and limited["errors"][0]["code"] == "RATE_LIMITED"
    assert "过于频繁" in limited["errors"][0]["message"] and "后再试" in limited["errors"][0]["message"]
    assert other["token"]
    with Session(backend.database.engine) as session:  # refused before the account is even looked up
        refused = list(session.exec(select(AuditEvent).where(AuditEvent.error_code == "RATE_LIMITED",
                                                             AuditEvent.username == user.username)))
    assert [(r.client_address, r.result) for r in refused] == [(noisy, "FAILURE")]


def test_unit_applications_are_rate_limited_per_client_address(backend):
    def application(i: int) -> dict:
        return {"unitName": f"限流测试单位{i}", "creditCode": "not-a-code", "divisionCode": "450102",
                "admin": {"name": "韦申请", "idNumber": "450102198001010011", "phone": "13800138000"}}

    address = f"applicant-{uuid.uuid4().hex}"
    with client_with(backend, unit_application_rate_limit="2/hour", trusted_proxies=["testclient"]) as client:
        answers = [client.post("/graphql", json={"query": APPLY, "variables": {"i": application(i)}},
                               headers={"X-Forwarded-For": address}).json()["data"]["applyUnitRegistration"]
                   for i in range(3)]
    assert all(a["errors"][0]["code"] != "RATE_LIMITED" for a in answers[:2])
    assert answers[2]["errors"][0]["code"] == "RATE_LIMITED" and "后再试" in answers[2]["errors"][0]["message"]


def test_a_token_unused_for_the_idle_time_is_refused(backend):
    db = backend.database
    api = Api(backend.client)
    user = make_user(db, role=Role.REGION_REVIEWER)
    token = api.login(user.username, PASSWORD)
    idle = timedelta(minutes=backend.settings.token_idle_minutes)

    def last_used() -> object:
        with Session(db.engine) as session:
            return session.exec(select(AuthToken.last_used_at).where(AuthToken.user_id == user.id)).one()

    def set_last_used(moment) -> None:  # noqa: ANN001
        with db.transaction() as session:
            session.execute(sa.update(AuthToken).where(AuthToken.user_id == user.id).values(last_used_at=moment))

    # a use is recorded, but at most once a minute
    set_last_used(now() - idle + timedelta(minutes=2))
    assert api.data(ME, token=token)["me"]["username"] == user.username
    touched = last_used()
    assert touched > now() - timedelta(minutes=1)
    api.data(ME, token=token)
    assert last_used() == touched

    set_last_used(now() - idle - timedelta(seconds=1))
    body = api.run(ME, token=token)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert "长时间未操作" in body["errors"][0]["message"]
    assert api.data(ME, token=api.login(user.username, PASSWORD))["me"]["username"] == user.username


def test_idle_time_is_a_setting(backend):
    assert settings_with(backend, token_idle_minutes=5).token_idle_minutes == 5
    assert backend.settings.token_idle_minutes == 30
