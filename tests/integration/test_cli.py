"""The `examreg` command on a fresh database, as a new user runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request

import pytest

from tests.server import wait_until_serving


def run(env, *args, timeout=120):
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def fresh_env(tmp_path):
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "REDIS_URL": "",
            "STORAGE_DIR": str(tmp_path / "storage")}


def test_migrate_superuser_and_demo_on_a_fresh_database(fresh_env):
    assert run(fresh_env, "migrate").returncode == 0
    weak = run(fresh_env, "create-superuser", "--username", "ops", "--password", "8888")
    assert weak.returncode == 1 and "WEAK_PASSWORD" in weak.stderr
    assert run(fresh_env, "create-superuser", "--username", "ops", "--password", "Operator2026").returncode == 0
    demo = run(fresh_env, "demo", "--scale", "120")
    assert demo.returncode == 0, demo.stderr
    assert "8888" in demo.stdout and "UNIT_ADMIN" in demo.stdout and "COUNTY_REVIEWER" in demo.stdout
    again = run(fresh_env, "demo")
    assert again.returncode == 0 and again.stdout.count("UNIT_ADMIN") == demo.stdout.count("UNIT_ADMIN")


def test_serve_migrates_and_answers(fresh_env):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=fresh_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}", timeout=60)
        page = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", headers={"Accept": "text/html"})
        with urllib.request.urlopen(page, timeout=5) as response:
            assert "graphiql" in response.read().decode().lower()  # GraphiQL outside production
    finally:
        server.terminate()
        server.communicate(timeout=20)
