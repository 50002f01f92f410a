"""A short deadline-day load (bench/load_test.py) on the production shape: no request may fail, and
the report's server-side figures come from /metrics, summed over the API and worker processes."""

from __future__ import annotations

import pytest

from bench import load_test

pytestmark = pytest.mark.load


def test_short_deadline_day_load_has_no_errors_and_reports_from_metrics():
    result = load_test.run(seconds=5, clients=10, api_workers=2, worker_processes=1, worker_threads=2)
    print(result.text)
    assert result.errors == 0 and result.server_errors == 0, result.text
    assert result.counts["Login"][0] >= 10, result.text  # every client signed in
    # every request the clients made was timed by one of the API processes and reached /metrics
    assert all(made == served for made, served in result.counts.values()), result.text
