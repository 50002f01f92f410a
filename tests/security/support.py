"""The service with some settings changed, and spies that tell whether any resolver ran."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.asgi import create_app


@contextlib.contextmanager
def app_client(backend, **overrides: Any) -> Iterator[TestClient]:  # noqa: ANN001
    """A TestClient for the app over the backend's database with `overrides`; no worker of its own."""
    app = create_app(backend.settings.model_copy(update=overrides), run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@dataclass
class ResolverSpy:
    """Counts the resolvers that looked at the caller (every signed-in field does) and the
    registration list service; a refused request touches neither."""

    user_reads: int = 0
    list_calls: int = 0

    @property
    def ran(self) -> int:
        return self.user_reads + self.list_calls


@pytest.fixture
def resolver_spy(monkeypatch: pytest.MonkeyPatch) -> ResolverSpy:
    from app.registrations import service
    from schema.context import Context

    spy = ResolverSpy()
    user = Context.user

    def counted_user(context: Context) -> Any:  # noqa: ANN401
        spy.user_reads += 1
        return user.fget(context)

    original_list = service.list_registrations

    def counted_list(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        spy.list_calls += 1
        return original_list(*args, **kwargs)

    monkeypatch.setattr(Context, "user", property(counted_user))
    monkeypatch.setattr(service, "list_registrations", counted_list)
    return spy
