"""The service under uvicorn on a free local port, for tests that talk to it as real clients do:
over a socket, with HTTP and websocket client libraries or other programs."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import uvicorn

from app.asgi import create_app
from app.db import Database
from app.settings import Settings


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    database: Database

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql"

    @property
    def websocket_url(self) -> str:
        return "ws" + self.graphql_url.removeprefix("http")


@contextlib.contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """A fresh app over `settings`' (already migrated) database and broker. With the in-process
    broker it runs its own worker threads; with Redis the workers already consuming the namespace
    do the background work."""
    app = create_app(settings)
    with serving(app) as base_url:
        yield LiveServer(base_url=base_url, database=app.state.database)


@contextlib.contextmanager
def serving(app, *, startup_timeout: float = 30) -> Iterator[str]:  # noqa: ANN001
    """Serve an ASGI app with uvicorn (lifespan included) in a thread; yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))  # bound here and handed over: no race for the port
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name=f"uvicorn-{port}",
                              daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on port {port}")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


def wait_until_serving(process: subprocess.Popen, base_url: str, *, timeout: float = 90,
                       path: str = "/readyz") -> None:
    """Until `examreg serve` (or another server process) answers 200 at `path`; it exiting fails at once."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base_url}{path}", timeout=2).status_code == 200:
                return
        if process.poll() is not None:
            raise RuntimeError(f"the server process exited with code {process.returncode} before it answered")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server did not answer {path} within {timeout:g} s")
        time.sleep(0.2)
