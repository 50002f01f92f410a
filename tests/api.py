"""A small GraphQL client over the ASGI test client that fails on any 5xx or traceback."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.responses: list[str] = []

    def post(self, body: Any, token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}".encode()} if token else {}
        response = self.client.post("/graphql", json=body, headers=headers)
        self.responses.append(response.text)
        assert response.status_code < 500, response.text
        assert "Traceback" not in response.text and 'File "' not in response.text, response.text
        return response.json()

    def run(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, Any]:
        return self.post({"query": query, "variables": variables or {}}, token)

    def data(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, Any]:
        """The `data` of a response that must have no GraphQL errors."""
        body = self.run(query, variables, token=token)
        assert not body.get("errors"), json.dumps(body, ensure_ascii=False)
        return body["data"]

    def login(self, username: str, password: str) -> str:
        payload = self.data(LOGIN, {"u": username, "p": password})["login"]
        assert payload["errors"] == [], payload
        return payload["token"]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


LOGIN = """
mutation Login($u: String!, $p: String!) {
  login(username: $u, password: $p) { token user { username mustChangePassword } errors { code field message } }
}"""


def finished_job(api: Api, query: str, job_id: str, token: str, timeout: float = 60) -> dict[str, Any]:
    """Poll `query` (taking $id, selecting job { status ... }) until the job has finished."""
    import time

    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = api.data(query, {"id": job_id}, token=token)["job"]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s: {job}")


def wait_until(check, *, timeout: float = 30, what: str = "condition"):  # noqa: ANN001, ANN201
    """Poll `check` until it returns something truthy, and return that."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout}s")
