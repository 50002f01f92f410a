"""A real message through the real broker updates a real row, in both modes."""

from __future__ import annotations

import os
import subprocess
import sys

from app.accounts.models import Role
from tests.api import Api, error_codes, finished_job
from tests.factories import PASSWORD, make_user

REQUEST = "mutation { requestHealthCheck { job { id status } errors { code } } }"
JOB = "query($id: ID!) { job(id: $id) { id kind status total processed finishedAt } }"


def test_health_job_runs_through_the_broker(backend):
    api = Api(backend.client)
    operator = make_user(backend.database, role=Role.SUPERADMIN)
    token = api.login(operator.username, PASSWORD)
    queued = api.data(REQUEST, token=token)["requestHealthCheck"]
    assert queued["errors"] == [] and queued["job"]["status"] in ("QUEUED", "RUNNING", "SUCCEEDED")
    job = finished_job(api, JOB, queued["job"]["id"], token, timeout=20)
    assert job["status"] == "SUCCEEDED" and job["processed"] == job["total"] == 1 and job["finishedAt"]

    # someone else's job is not visible; non-operators cannot start one
    reviewer = make_user(backend.database, role=Role.CITY_REVIEWER, division="450100")
    other = api.login(reviewer.username, PASSWORD)
    assert api.data(JOB, {"id": queued["job"]["id"]}, token=other)["job"] is None
    assert error_codes(api.run(REQUEST, token=other)) == ["FORBIDDEN"]


def test_readiness_checks_database_and_broker(backend):
    body = backend.client.get("/readyz").json()
    assert body["status"] == "ready" and body["checks"] == {"database": "ok", "broker": "ok"}
    assert body["broker"] == ("redis" if backend.name == "postgres" else "in-process")
    assert backend.client.get("/healthz").json() == {"status": "ok"}
    assert "examreg_http_requests_total" in backend.client.get("/metrics").text


def test_examreg_worker_process_consumes_from_redis(postgres_backend, redis_namespace):
    """The production shape: the API only sends; a separate `examreg worker` does the work."""
    settings = postgres_backend.settings
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "BROKER_NAMESPACE": redis_namespace + "-proc"}
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--threads", "2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        check = subprocess.run([sys.executable, "-m", "app.cli", "check-worker", "--timeout", "30"], env=env,
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "SUCCEEDED" in check.stdout
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0, output
