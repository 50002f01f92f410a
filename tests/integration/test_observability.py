"""What operations see: /metrics after real traffic, and the logs' JSON lines with request ids."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.accounts.models import Role
from app.metrics import MAX_OPERATION_NAMES, Metrics
from app.registrations.masking import mask_personal_numbers as scrub
from app.sms.models import SmsStatus
from tests.api import Api, error_codes, finished_job
from tests.factories import PASSWORD, make_user
from tests.server import wait_until_serving
from tests.sms_support import make_sms

REQUEST_HEALTH = "mutation RequestHealth { requestHealthCheck { job { id status } errors { code } } }"
JOB = "query($id: ID!) { job(id: $id) { id kind status total processed finishedAt } }"
ME = "query Me { me { username } }"


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(figures: dict, name: str, **labels: str) -> float:
    return figures.get((name, frozenset(labels.items())), 0.0)


def test_metrics_carry_operations_errors_jobs_sms_and_failed_logins(backend):
    api = Api(backend.client)
    before = samples(backend.client.get("/metrics").text)
    operator = make_user(backend.database, role=Role.SUPERADMIN)
    make_sms(backend.database, status=SmsStatus.SENT)
    make_sms(backend.database, status=SmsStatus.FAILED)
    make_sms(backend.database, status=SmsStatus.FAILED)

    # given: a failed sign-in, a good one, a named mutation that queues a job, an anonymous query
    # polling it, an unauthenticated query and a malformed one
    wrong = api.run("mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) "
                    "{ token errors { code } } }", {"u": operator.username, "p": "wrong-password"})
    assert wrong["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    token = api.login(operator.username, PASSWORD)
    queued = api.data(REQUEST_HEALTH, token=token)["requestHealthCheck"]
    finished_job(api, JOB, queued["job"]["id"], token, timeout=20)
    assert error_codes(api.run(ME)) == ["UNAUTHENTICATED"]
    assert error_codes(api.run("query Broken { nosuchfield }", token=token)) == ["BAD_REQUEST"]

    # when: /metrics is scraped
    response = backend.client.get("/metrics")
    after = samples(response.text)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # then: latency per operation, with its type; anonymous ones grouped
    assert response.headers["content-type"].startswith("text/plain")
    assert grew("examreg_graphql_operation_seconds_count", operation="Login", type="mutation") == 2
    assert grew("examreg_graphql_operation_seconds_count", operation="RequestHealth", type="mutation") == 1
    assert grew("examreg_graphql_operation_seconds_count", operation="anonymous", type="query") >= 1
    assert grew("examreg_graphql_operation_seconds_count", operation="Me", type="query") == 1
    assert grew("examreg_graphql_operation_seconds_count", operation="invalid", type="invalid") == 1
    login_seconds = grew("examreg_graphql_operation_seconds_sum", operation="Login", type="mutation")
    assert 0 < login_seconds < 60
    assert grew("examreg_graphql_operation_seconds_bucket", operation="Login", type="mutation", le="+Inf") == 2
    # error counts by code
    assert grew("examreg_graphql_errors_total", code="UNAUTHENTICATED") == 1
    assert grew("examreg_graphql_errors_total", code="BAD_REQUEST") == 1
    # the health job: its actor's duration and outcome, and the job rows by status
    assert grew("examreg_job_messages_total", actor="health_check", outcome="succeeded") == 1
    assert grew("examreg_job_seconds_count", actor="health_check") == 1
    assert 0 < grew("examreg_job_seconds_sum", actor="health_check") < 20
    assert value(after, "examreg_jobs", kind="HEALTH_CHECK", status="SUCCEEDED") == 1
    # queues: one series per declared queue, nothing left waiting
    depths = {dict(labels)["queue"]: v for (name, labels), v in after.items() if name == "examreg_queue_depth"}
    assert "default" in depths and all(v >= 0 for v in depths.values())
    assert depths["default"] == 0
    # SMS from the outbox, failed sign-ins from the audit trail (tables are emptied per test)
    assert value(after, "examreg_sms_messages", status="SENT") == 1
    assert value(after, "examreg_sms_messages", status="FAILED") == 2
    assert value(after, "examreg_logins_failed_total", code="INVALID_CREDENTIALS") == 1
    # and plain HTTP figures
    assert grew("examreg_http_requests_total", path="/graphql", status="200") >= 5


def test_operation_names_as_labels_are_bounded():
    metrics = Metrics()
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("x" * 65) == "other"
    for n in range(MAX_OPERATION_NAMES):
        assert metrics.operation_label(f"Op{n}") == f"Op{n}"
    assert metrics.operation_label("OneTooMany") == "other"
    assert metrics.operation_label("Op7") == "Op7"  # names already seen keep their series
    metrics.observe_operation("Broken", "invalid", 0.01)
    exposed = samples(metrics.exposition().decode())
    assert value(exposed, "examreg_graphql_operation_seconds_count", operation="invalid", type="invalid") == 1


def test_scrub_masks_id_numbers_and_mobiles_but_not_other_numbers():
    assert scrub("id 45010219900307451X phone 13800138000.") == "id 4501**********451X phone 138****8000."
    assert scrub('{"id": "110101199003074516"}') == '{"id": "1101**********4516"}'
    assert scrub("job 12345, order 1234567890123456789012, 2026-11-29") == \
        "job 12345, order 1234567890123456789012, 2026-11-29"


def test_each_log_line_is_json_with_the_request_id_of_the_response(tmp_path):
    """`examreg serve` as deployed: its stderr, line by line, against the X-Request-ID it answered."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'logs.db'}", "REDIS_URL": "",
           "STORAGE_DIR": str(tmp_path / "storage")}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(server, base, path="/healthz")
        # a path carrying an ID number: the access log line must not keep it
        probe_response = httpx.get(f"{base}/downloads/110101199003074516", timeout=10)
        offered = httpx.post(f"{base}/graphql", json={"query": "{ me { username } }"},
                             headers={"X-Request-ID": "proxy-chosen-id-42"}, timeout=10)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    lines = [line for line in stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(e, dict) and {"time", "level", "logger", "message"} <= e.keys() for e in entries)
    request_id = probe_response.headers["x-request-id"]
    assert request_id and offered.headers["x-request-id"] == "proxy-chosen-id-42"
    ours = [e for e in entries if e.get("request_id") == request_id]
    assert ours, f"no log line with request id {request_id}: {lines[-5:]}"
    assert "/downloads/1101**********4516" in ours[0]["message"]
    assert any(e.get("request_id") == "proxy-chosen-id-42" for e in entries)
    assert "110101199003074516" not in stderr


def test_a_masked_error_quotes_the_request_id_of_the_response(backend, monkeypatch):
    from app.registrations import service

    def explode(*args, **kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(service, "list_registrations", explode)
    admin = make_user(backend.database, role=Role.SUPERADMIN)
    token = Api(backend.client).login(admin.username, PASSWORD)
    response = backend.client.post("/graphql", json={"query": "{ registrations(sessionId: 1) { totalCount } }"},
                                   headers={"Authorization": f"Bearer {token}"})
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert response.headers["x-request-id"] in error["message"]


def test_worker_processes_figures_reach_metrics_through_the_shared_directory(postgres_backend, redis_namespace,
                                                                             tmp_path):
    """`examreg worker` serves no HTTP: its actors' figures go to PROMETHEUS_MULTIPROC_DIR, which an API
    process's /metrics sums (read here the way app.metrics does in that mode)."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    settings = postgres_backend.settings
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "BROKER_NAMESPACE": redis_namespace + "-metrics", "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    workers = [subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--threads", "1"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for _ in range(3):
            check = subprocess.run([sys.executable, "-m", "app.cli", "check-worker", "--timeout", "30"], env=env,
                                   capture_output=True, text=True, timeout=90)
            assert check.returncode == 0, check.stdout + check.stderr
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.communicate(timeout=30)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, str(shared))
    figures = samples(generate_latest(registry).decode())
    assert value(figures, "examreg_job_messages_total", actor="health_check", outcome="succeeded") == 3
    assert value(figures, "examreg_job_seconds_count", actor="health_check") == 3
