"""The fuzz tests' figures (inputs tried, rejected, 5xx seen) are printed at the end of every run, captured or not."""

from __future__ import annotations

import pytest

from tests.fuzz.support import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("fuzz figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
