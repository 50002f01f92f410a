"""Queries and mutations run in a worker thread, so SQL and password checks never stall the event loop."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import graphql

from schema import build_schema
from schema.execution import _async_resolvers
from tests.api import Api


def test_every_query_and_mutation_resolver_is_synchronous_so_operations_run_off_the_loop():
    schema = build_schema()
    core = schema._schema
    # An async resolver would send its whole operation type back onto the event loop: name it.
    assert _async_resolvers(core, core.query_type) == []
    assert _async_resolvers(core, core.mutation_type) == []
    assert schema.in_thread == {graphql.OperationType.QUERY: True, graphql.OperationType.MUTATION: True}


def test_a_login_runs_in_a_worker_thread_not_on_the_loop(backend, monkeypatch):
    from app.accounts import service as accounts

    on_loop: list[bool] = []
    real = accounts.login

    def observed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(*args, **kwargs)

    monkeypatch.setattr(accounts, "login", observed)
    answer = Api(backend.client).post({"query": 'mutation { login(username: "nobody", password: "x") { token } }'})
    assert "data" in answer and on_loop == [False]


def test_no_more_queries_execute_at_once_than_query_threads(backend, monkeypatch):
    """Six queries sent together to a schema with query_threads=2: two run, four wait for a thread."""
    import threading

    import anyio

    from schema import reference
    from schema.context import Context

    schema = build_schema(query_threads=2)
    inside: list[str] = []
    release = threading.Event()

    def held(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        inside.append(threading.current_thread().name)
        release.wait(timeout=30)
        return []

    monkeypatch.setattr(reference, "list_divisions", held)

    async def six_at_once() -> tuple[int, int, list]:
        limiter = schema._query_threads()
        async with anyio.create_task_group() as group:
            results = []

            async def one() -> None:
                results.append(await schema.execute("{ divisions { code } }", context_value=Context(
                    database=backend.database)))

            for _ in range(6):
                group.start_soon(one)
            with anyio.fail_after(30):  # everyone either running or waiting for a thread
                while len(inside) + limiter.statistics().tasks_waiting < 6:
                    await anyio.sleep(0.01)
            running, waiting = len(inside), limiter.statistics().tasks_waiting
            release.set()
        return running, waiting, results

    # An event loop of its own, in a thread of its own: clear of any loop another tool left running
    # in this thread (Playwright's sync API, in the dashboard tests).
    with ThreadPoolExecutor(max_workers=1) as pool:
        running, waiting, results = pool.submit(asyncio.run, six_at_once()).result(timeout=120)
    assert (running, waiting) == (2, 4)
    assert len(inside) == 6 and all(r.errors is None and r.data == {"divisions": []} for r in results)
