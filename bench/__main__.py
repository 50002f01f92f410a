"""Every benchmark under bench/, one table: `python -m bench [--quick] [--only queue,import]`.

Each module bench/<name>.py that exposes `figures(profile) -> list[Figure]`
(bench/profile.py) is run in turn: import, photos, statistics, API, queue, then
any other. They measure on the embedded default (SQLite, in-process workers),
and on PostgreSQL / Redis when DATABASE_URL / REDIS_URL point at live servers
(each run makes a database and a Redis namespace of its own and removes them).
`--quick` takes small sizes: a smoke run, not figures to quote.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.profile import Figure, Profile  # noqa: E402

ORDER = ["import_speed", "photo_batch", "statistics_speed", "api_speed", "queue_speed"]
# load_test is a long run of its own (`python -m bench.load_test`), not a ratio against a baseline.
NOT_BENCHMARKS = {"__main__", "profile", "load_test"}
LIBRARIES = ["strawberry-graphql", "graphql-core", "starlette", "uvicorn", "sqlalchemy", "sqlmodel", "psycopg",
             "dramatiq", "redis", "httpx", "python-calamine", "openpyxl", "pillow", "pypdf"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", action="append", default=[],
                        help="benchmarks to run, by name (queue, import, photo, statistics, api); repeatable")
    args = parser.parse_args(argv)
    wanted = {name.strip() for value in args.only for name in value.split(",") if name.strip()}
    names = [n for n in benchmark_modules() if not wanted or wanted & _aliases(n)]
    unknown = {w for w in wanted if not any(w in _aliases(n) for n in names)}
    if unknown:
        parser.error(f"no benchmark named {', '.join(sorted(unknown))}; there are: "
                     f"{', '.join(n.split('_')[0] for n in benchmark_modules())}")

    profile = profile_from_environment(quick=args.quick)
    print(f"backends: sqlite (embedded default)"
          f"{', postgres ' + _safe(profile.postgres_url) if profile.postgres_url else ''}"
          f"{', redis ' + _safe(profile.redis_url) if profile.redis_url else ''}"
          f"{' — quick sizes' if profile.quick else ''}", flush=True)
    rows: list[Figure] = []
    failed: list[str] = []
    for name in names:
        started = time.perf_counter()
        print(f"\n== {name}", flush=True)
        try:
            measured = figures_of(name)(profile)
        except Exception:  # noqa: BLE001  one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            continue
        print(f"== {name}: {len(measured)} figures in {time.perf_counter() - started:.0f} s", flush=True)
        rows += measured
    print()
    print(table(rows))
    if failed:
        print(f"failed: {', '.join(failed)} (see above)")
    print()
    print(versions(profile))
    return 1 if failed else 0


def _aliases(name: str) -> set[str]:
    short = name.split("_")[0]
    return {name, short, short + "s"}


def benchmark_modules() -> list[str]:
    found = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name not in NOT_BENCHMARKS]
    return sorted(found, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def figures_of(name: str) -> Callable[[Profile], list[Figure]]:
    module = importlib.import_module(f"bench.{name}")
    if not hasattr(module, "figures"):
        raise RuntimeError(f"bench/{name}.py has no figures(profile) function")
    return module.figures


def profile_from_environment(*, quick: bool) -> Profile:
    """PostgreSQL and Redis join the run when DATABASE_URL / REDIS_URL name servers that answer."""
    return Profile(quick=quick, postgres_url=_live_postgres(os.environ.get("DATABASE_URL", "")),
                   redis_url=_live_redis(os.environ.get("REDIS_URL", "")))


def _live_postgres(url: str) -> str | None:
    if not url.startswith(("postgres://", "postgresql://", "postgresql+")):
        return None
    import sqlalchemy as sa

    server = sa.make_url(url.replace("postgres://", "postgresql://", 1))
    if server.drivername == "postgresql":
        server = server.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(server)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        print(f"DATABASE_URL does not answer, PostgreSQL is left out: {error.orig}", file=sys.stderr)
        return None
    finally:
        engine.dispose()
    return server.render_as_string(hide_password=False)


def _live_redis(url: str) -> str | None:
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        print(f"REDIS_URL does not answer, Redis is left out: {error}", file=sys.stderr)
        return None
    finally:
        client.close()
    return url


def table(figures: list[Figure]) -> str:
    header = ["figure", "backend", "value", "baseline", "ratio", "goal", "met"]
    lines = [[f.name, f.backend, _amount(f.value, f.unit),
              f"{_amount(f.baseline, f.unit)} ({f.baseline_name})" if f.baseline is not None else "",
              f"{f.ratio:.2f}" if f.ratio is not None else "", f.goal,
              "" if f.met is None else ("yes" if f.met else "NO")] for f in figures]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    render = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
              for row in [header, ["-" * w for w in widths], *lines]]
    return "\n".join(render)


def _amount(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.2f} {unit}"


def versions(profile: Profile) -> str:
    parts = [f"Python {platform.python_version()}", f"SQLite {sqlite3.sqlite_version}"]
    if profile.postgres_url:
        parts.append(f"PostgreSQL {_postgres_version(profile.postgres_url)}")
    if profile.redis_url:
        import redis

        client = redis.Redis.from_url(profile.redis_url)
        parts.append(f"Redis {client.info('server')['redis_version']}")
        client.close()
    libraries = []
    for name in LIBRARIES:
        try:
            libraries.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return "\n".join([
        "versions: " + ", ".join(parts),
        "libraries: " + ", ".join(libraries),
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
    ])


def _postgres_version(url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(sa.text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def _safe(url: str | None) -> str:
    import sqlalchemy as sa

    if not url or url.startswith("redis"):
        return (url or "").split("@")[-1]
    return sa.make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
