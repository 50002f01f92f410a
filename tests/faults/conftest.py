"""The fault tests take minutes (worker processes, server restarts): they run only when asked for,
with `pytest -m faults` (see README); the default run reports them skipped."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: kills and restarts private servers and worker processes")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "faults" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="long fault run: `pytest -m faults` (see README)")
    for item in items:
        if item.get_closest_marker("faults") is not None:
            item.add_marker(skip)
