"""`examreg` command line: the other composition root besides app.asgi."""

from __future__ import annotations

import argparse
import getpass
import logging
import signal
import sys
import threading
import time

from app import logs
from app.db import Database
from app.errors import AppError
from app.settings import Settings

# How long an idle keep-alive connection stays open. uvicorn's 5 s equals httpx's idle expiry, so a
# client reusing a connection idle just under 5 s can meet the server's close on the way and get a
# ReadError for a request the server never saw; proxies idle upstream connections for up to 60 s.
KEEP_ALIVE_SECONDS = 65


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="examreg", description="行政执法人员资格（续职）培训考试报名系统")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, then serve the API (with in-process workers by default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    worker = commands.add_parser("worker", help="run Dramatiq workers for the Redis broker")
    worker.add_argument("--threads", type=int, default=4)
    worker.add_argument("--prefetch", type=int, default=None,
                        help="messages taken ahead from Redis (default: 32 per thread, see workers/broker.py)")
    commands.add_parser("migrate", help="bring the database schema and reference data up to date")
    superuser = commands.add_parser("create-superuser", help="create or reset an operator account")
    superuser.add_argument("--username")
    superuser.add_argument("--password")
    demo = commands.add_parser("demo", help="load a realistic demo data set and print its logins")
    demo.add_argument("--scale", type=int, default=300, help="number of registrations")
    commands.add_parser("export-schema", help="write the GraphQL SDL to schema/schema.graphql")
    check = commands.add_parser("check-worker", help="send a no-op job through the broker and wait for it")
    check.add_argument("--timeout", type=float, default=30)

    args = parser.parse_args(argv)
    logs.configure(logging.INFO)
    settings = Settings()
    handler = {
        "serve": _serve, "worker": _worker, "migrate": _migrate, "create-superuser": _create_superuser,
        "demo": _demo, "export-schema": _export_schema, "check-worker": _check_worker,
    }[args.command]
    return handler(settings, args) or 0


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    from app.migrate import migrate

    database = Database(settings)
    migrate(database)
    database.dispose()
    print("数据库已是最新版本 (database schema and reference data are up to date)")
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from app.asgi import create_app

    _migrate(settings, args)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, proxy_headers=True, log_config=None,
                timeout_keep_alive=KEEP_ALIVE_SECONDS)
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from app.metrics import MULTIPROCESS_DIR, Metrics
    from workers.broker import TaskQueue

    if not settings.uses_redis:
        print("REDIS_URL is not set: with the embedded default the workers run inside `examreg serve`.",
              file=sys.stderr)
        return 2
    database = Database(settings)
    queue = TaskQueue(database, metrics=Metrics())
    if not MULTIPROCESS_DIR:
        logging.getLogger("examreg").warning(
            "PROMETHEUS_MULTIPROC_DIR is not set: this worker's actor figures will not reach /metrics")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    queue.start_worker(threads=args.threads, prefetch=args.prefetch)
    print(f"worker running with {args.threads} threads on {settings.broker_namespace}; Ctrl+C to stop")
    stop.wait()
    queue.close()
    database.dispose()
    return 0


def _create_superuser(settings: Settings, args: argparse.Namespace) -> int:
    from app.accounts.service import create_superuser

    username = args.username or input("用户名 username: ").strip()
    password = args.password or getpass.getpass("密码 password: ")
    database = Database(settings)
    try:
        with database.transaction() as session:
            create_superuser(session, username=username, password=password, settings=settings)
    except AppError as error:
        for problem in error.problems:
            print(f"错误 {problem.code}: {problem.message}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    print(f"系统管理员账号 {username} 已就绪 (superuser ready)")
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from app.demo import load_demo
    from app.migrate import migrate

    database = Database(settings)
    migrate(database)
    logins = load_demo(database, scale=args.scale)
    database.dispose()
    print("演示数据已载入 (demo data loaded). 登录账号 logins:")
    for login in logins:
        print(f"  {login.role:<18} {login.username:<24} {login.password:<14} {login.note}")
    return 0


def _export_schema(_: Settings, __: argparse.Namespace) -> int:
    from schema import SDL_PATH, export_sdl

    SDL_PATH.write_text(export_sdl(), encoding="utf-8")
    print(f"wrote {SDL_PATH}")
    return 0


def _check_worker(settings: Settings, args: argparse.Namespace) -> int:
    from app.health import request_health_check
    from app.jobs import Job, JobStatus
    from workers.broker import TaskQueue

    database = Database(settings)
    queue = TaskQueue(database)
    if queue.in_process:
        queue.start_worker()
    with database.transaction() as session:
        job = request_health_check(session, user=None)
    deadline = time.monotonic() + args.timeout
    status = JobStatus.QUEUED
    while time.monotonic() < deadline:
        with database.session() as session:
            status = session.get(Job, job.id).status
        if status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            break
        time.sleep(0.2)
    queue.close()
    database.dispose()
    print(f"health job {job.id}: {status}")
    return 0 if status == JobStatus.SUCCEEDED else 1


if __name__ == "__main__":
    sys.exit(main())
