"""API speed: the registrations page under uvicorn, beside a raw Starlette endpoint and bare graphql-core.

    .venv/bin/python -m bench.api_speed [--rows 3000] [--seconds 8] [--rounds 2] [--clients 16]

(`python -m bench` calls figures(profile) with the others.)

Seeds one database (SQLite in a temporary directory; a fresh PostgreSQL database
when DATABASE_URL points at a server) with --rows registrations, a city
reviewer and a bearer token, then starts three uvicorn servers on it as child
processes, all with the same uvicorn options and the same engine settings:

* real: the service itself (`app.asgi:create_app`), answering the page's GraphQL document;
* raw: a Starlette endpoint that authenticates the token, fetches the same page with
  SQLAlchemy Core (the same jurisdiction conditions, one COUNT and one SELECT joined to
  the unit) in a worker thread, masks the numbers and answers JSON of the same shape;
* graphql-core: bare graphql-core over the project's SDL executing the same document
  (parsed and validated once) in a worker thread, with resolvers doing the raw endpoint's work.

It checks that the three answer the same data, then drives each in turn for
--seconds with --clients keep-alive connections (`wrk` when it is installed,
otherwise an asyncio load generator on httpx), --rounds times, and prints the
best round's requests per second, p50/p99 latency, the ratios real/raw and
real/graphql-core, and the real server's resident memory after the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_URL = re.compile(r"^postgres(ql)?(\+\w+)?://")
PAGE_SIZE = 100
QUERY = """query RegistrationsPage($sessionId: ID!) {
  registrations(sessionId: $sessionId, first: 100) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name gender idNumber phone status examType enforcementField position education
                   dueAt overdue unit { name } } }
  }
}"""
GOAL = 0.25  # of the raw endpoint's throughput


# --- the two baselines, started by uvicorn as `bench.api_speed:raw_app` and `bench.api_speed:graphql_core_app`


def _fetch_page(connection: sa.Connection, token: str | None, session_id: int) -> dict[str, Any] | None:
    """The page as the real service shows it to this token's user, with SQLAlchemy Core; None: not signed in."""
    from app.accounts.models import AuthToken, User
    from app.auth.tokens import digest
    from app.clock import now
    from app.pagination import encode_cursor
    from app.registrations.masking import mask_id_number, mask_phone
    from app.registrations.models import Registration
    from app.registrations.service import listed_conditions
    from app.units.models import Unit

    if not token:
        return None
    tokens, users = AuthToken.__table__, User.__table__
    user = connection.execute(
        sa.select(users.c.role, users.c.unit_id, users.c.division_code, users.c.is_active,
                  tokens.c.revoked_at, tokens.c.expires_at)
        .join(tokens, tokens.c.user_id == users.c.id).where(tokens.c.token_hash == digest(token))
    ).first()
    at = now()
    if user is None or user.revoked_at is not None or user.expires_at <= at or not user.is_active:
        return None
    registrations, units = Registration.__table__, Unit.__table__
    conditions = listed_conditions(user=user, session_id=session_id, filter=None)
    total = connection.execute(sa.select(sa.func.count()).select_from(registrations).where(*conditions)).scalar_one()
    c = registrations.c
    rows = connection.execute(
        sa.select(c.id, c.name, c.gender, c.id_number, c.phone, c.status, c.exam_type, c.enforcement_field,
                  c.position, c.education, c.due_at, units.c.name.label("unit_name"))
        .join(units, units.c.id == c.unit_id).where(*conditions).order_by(c.id.desc()).limit(PAGE_SIZE + 1)
    ).all()
    page = rows[:PAGE_SIZE]
    return {
        "totalCount": total,
        "pageInfo": {"hasNextPage": len(rows) > PAGE_SIZE,
                     "endCursor": encode_cursor("registration", page[-1].id) if page else None},
        "edges": [{"node": {
            "id": str(r.id), "name": r.name, "gender": r.gender.name, "idNumber": mask_id_number(r.id_number),
            "phone": mask_phone(r.phone), "status": r.status.name, "examType": r.exam_type.name,
            "enforcementField": r.enforcement_field, "position": r.position, "education": r.education,
            "dueAt": r.due_at.isoformat() if r.due_at else None,
            "overdue": r.due_at is not None and r.due_at < at, "unit": {"name": r.unit_name},
        }} for r in page],
    }


def _bearer(headers: Any) -> str | None:
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def raw_app():  # noqa: ANN201
    """The raw endpoint: Starlette, SQLAlchemy Core in a worker thread, stdlib JSON."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from app.db import Database
    from app.settings import Settings

    database = Database(Settings())

    def page(token: str | None, session_id: int) -> dict[str, Any] | None:
        with database.engine.connect() as connection:
            return _fetch_page(connection, token, session_id)

    async def endpoint(request):  # noqa: ANN001, ANN202
        body = await request.json()
        found = await run_in_threadpool(page, _bearer(request.headers), int(body["variables"]["sessionId"]))
        if found is None:
            return JSONResponse({"errors": [{"message": "unauthenticated"}]}, status_code=401)
        return JSONResponse({"data": {"registrations": found}})

    return Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])


def graphql_core_app():  # noqa: ANN201
    """Bare graphql-core over the project's SDL: the document parsed and validated once, executed in a thread."""
    import graphql
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from app.db import Database
    from app.settings import Settings
    from schema import SDL_PATH

    database = Database(Settings())
    schema = graphql.build_schema(SDL_PATH.read_text(encoding="utf-8"))
    for name in ("DateTime", "Date"):
        schema.type_map[name].serialize = lambda value: value if isinstance(value, str) else value.isoformat()

    def registrations(_root, info, sessionId, **_):  # noqa: ANN001, ANN003, ANN202, N803
        return _fetch_page(info.context["connection"], info.context["token"], int(sessionId))

    schema.query_type.fields["registrations"].resolve = registrations
    documents: dict[str, graphql.DocumentNode] = {}

    def document(text: str) -> graphql.DocumentNode:
        if text not in documents:
            parsed = graphql.parse(text)
            if errors := graphql.validate(schema, parsed):
                raise ValueError(errors)
            documents[text] = parsed
        return documents[text]

    def run(text: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
        with database.engine.connect() as connection:
            result = graphql.execute(schema, document(text), variable_values=variables,
                                     context_value={"connection": connection, "token": token})
        return result.formatted

    async def endpoint(request):  # noqa: ANN001, ANN202
        body = await request.json()
        result = await run_in_threadpool(run, body["query"], body.get("variables") or {}, _bearer(request.headers))
        return JSONResponse(result)

    return Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])


# --- seeding


@dataclass
class Seeded:
    token: str
    session_id: int
    visible: int


def seed(url: str, storage: Path, rows: int) -> Seeded:
    """Units in two cities, a Nanning city reviewer with a token, and `rows` registrations over the units."""
    import random
    from datetime import date, timedelta

    from app.accounts.models import Role
    from app.accounts.service import NewUser, create_account
    from app.auth.tokens import issue_token
    from app.clock import now
    from app.db import Database
    from app.demo import ETHNIC_MIX, STATUS_MIX, CreditCodes, People
    from app.exams.models import ExamSession
    from app.migrate import migrate
    from app.registrations.choices import EDUCATIONS, ENFORCEMENT_FIELDS
    from app.registrations.models import ExamType, PersonnelNature, Registration
    from app.registrations.workflow import PENDING_REVIEW
    from app.settings import Settings
    from app.units.models import UnitLevel
    from app.units.service import NewUnit, add_unit

    rng = random.Random(2026)
    people, codes = People(rng), CreditCodes(rng)
    database = Database(Settings(_env_file=None, database_url=url, redis_url="", storage_dir=storage))
    migrate(database)
    try:
        with database.transaction() as session:
            units = [add_unit(session, new=NewUnit(name=name, credit_code=codes.make(division),
                                                   division_code=division, level=level))
                     for name, division, level in (
                         ("南宁市城市管理综合行政执法局", "450100", UnitLevel.CITY),
                         ("南宁市兴宁区市场监督管理局", "450102", UnitLevel.COUNTY),
                         ("南宁市青秀区综合行政执法局", "450103", UnitLevel.COUNTY),
                         ("柳州市城中区市场监督管理局", "450202", UnitLevel.COUNTY))]
            reviewer = create_account(session, settings=database.settings, new=NewUser(
                role=Role.CITY_REVIEWER, name="南宁市司法局审核员", username="bench_nanning",
                division_code="450100", mobile=people.phone(), password="Bench2026pass"))
            exam = ExamSession(name="性能测试批次", registration_opens_at=now() - timedelta(days=7),
                               registration_closes_at=now() + timedelta(days=30))
            session.add(exam)
            session.flush()
            token = issue_token(session, reviewer, ttl_hours=8)
            started = now()
            values = []
            for _ in range(rows):
                unit = rng.choice(units)
                id_number, gender = people.id_number(unit.division_code)
                status = rng.choice(STATUS_MIX)
                exam_type = rng.choice([ExamType.QUALIFICATION, ExamType.RENEWAL])
                values.append(dict(
                    session_id=exam.id, unit_id=unit.id, status=status, name=people.name(), gender=gender,
                    ethnicity=rng.choice(ETHNIC_MIX), id_number=id_number, political_status="中共党员",
                    education=rng.choice(EDUCATIONS[1:4]), major=None, phone=people.phone(),
                    position=rng.choice(["科员", "副科长", "科长", None]),
                    enforcement_field=rng.choice(ENFORCEMENT_FIELDS[:12]), exam_type=exam_type,
                    certificate_number=f"GX{rng.randint(10_000_000, 99_999_999)}"
                    if exam_type == ExamType.RENEWAL else None,
                    personnel_nature=PersonnelNature.STAFF, work_start_date=date(2010, 7, 1), remarks=None,
                    rollback_used=False, submitted_at=started, created_by=None,
                    due_at=started + timedelta(days=rng.randint(-3, 5)) if status in PENDING_REVIEW else None,
                    created_at=started, updated_at=started, version=1,
                ))
            session.execute(sa.insert(Registration), values)
            visible = sum(1 for v in values if v["unit_id"] != units[-1].id)
            session_id = exam.id
        if database.dialect == "postgresql":
            with database.engine.begin() as connection:
                connection.execute(sa.text("ANALYZE"))
    finally:
        database.dispose()
    return Seeded(token=token, session_id=session_id, visible=visible)


@contextmanager
def bench_database(tmp: Path) -> Iterator[str]:
    """SQLite in `tmp`, or a fresh database on the PostgreSQL server DATABASE_URL names (dropped afterwards)."""
    configured = os.environ.get("DATABASE_URL", "")
    if not PG_URL.match(configured):
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    server = sa.make_url(configured)
    if server.drivername in ("postgres", "postgresql"):
        server = server.set(drivername="postgresql+psycopg")
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"examreg_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


# --- servers and load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def start_server(name: str, target: str, env: dict[str, str], workdir: Path) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", target, "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / f"{name}.log", "wb"),
    )
    return Server(name, process, f"http://127.0.0.1:{port}/graphql")


def wait_until_answering(server: Server, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} server exited with {server.process.returncode}")
        try:
            response = httpx.post(server.url, json=body, headers=headers, timeout=10)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        response.raise_for_status()
        answer = response.json()
        if answer.get("errors"):
            raise RuntimeError(f"{server.name} answered errors: {answer['errors']}")
        return answer["data"]
    raise RuntimeError(f"{server.name} server did not start")


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int


def run_load(url: str, body: dict[str, Any], headers: dict[str, str], *, seconds: float, clients: int,
             workdir: Path) -> Load:
    if shutil.which("wrk"):
        return _wrk(url, body, headers, seconds=seconds, clients=clients, workdir=workdir)
    return asyncio.run(_httpx_load(url, body, headers, seconds=seconds, clients=clients))


def _wrk(url: str, body: dict[str, Any], headers: dict[str, str], *, seconds: float, clients: int,
         workdir: Path) -> Load:
    script = workdir / "post.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(json.dumps(body))}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"failed requests under load:\n{output}")
    percentiles = {m[0]: _ms(m[1]) for m in re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M)}
    return Load(requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
                p50_ms=percentiles["50"], p99_ms=percentiles["99"],
                requests=int(re.search(r"(\d+) requests in", output)[1]))


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


async def _httpx_load(url: str, body: dict[str, Any], headers: dict[str, str], *, seconds: float,
                      clients: int) -> Load:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        stop = time.perf_counter() + seconds

        async def one_client() -> None:
            while (started := time.perf_counter()) < stop:
                response = await client.post(url, json=body, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return Load(requests_per_second=len(latencies) / elapsed, p50_ms=latencies[len(latencies) // 2] * 1000,
                p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
                requests=len(latencies))


# --- the run


def measure(url: str | None = None, *, rows: int = 3000, seconds: float = 8, rounds: int = 2,
            clients: int = 16) -> dict[str, Any]:
    """One run on the empty database at `url` (None: as DATABASE_URL says, see bench_database):
    requests per second and latencies of the three servers, the ratios, and the real server's
    RSS after the run."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="examreg-api-bench-db-") as tmp, bench_database(Path(tmp)) as url:
            return measure(url, rows=rows, seconds=seconds, rounds=rounds, clients=clients)
    with tempfile.TemporaryDirectory(prefix="examreg-api-bench-") as tmp:
        workdir = Path(tmp)
        storage = workdir / "storage"
        seeded = seed(url, storage, rows)
        # The page does not touch the broker: every server runs with the in-process one.
        env = {**os.environ, "DATABASE_URL": url, "STORAGE_DIR": str(storage), "REDIS_URL": "",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        body = {"query": QUERY, "variables": {"sessionId": str(seeded.session_id)}}
        headers = {"Authorization": f"Bearer {seeded.token}", "Content-Type": "application/json"}
        servers = [start_server("real", "app.asgi:create_app", env, workdir),
                   start_server("raw", "bench.api_speed:raw_app", env, workdir),
                   start_server("graphql-core", "bench.api_speed:graphql_core_app", env, workdir)]
        try:
            answers = {s.name: wait_until_answering(s, body, headers) for s in servers}
            expected = answers["raw"]
            assert len(expected["registrations"]["edges"]) == PAGE_SIZE
            assert expected["registrations"]["totalCount"] == seeded.visible
            for name, answer in answers.items():
                assert answer == expected, f"{name} answers different data from the raw endpoint"
            for server in servers:  # warm-up: connection pools, caches, imports
                run_load(server.url, body, headers, seconds=1, clients=clients, workdir=workdir)
            best: dict[str, Load] = {}
            for _ in range(rounds):  # interleaved, so a busy moment of the machine hits all three alike
                for server in servers:
                    load = run_load(server.url, body, headers, seconds=seconds, clients=clients, workdir=workdir)
                    if server.name not in best or load.requests_per_second > best[server.name].requests_per_second:
                        best[server.name] = load
            rss_kb = servers[0].rss_kb()
        finally:
            for server in servers:
                server.process.terminate()
            for server in servers:
                try:
                    server.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.process.kill()
    real, raw, core = best["real"], best["raw"], best["graphql-core"]
    return {
        "database": url.split(":", 1)[0].split("+")[0],
        "load_generator": "wrk" if shutil.which("wrk") else "httpx",
        "clients": clients,
        "real_rps": real.requests_per_second, "raw_rps": raw.requests_per_second,
        "graphql_core_rps": core.requests_per_second,
        "real_over_raw": real.requests_per_second / raw.requests_per_second,
        "real_over_graphql_core": real.requests_per_second / core.requests_per_second,
        "goal_over_raw": GOAL,
        "real_p50_ms": real.p50_ms, "real_p99_ms": real.p99_ms,
        "raw_p50_ms": raw.p50_ms, "raw_p99_ms": raw.p99_ms,
        "graphql_core_p50_ms": core.p50_ms, "graphql_core_p99_ms": core.p99_ms,
        "real_rss_mb": rss_kb / 1024,
    }


def figures(profile):  # noqa: ANN001, ANN201  bench.profile.Profile -> list[bench.profile.Figure]
    """For `python -m bench`: the embedded default, and PostgreSQL when the profile has a server."""
    from bench.profile import Figure

    sizes = {"rows": 1000, "seconds": 2, "rounds": 1} if profile.quick else {}
    runs: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="examreg-api-bench-db-") as tmp:
        runs.append(("sqlite", measure(f"sqlite:///{Path(tmp) / 'bench.db'}", **sizes)))
    if profile.postgres_url:
        with profile.postgres_database() as url:
            runs.append(("postgres", measure(url, **sizes)))
    found = []
    for backend, f in runs:
        name = f"API registrations(first: 100), {f['clients']} clients"
        found += [
            Figure(f"{name}: req/s vs raw Starlette + SQLAlchemy Core", backend, f["real_rps"], "req/s",
                   baseline=f["raw_rps"], baseline_name="raw endpoint", goal=f">= {GOAL}",
                   met=f["real_over_raw"] >= GOAL),
            Figure(f"{name}: req/s vs bare graphql-core", backend, f["real_rps"], "req/s",
                   baseline=f["graphql_core_rps"], baseline_name="bare graphql-core", goal=">= 1.0",
                   met=f["real_over_graphql_core"] >= 1.0),
            Figure(f"{name}: p50 latency", backend, f["real_p50_ms"], "ms"),
            Figure(f"{name}: p99 latency", backend, f["real_p99_ms"], "ms"),
            Figure("API server RSS after the run", backend, f["real_rss_mb"], "MB"),
        ]
    return found


def profile_in_process(*, rows: int = 3000, runs: int = 200) -> str:
    """pyinstrument's view of the real schema executing the page in this process (no HTTP)."""
    from pyinstrument import Profiler  # a development tool: pip install pyinstrument

    from app.db import Database
    from app.settings import Settings
    from schema import build_schema
    from schema.context import Context

    with tempfile.TemporaryDirectory(prefix="examreg-api-profile-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        seeded = seed(url, Path(tmp) / "storage", rows)
        database = Database(Settings(_env_file=None, database_url=url, redis_url="", storage_dir=Path(tmp)))
        schema = build_schema()
        variables = {"sessionId": str(seeded.session_id)}

        def page() -> None:
            result = schema._execute_in_thread(QUERY, variables, Context(database=database, token=seeded.token))
            assert not result.errors, result.errors

        page()
        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(runs):
                page()
        database.dispose()
    return profiler.output_text(unicode=True, show_all=False)


def report(figures: dict[str, Any]) -> str:
    f = figures
    return "\n".join([
        f"registrations(first: 100) on {f['database']}, {f['clients']} concurrent clients ({f['load_generator']})",
        f"{'server':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}",
        *(f"{label:<14}{f[k + '_rps']:>9.0f}{f[k + '_p50_ms']:>9.1f}{f[k + '_p99_ms']:>9.1f}"
          for label, k in (("real", "real"), ("raw", "raw"), ("graphql-core", "graphql_core"))),
        f"real/raw: {f['real_over_raw']:.2f}x (goal >= {f['goal_over_raw']:.2f}x)",
        f"real/graphql-core: {f['real_over_graphql_core']:.2f}x (goal >= 1.00x)",
        f"real server RSS after the run: {f['real_rss_mb']:.0f} MB",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--profile", action="store_true",
                        help="instead: profile the real schema executing the page in process (needs pyinstrument)")
    args = parser.parse_args()
    if args.profile:
        print(profile_in_process(rows=args.rows))
        return
    print(report(measure(rows=args.rows, seconds=args.seconds, rounds=args.rounds, clients=args.clients)))


if __name__ == "__main__":
    main()
