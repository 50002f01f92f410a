"""Queries and mutations run in a worker thread, so SQL and password checks never stall the event loop."""

from __future__ import annotations

import asyncio

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
