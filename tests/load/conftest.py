"""The load run starts PostgreSQL-backed API and worker processes: it runs only when asked for, with
`pytest -m load` (see README); the default run reports it skipped."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "load: deadline-day load on API and worker processes (bench/load_test.py)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "load" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="load run with its own processes: `pytest -m load tests/load` (see README)")
    for item in items:
        if item.get_closest_marker("load") is not None:
            item.add_marker(skip)
