"""Headless Chromium (Debian's package, never a downloaded build) and the app served by `examreg serve`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import wait_until_serving

CHROMIUM = shutil.which("chromium") or next(
    (p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.path.exists(p)), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed: apt-get install chromium (.ci/run installs it)",
)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Running as root (CI) needs --no-sandbox; the page is our own.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh browser context (its own sessionStorage) that may talk to no host but the server."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    opened = context.new_page()
    opened.requested = []
    opened.on("request", lambda request: opened.requested.append(request.url))
    opened.errors = []
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    yield opened
    context.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Servers:
    """One `examreg serve` process per backend, started when a test first needs it. The tables are
    emptied between tests underneath it, as they would be for any client of the database."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, tuple[subprocess.Popen, str]] = {}

    def url_for(self, backend) -> str:  # noqa: ANN001
        if backend.name not in self.running:
            self.running[backend.name] = self._start(backend)
        process, base_url = self.running[backend.name]
        assert process.poll() is None, f"examreg serve died: {self._log(backend.name)[-2000:]}"
        return base_url

    def _start(self, backend) -> tuple[subprocess.Popen, str]:  # noqa: ANN001
        settings = backend.settings
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
               "BROKER_NAMESPACE": settings.broker_namespace, "STORAGE_DIR": str(settings.storage_dir),
               "SECRET_KEY": settings.secret_key, "LOGIN_RATE_LIMIT": settings.login_rate_limit}
        with (self.logs / f"{backend.name}.log").open("w") as output:
            process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                                       stdout=output, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(process, base_url, timeout=60)
        except (RuntimeError, TimeoutError) as problem:
            process.kill()
            raise RuntimeError(f"examreg serve did not start ({problem}): {self._log(backend.name)[-2000:]}") from None
        return process, base_url

    def _log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    def stop(self) -> None:
        for process, _ in self.running.values():
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    started = Servers(tmp_path_factory.mktemp("serve-logs"))
    yield started
    started.stop()


@pytest.fixture
def server(backend, servers: Servers) -> str:
    """The base URL of `examreg serve` in its own process over the test's database and broker."""
    return servers.url_for(backend)
