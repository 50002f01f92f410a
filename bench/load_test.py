"""Deadline-day load test on the production shape: PostgreSQL, Redis, several API and worker processes.

    .venv/bin/python -m bench.load_test [--duration 60] [--clients 50] [--api-workers 2] [--worker-processes 2]

A fresh PostgreSQL database and Redis namespace per run (removed afterwards, as the tests do), the API
under `uvicorn --workers N` and N `examreg worker` processes sharing a PROMETHEUS_MULTIPROC_DIR, the
login rate limit raised for the run. Concurrent clients (asyncio + httpx) play a deadline day: unit
administrators sign in, page through their registrations, edit records one by one, upload photos and
submit; county and city reviewers work through their queues; statistics are read. Each client has its
own records, so every request should succeed: any HTTP error, GraphQL error or payload error counts.

The report gives, per operation, the client's count, errors and p50/p99, beside the server's own p50/p99
from /metrics (histogram buckets, interpolated like Prometheus' histogram_quantile), and totals (errors
by code, 5xx, jobs per actor, queue depths) read from /metrics. Exit status 1 when any request failed.
Needs PostgreSQL (EXAMREG_TEST_PG, default postgresql+psycopg://postgres@127.0.0.1:5432/test) and Redis
(EXAMREG_TEST_REDIS, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("EXAMREG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("EXAMREG_TEST_REDIS", "redis://127.0.0.1:6379/0")
PASSWORD = "Load2026pass"
# Interleaved so that the first few cover both cities.
COUNTIES = ["450102", "450202", "450103", "450203", "450105", "450204", "450107", "450205", "450108", "450206"]
CITIES = ["450100", "450200"]
DRAFTS_PER_UNIT = 120
PENDING_PER_COUNTY = 30
PENDING_FINAL_PER_CITY = 30
PHOTO_VARIANTS = 16

LOGIN = """mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) {
  token errors { code message } } }"""
REGISTRATIONS = """query RegistrationsPage($s: ID!, $after: String) {
  registrations(sessionId: $s, first: 20, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id status name idNumber phone examType unit { name } photo { status } dueAt overdue } } } }"""
REVIEW_QUEUE = """query ReviewQueue($s: ID!) {
  registrations(sessionId: $s, first: 20, filter: {awaitingMyReview: true}) {
    totalCount edges { node { id status name unit { name } dueAt overdue } } } }"""
UPDATE = """mutation UpdateRegistration($id: ID!, $i: RegistrationInput!) { updateRegistration(id: $id, input: $i) {
  registration { id status position } errors { code field message } } }"""
SUBMIT = """mutation SubmitRegistrations($ids: [ID!]!) { submitRegistrations(ids: $ids) {
  results { id ok errors { code message } } errors { code message } } }"""
REVIEW = """mutation ReviewRegistrations($ids: [ID!]!) { reviewRegistrations(ids: $ids, decision: APPROVE) {
  results { id ok errors { code message } } errors { code message } } }"""
UPLOAD_PHOTO = """mutation UploadPhoto($r: ID!, $f: Upload!) { uploadPhoto(registrationId: $r, file: $f) {
  photo { status } errors { code field message } } }"""
STATISTICS = """query Statistics($s: ID!) { statistics(sessionId: $s, groupBy: [CITY, STATUS]) {
  rows { key { city status } figures { count overdue } }
  total { count pendingInitial pendingFinal approved overdue } } }"""
POSITIONS = ["科员", "副科长", "科长", "四级主任科员", "三级主任科员", "一级科员"]


# --- the run's database, data and processes


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"examreg_load_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextlib.contextmanager
def fresh_namespace() -> Iterator[str]:
    import redis

    namespace = f"examreg-load-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        yield namespace
    finally:
        for key in client.scan_iter(f"{namespace}*"):
            client.delete(key)
        client.close()


@dataclass
class Account:
    username: str
    role: str  # UNIT, COUNTY, CITY, STATS
    drafts: list[tuple[int, str]] = field(default_factory=list)  # (registration id, ID number)


@dataclass
class Seeded:
    session_id: int
    accounts: list[Account]


def plan_roles(clients: int) -> dict[str, int]:
    county = min(len(COUNTIES), max(1, round(clients * 0.2)))
    city = min(len(CITIES), max(1, round(clients * 0.04)))
    stats = max(1, round(clients * 0.06))
    return {"UNIT": max(1, clients - county - city - stats), "COUNTY": county, "CITY": city, "STATS": stats}


def seed(database_url: str, storage: Path, roles: dict[str, int]) -> Seeded:
    """One unit (with its administrator) per unit client over the reviewers' counties; drafts ready to
    submit (fields, an OK photo, the unit's proof PDFs) and records already waiting for each reviewer."""
    from app.accounts.models import Role
    from app.accounts.service import NewUser, create_account
    from app.clock import now
    from app.db import Database
    from app.demo import CreditCodes, People
    from app.documents.models import Attachment, AttachmentCategory, CheckStatus, Photo
    from app.exams.models import ExamSession
    from app.migrate import migrate
    from app.registrations.models import ExamType, PersonnelNature, Registration, RegistrationStatus
    from app.settings import Settings
    from app.units.models import UnitLevel
    from app.units.service import NewUnit, add_unit

    rng = random.Random(2026)
    people, codes = People(rng), CreditCodes(rng)
    database = Database(Settings(_env_file=None, database_url=database_url, redis_url="", storage_dir=storage))
    migrate(database)
    counties = COUNTIES[:roles["COUNTY"]]
    accounts: list[Account] = []
    try:
        with database.transaction() as session:
            exam = ExamSession(name="报名截止日压力测试", registration_opens_at=now() - timedelta(days=20),
                               registration_closes_at=now() + timedelta(days=1))
            session.add(exam)
            session.flush()

            def account(role: Role, **fields: Any) -> str:
                return create_account(session, settings=database.settings, new=NewUser(
                    role=role, name=people.name(), mobile=people.phone(), password=PASSWORD, **fields)).username

            units = []
            for n in range(roles["UNIT"]):
                county = counties[n % len(counties)]
                unit = add_unit(session, new=NewUnit(name=f"压力测试执法单位{n + 1}", credit_code=codes.make(county),
                                                     division_code=county, level=UnitLevel.COUNTY))
                units.append(unit)
                admin_id, _ = people.id_number(county, born_before=1990)
                accounts.append(Account(account(Role.UNIT_ADMIN, unit_id=unit.id, id_number=admin_id), "UNIT"))
            for county in counties:
                accounts.append(Account(account(Role.COUNTY_REVIEWER, username=f"load_county_{county}",
                                                division_code=county), "COUNTY"))
            for city in CITIES[:roles["CITY"]]:
                accounts.append(Account(account(Role.CITY_REVIEWER, username=f"load_city_{city}",
                                                division_code=city), "CITY"))
            for n in range(roles["STATS"]):
                accounts.append(Account(account(Role.REGION_REVIEWER, username=f"load_region_{n}",
                                                division_code="450000"), "STATS"))
            session.add_all([
                Attachment(session_id=exam.id, unit_id=unit.id, category=category, file_name=f"{category.value}.pdf",
                           content_hash="0" * 64, size=1000, pages=1, status=CheckStatus.OK)
                for unit in units for category in (AttachmentCategory.ESTABLISHMENT_PLAN,
                                                   AttachmentCategory.POWER_LIST, AttachmentCategory.EMPLOYMENT_PROOF)])
            started = now()
            rows = []
            plan = [(unit, RegistrationStatus.DRAFT) for unit in units for _ in range(DRAFTS_PER_UNIT)]
            for county in counties:
                mine = [u for u in units if u.division_code == county]
                plan += [(mine[i % len(mine)], RegistrationStatus.PENDING_INITIAL) for i in range(PENDING_PER_COUNTY)]
            for city in CITIES[:roles["CITY"]]:
                mine = [u for u in units if u.division_code.startswith(city[:4])]
                plan += [(mine[i % len(mine)], RegistrationStatus.PENDING_FINAL)
                         for i in range(PENDING_FINAL_PER_CITY if mine else 0)]
            for unit, status in plan:
                id_number, gender = people.id_number(unit.division_code, born_before=1990)
                pending = status != RegistrationStatus.DRAFT
                rows.append(dict(
                    session_id=exam.id, unit_id=unit.id, status=status, name=people.name(), gender=gender,
                    ethnicity="汉族", id_number=id_number, political_status="中共党员", education="大学本科",
                    major=None, phone=people.phone(), position=rng.choice(POSITIONS), enforcement_field="市场监管",
                    exam_type=ExamType.QUALIFICATION, certificate_number=None,
                    personnel_nature=PersonnelNature.STAFF, work_start_date=date(2012, 7, 1), remarks=None,
                    rollback_used=False, submitted_at=started if pending else None, created_by=None,
                    due_at=started + timedelta(days=3) if pending else None,
                    created_at=started, updated_at=started, version=1))
            session.execute(sa.insert(Registration), rows)
            made = session.execute(sa.select(Registration.id, Registration.id_number, Registration.unit_id,
                                             Registration.status)).all()
            session.execute(sa.insert(Photo), [
                dict(registration_id=rid, file_name=f"{number}.jpg", content_hash="1" * 64, size=200_000,
                     width=413, height=531, dpi=300, status=CheckStatus.OK, problems=[], created_at=started)
                for rid, number, _, _ in made])
            by_unit: dict[int, list[tuple[int, str]]] = defaultdict(list)
            for rid, number, unit_id, status in sorted(made):
                if status == RegistrationStatus.DRAFT:
                    by_unit[unit_id].append((rid, number))
            for unit, acc in zip(units, [a for a in accounts if a.role == "UNIT"], strict=True):
                acc.drafts = by_unit[unit.id]
            session_id = exam.id
        with database.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    finally:
        database.dispose()
    return Seeded(session_id=session_id, accounts=accounts)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def processes(env: dict[str, str], logs: Path, *, api_workers: int, worker_processes: int,
              worker_threads: int) -> Iterator[str]:
    """The API under uvicorn with `api_workers` processes on one port (as `examreg serve` sets it up), and the
    worker processes."""
    from app.cli import KEEP_ALIVE_SECONDS

    port = free_port()
    commands = {"api": [sys.executable, "-m", "uvicorn", "--factory", "app.asgi:create_app", "--host", "127.0.0.1",
                        "--port", str(port), "--workers", str(api_workers), "--no-access-log",
                        "--log-level", "warning", "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS)]}
    for n in range(worker_processes):
        commands[f"worker{n + 1}"] = [sys.executable, "-m", "app.cli", "worker", "--threads", str(worker_threads)]
    running = {name: subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                      stderr=open(logs / f"{name}.log", "wb"), start_new_session=True)
               for name, command in commands.items()}
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            dead = [name for name, p in running.items() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"{dead or 'the API'} did not start; see {logs}")
            time.sleep(0.3)
        yield base
    finally:
        for process in running.values():
            process.terminate()
        for process in running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


# --- the clients


@dataclass
class Outcome:
    operation: str
    seconds: float
    error: str | None


class Client:
    """One person at a keyboard: one request at a time, each checked for errors of any kind."""

    def __init__(self, http: httpx.AsyncClient, account: Account, session_id: int, photos: list[bytes],
                 rng: random.Random, outcomes: list[Outcome]) -> None:
        self.http, self.account, self.session_id = http, account, session_id
        self.photos, self.rng, self.outcomes = photos, rng, outcomes
        self.token: str | None = None
        self.queue: list[str] = []
        self.cursor: str | None = None

    async def call(self, operation: str, query: str, variables: dict[str, Any], *,
                   files: dict[str, tuple[str, bytes, str]] | None = None) -> dict[str, Any] | None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        started = time.perf_counter()
        error = None
        data = None
        try:
            if files:
                response = await self.http.post("/graphql", headers={**headers, "GraphQL-Preflight": "1"}, data={
                    "operations": json.dumps({"query": query, "variables": variables, "operationName": operation}),
                    "map": json.dumps({str(i): [path] for i, path in enumerate(files)})},
                    files={str(i): spec for i, spec in enumerate(files.values())})
            else:
                response = await self.http.post("/graphql", headers=headers, json={
                    "query": query, "variables": variables, "operationName": operation})
            body = response.json() if response.headers.get("content-type", "").startswith("application") else {}
            if response.status_code >= 400:
                error = f"HTTP {response.status_code}"
            elif body.get("errors"):
                error = body["errors"][0].get("extensions", {}).get("code", "GRAPHQL_ERROR")
            else:
                data = body["data"]
                error = _payload_error(data)
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        self.outcomes.append(Outcome(operation, time.perf_counter() - started, error))
        return None if error else data

    async def login(self) -> None:
        data = await self.call("Login", LOGIN, {"u": self.account.username, "p": PASSWORD})
        if data:
            self.token = data["login"]["token"]

    async def run(self, deadline: float) -> None:
        await self.login()
        steps = {"UNIT": self.unit_admin_step, "COUNTY": self.reviewer_step, "CITY": self.reviewer_step,
                 "STATS": self.statistics_step}[self.account.role]
        while time.monotonic() < deadline:
            if self.token is None or self.rng.random() < 0.02:
                await self.login()
            else:
                await steps()

    async def unit_admin_step(self) -> None:
        drafts = self.account.drafts
        action = self.rng.choices(["list", "edit", "photo", "submit"], [40, 35, 10, 15])[0]
        if action == "list" or len(drafts) < 10:
            data = await self.call("RegistrationsPage", REGISTRATIONS, {"s": str(self.session_id), "after": self.cursor})
            page = data and data["registrations"]["pageInfo"]
            self.cursor = page["endCursor"] if page and page["hasNextPage"] else None
        elif action == "edit":
            record_id, _ = self.rng.choice(drafts[: len(drafts) // 2])
            await self.call("UpdateRegistration", UPDATE, {"id": str(record_id),
                                                           "i": {"position": self.rng.choice(POSITIONS)}})
        elif action == "photo":
            # From the far end: submissions take the near end, long after the new photo has been checked.
            record_id, id_number = drafts[-1 - self.rng.randrange(len(drafts) // 4)]
            await self.call("UploadPhoto", UPLOAD_PHOTO, {"r": str(record_id), "f": None},
                            files={"variables.f": (f"{id_number}.jpg", self.rng.choice(self.photos), "image/jpeg")})
        else:
            record_id, _ = drafts.pop(0)
            await self.call("SubmitRegistrations", SUBMIT, {"ids": [str(record_id)]})

    async def reviewer_step(self) -> None:
        action = self.rng.choices(["review", "statistics"], [85, 15])[0]
        if action == "statistics":
            await self.call("Statistics", STATISTICS, {"s": str(self.session_id)})
        elif not self.queue:
            data = await self.call("ReviewQueue", REVIEW_QUEUE, {"s": str(self.session_id)})
            self.queue = [edge["node"]["id"] for edge in data["registrations"]["edges"]] if data else []
            if not self.queue:
                await asyncio.sleep(0.5)  # nothing waiting yet: look again in a moment, as a person would
        else:
            chosen, self.queue = self.queue[:2], self.queue[2:]
            await self.call("ReviewRegistrations", REVIEW, {"ids": chosen})

    async def statistics_step(self) -> None:
        if self.rng.random() < 0.7:
            await self.call("Statistics", STATISTICS, {"s": str(self.session_id)})
        else:
            await self.call("RegistrationsPage", REGISTRATIONS, {"s": str(self.session_id), "after": None})


def _payload_error(data: dict[str, Any]) -> str | None:
    for payload in data.values():
        if not isinstance(payload, dict):
            continue
        if payload.get("errors"):
            return payload["errors"][0]["code"]
        for result in payload.get("results") or []:
            if not result["ok"]:
                return (result["errors"] or [{"code": "NOT_OK"}])[0]["code"]
    return None


async def drive(base: str, seeded: Seeded, *, seconds: float, photos: list[bytes]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    limits = httpx.Limits(max_connections=len(seeded.accounts) + 5)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        deadline = time.monotonic() + seconds
        clients = [Client(http, account, seeded.session_id, photos, random.Random(n), outcomes)
                   for n, account in enumerate(seeded.accounts)]
        await asyncio.gather(*(client.run(deadline) for client in clients))
    return outcomes


def make_photos(count: int) -> list[bytes]:
    """Valid ID photos (JPEG, 413 × 531 px, 300 dpi, white background), each a different file."""
    sys.path.insert(0, str(ROOT))
    from tests.documents.support import make_photo

    return [make_photo(size=150_000 + 997 * n) for n in range(count)]


# --- /metrics


def scrape(base: str) -> dict[tuple[str, frozenset], float]:
    text = httpx.get(f"{base}/metrics", timeout=60).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def server_quantiles(before: dict, after: dict, operation: str, quantiles: tuple[float, ...]) -> list[float | None]:
    """histogram_quantile over the run's increase of examreg_graphql_operation_seconds for `operation`."""
    buckets = []
    for (name, labels), value in after.items():
        labelled = dict(labels)
        if name == "examreg_graphql_operation_seconds_bucket" and labelled.get("operation") == operation:
            le = float(labelled["le"])
            buckets.append((le, value - before.get((name, labels), 0.0)))
    merged: dict[float, float] = defaultdict(float)
    for le, count in buckets:
        merged[le] += count
    ordered = sorted(merged.items())
    total = ordered[-1][1] if ordered else 0
    figures: list[float | None] = []
    for q in quantiles:
        if not total:
            figures.append(None)
            continue
        rank, lower, below = q * total, 0.0, 0.0
        for le, cumulative in ordered:
            if cumulative >= rank:
                if le == float("inf"):
                    figures.append(lower)
                else:
                    share = (rank - below) / (cumulative - below) if cumulative > below else 1.0
                    figures.append(lower + (le - lower) * share)
                break
            lower, below = le, cumulative
    return figures


def grown(before: dict, after: dict, name: str) -> dict[frozenset, float]:
    return {labels: value - before.get((n, labels), 0.0) for (n, labels), value in after.items()
            if n == name and value - before.get((n, labels), 0.0)}


# --- report


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


@dataclass
class Result:
    text: str
    errors: int
    server_errors: int  # 5xx in /metrics
    # operation -> (requests the clients made, requests the servers timed in /metrics)
    counts: dict[str, tuple[int, int]]


def report(outcomes: list[Outcome], before: dict, after: dict, *, seconds: float, clients: int,
           load: tuple[tuple[float, ...], tuple[float, ...]], processes: str) -> Result:
    by_operation: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_operation[outcome.operation].append(outcome)
    lines = [f"load test: {clients} clients for {seconds:.0f} s against {processes}",
             f"load average before {load[0][0]:.2f} {load[0][1]:.2f} {load[0][2]:.2f}, "
             f"after {load[1][0]:.2f} {load[1][1]:.2f} {load[1][2]:.2f} ({os.cpu_count()} CPUs)",
             "",
             f"{'operation':<22}{'count':>7}{'errors':>7}{'client p50':>12}{'client p99':>12}"
             f"{'server n':>10}{'server p50':>12}{'server p99':>12}"]
    errors = 0
    counted: dict[str, tuple[int, int]] = {}
    for operation in sorted(by_operation):
        done = by_operation[operation]
        failed = [o for o in done if o.error]
        errors += len(failed)
        times = [o.seconds * 1000 for o in done]
        counts = grown(before, after, "examreg_graphql_operation_seconds_count")
        served = sum(v for labels, v in counts.items() if dict(labels).get("operation") == operation)
        p50, p99 = server_quantiles(before, after, operation, (0.5, 0.99))
        counted[operation] = (len(done), round(served))
        lines.append(f"{operation:<22}{len(done):>7}{len(failed):>7}{percentile(times, 0.5):>10.0f}ms"
                     f"{percentile(times, 0.99):>10.0f}ms{served:>10.0f}"
                     f"{_ms(p50):>12}{_ms(p99):>12}")
    total = len(outcomes)
    all_times = [o.seconds * 1000 for o in outcomes]
    lines.append(f"{'all':<22}{total:>7}{errors:>7}{percentile(all_times, 0.5):>10.0f}ms"
                 f"{percentile(all_times, 0.99):>10.0f}ms")
    lines.append("")
    lines.append(f"requests {total}, {total / seconds:.1f}/s; errors {errors}")
    failures = defaultdict(int)
    for outcome in outcomes:
        if outcome.error:
            failures[(outcome.operation, outcome.error)] += 1
    for (operation, code), count in sorted(failures.items()):
        lines.append(f"  error {operation} {code}: {count}")
    lines.append("from /metrics (this run's increase, all processes):")
    http = grown(before, after, "examreg_http_requests_total")
    server_errors = sum(v for labels, v in http.items() if dict(labels)["status"].startswith("5"))
    lines.append(f"  HTTP requests {sum(http.values()):.0f}, 5xx {server_errors:.0f}")
    codes = grown(before, after, "examreg_graphql_errors_total")
    lines.append("  GraphQL errors by code: " + (", ".join(f"{dict(k)['code']} {v:.0f}" for k, v in codes.items())
                                                  or "none"))
    jobs = grown(before, after, "examreg_job_messages_total")
    seconds_sum = grown(before, after, "examreg_job_seconds_sum")
    for labels, count in sorted(jobs.items(), key=lambda item: sorted(item[0])):
        actor, outcome = dict(labels)["actor"], dict(labels)["outcome"]
        spent = sum(v for k, v in seconds_sum.items() if dict(k)["actor"] == actor)
        lines.append(f"  actor {actor} {outcome}: {count:.0f} (seconds in this actor {spent:.1f})")
    depths = {dict(k)["queue"]: v for (n, k), v in after.items() if n == "examreg_queue_depth"}
    lines.append("  queue depth at the end: " + ", ".join(f"{q} {v:.0f}" for q, v in sorted(depths.items())))
    statuses = {dict(k)["status"]: v for (n, k), v in after.items() if n == "examreg_jobs"}
    lines.append("  job rows: " + (", ".join(f"{s} {v:.0f}" for s, v in sorted(statuses.items())) or "none"))
    failed_logins = sum(v for (n, _), v in after.items() if n == "examreg_logins_failed_total")
    lines.append(f"  failed sign-ins recorded: {failed_logins:.0f}")
    return Result("\n".join(lines), errors, round(server_errors), counted)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}ms"


def run(*, seconds: float, clients: int, api_workers: int = 2, worker_processes: int = 2,
        worker_threads: int = 4) -> Result:
    roles = plan_roles(clients)
    photos = make_photos(PHOTO_VARIANTS)
    with (tempfile.TemporaryDirectory(prefix="examreg-load-") as tmp, fresh_database() as url,
          fresh_namespace() as namespace):
        work = Path(tmp)
        (work / "metrics").mkdir()
        seeded = seed(url, work / "storage", roles)
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "BROKER_NAMESPACE": namespace,
               "STORAGE_DIR": str(work / "storage"), "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
               "LOGIN_RATE_LIMIT": "100000/minute", "PYTHONPATH": str(ROOT)}
        with processes(env, work, api_workers=api_workers, worker_processes=worker_processes,
                       worker_threads=worker_threads) as base:
            before = scrape(base)
            load_before = os.getloadavg()
            outcomes = asyncio.run(drive(base, seeded, seconds=seconds, photos=photos))
            load_after = os.getloadavg()
            time.sleep(1)  # the last photo checks
            after = scrape(base)
    shape = (f"PostgreSQL + Redis, uvicorn --workers {api_workers}, {worker_processes} × examreg worker "
             f"--threads {worker_threads}; roles {roles}")
    return report(outcomes, before, after, seconds=seconds, clients=len(seeded.accounts),
                  load=(load_before, load_after), processes=shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--api-workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--worker-processes", type=int, default=2, help="examreg worker processes (default 2)")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker process (default 4)")
    args = parser.parse_args()
    result = run(seconds=args.duration, clients=args.clients, api_workers=args.api_workers,
                 worker_processes=args.worker_processes, worker_threads=args.worker_threads)
    print(result.text)
    sys.exit(1 if result.errors or result.server_errors else 0)


if __name__ == "__main__":
    main()
