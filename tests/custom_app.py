"""The service over a backend's database and broker with some settings changed (rate limits,
trusted proxies), for tests of behaviour the shared test app has turned off."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from starlette.testclient import TestClient

from app.asgi import create_app
from app.settings import Settings


def settings_with(backend, **overrides: Any) -> Settings:  # noqa: ANN001
    return backend.settings.model_copy(update=overrides)


@contextlib.contextmanager
def client_with(backend, **overrides: Any) -> Iterator[TestClient]:  # noqa: ANN001
    """A TestClient (peer address "testclient") for an app with `overrides`; no worker of its own."""
    app = create_app(settings_with(backend, **overrides), run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
