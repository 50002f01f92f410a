"""`python -m bench` runs: a quick queue benchmark on the embedded default prints the one table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_bench_command_prints_the_queue_figures_and_the_versions(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "queue"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("figure "))
    assert [c.strip() for c in lines[header].split("|")] == ["figure", "backend", "value", "baseline", "ratio",
                                                              "goal", "met"]
    rows = [[c.strip() for c in line.split("|")] for line in lines[header + 2:] if "|" in line]
    by_name = {row[0]: row for row in rows}
    sms = by_name["SMS of training opened for 200 to the provider"]
    assert sms[1] == "sqlite" and sms[3].endswith("(drain 200 no-op messages)") and float(sms[4]) > 0
    assert by_name["drain 200 no-op messages"][2].endswith(" s")
    assert any(line.startswith("versions: Python ") and "SQLite " in line for line in lines)
    assert any(line.startswith("libraries: ") and "dramatiq " in line for line in lines)


def test_an_unknown_benchmark_name_is_refused_with_the_list():
    done = subprocess.run([sys.executable, "-m", "bench", "--only", "nothing"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 2 and "no benchmark named nothing" in done.stderr and "queue" in done.stderr
