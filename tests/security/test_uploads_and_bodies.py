"""Uploads need a header a cross-site form cannot send; no cookie is ever set; request bodies
over their limit are refused while they arrive, before the application holds them."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

from app.accounts.models import Role
from app.asgi import create_app
from tests.api import Api, error_codes
from tests.factories import PASSWORD, make_exam_session, make_unit, make_user
from tests.imports.support import filled_template
from tests.security.support import app_client
from tests.server import serving

IMPORT = """mutation($s: ID!, $f: Upload!) { importRegistrations(sessionId: $s, file: $f) {
  job { id status } errors { code message } } }"""
MIB = 1 << 20


def jobs(backend) -> int:
    with backend.database.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM job")).scalar_one()


def test_uploads_without_the_preflight_header_are_refused(backend):
    unit = make_unit(backend.database)
    admin = make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit)
    exam = make_exam_session(backend.database)
    api = Api(backend.client)
    token = api.login(admin.username, PASSWORD)
    form = {"operations": json.dumps({"query": IMPORT, "variables": {"s": str(exam.id), "f": None}}),
            "map": json.dumps({"0": ["variables.f"]})}
    files = {"0": ("报名信息表.xlsx", filled_template([]), "application/octet-stream")}
    auth = {"Authorization": f"Bearer {token}"}

    # What a cross-site <form enctype="multipart/form-data"> or text/plain post can send: refused.
    response = backend.client.post("/graphql", data=form, files=files, headers=auth)
    assert response.status_code == 400 and error_codes(response.json()) == ["PREFLIGHT_REQUIRED"]
    assert "GraphQL-Preflight" in response.json()["errors"][0]["message"]
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = backend.client.post("/graphql", content=b'{"query": "mutation { logout { ok } }"}',
                                       headers={**auth, "Content-Type": content_type})
        assert response.status_code == 400 and error_codes(response.json()) == ["PREFLIGHT_REQUIRED"], content_type
    assert jobs(backend) == 0
    assert api.data("{ me { username } }", token=token)  # not logged out

    # With the header (a custom header makes a browser ask first; nothing grants other origins): accepted.
    for header in ({"GraphQL-Preflight": "1"}, {"Apollo-Require-Preflight": "true"}):
        response = backend.client.post("/graphql", data=form, files=files, headers={**auth, **header})
        assert response.status_code == 200, response.text
        assert response.json()["data"]["importRegistrations"]["job"]["id"]
    assert jobs(backend) >= 1  # the same file twice may be the same job
    assert "access-control-allow-origin" not in response.headers


def test_no_cookie_is_ever_set(backend):
    """Sign-in is a bearer token the client sends in a header; the service sets no cookie at all,
    so there is no session cookie a cross-site request could ride on."""
    user = make_user(backend.database, role=Role.REGION_REVIEWER)
    client = backend.client
    answers = [
        client.post("/graphql", json={"query": "mutation($u: String!, $p: String!) { login(username: $u, password: $p)"
                                               " { token } }", "variables": {"u": user.username, "p": PASSWORD}}),
        client.post("/graphql", json={"query": "mutation($u: String!, $p: String!) { login(username: $u, password: $p)"
                                               " { token } }", "variables": {"u": user.username, "p": "wrong"}}),
        client.get("/graphql", headers={"Accept": "text/html"}),
        client.get("/dashboard"), client.get("/template.xlsx"), client.get("/healthz"),
    ]
    token = answers[0].json()["data"]["login"]["token"]
    answers.append(client.post("/graphql", json={"query": "{ me { username } }"},
                               headers={"Authorization": f"Bearer {token}"}))
    for response in answers:
        assert response.status_code < 500
        assert "set-cookie" not in response.headers, (response.request.url, response.headers)
    assert not client.cookies


def test_a_declared_oversized_body_is_refused_before_it_is_read(backend):
    with app_client(backend, http_max_body_bytes=64 * 1024) as client:
        big = json.dumps({"query": "{ __typename }", "variables": {"x": "a" * 100_000}})
        response = client.post("/graphql", content=big, headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        body = response.json()
        assert error_codes(body) == ["REQUEST_TOO_LARGE"] and "64 KB" in body["errors"][0]["message"]
        assert client.post("/graphql", json={"query": "{ __typename }"}).status_code == 200
        # Other paths have the small limit too.
        assert client.post("/healthz", content=b"x" * 70_000).status_code == 413


class CountingApp:
    """Outside the service: how many body bytes the service asked the server for."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app
        self.received = 0

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        async def counted():  # noqa: ANN202
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


def test_a_streamed_oversized_upload_is_cut_off_while_it_arrives(backend):
    limit, offered = 2 * MIB, 256 * MIB
    app = CountingApp(create_app(backend.settings.model_copy(update={"http_max_upload_bytes": limit}),
                                 run_worker=False))
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n"
            + json.dumps({"query": IMPORT, "variables": {"s": "1", "f": None}})
            + f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n"
            + json.dumps({"0": ["variables.f"]})
            + f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"big.xlsx\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    chunk = b"\0" * (64 * 1024)
    sent = {"bytes": 0}

    def body():  # no Content-Length: sent chunked, so only counting can stop it
        yield head
        while sent["bytes"] < offered:
            sent["bytes"] += len(chunk)
            yield chunk

    rss_before, threads_before = _rss(), threading.active_count()
    with serving(app) as base_url, httpx.Client(timeout=60) as client:
        try:
            response = client.post(f"{base_url}/graphql", content=body(), headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}", "GraphQL-Preflight": "1"})
        except httpx.TransportError:
            response = None  # the server hung up before the client read its answer
        growth = _rss() - rss_before
    print(f"streamed upload: client sent {sent['bytes']} bytes, service received {app.received}, "
          f"limit {limit}, answer {response.status_code if response else 'connection closed'}, RSS growth {growth}")
    if response is not None:
        assert response.status_code == 413, response.text
        assert error_codes(response.json()) == ["REQUEST_TOO_LARGE"]
    # cut off at the limit, give or take what the server hands over at once (it may pass on several
    # network reads in one message when the app is slower than the client)
    assert limit < app.received <= limit + len(head) + MIB, app.received
    assert sent["bytes"] < offered / 4, "the client could send the whole body"
    assert growth < offered / 4, f"the process grew by {growth} bytes"
    assert threading.active_count() - threads_before < 20  # nothing spawned per chunk


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
