"""The reader child dies with the process that imports (a worker killed with -9, or by the OOM killer).

It is forked, so it holds the sockets of that process's database connections, one of them
perhaps in the import's open transaction. Left alone it would wait forever on a pipe nobody
reads, and the dead import's transaction, and its locks, would stay open with it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from app.demo import People
from tests.imports.support import large_template, running, wait_gone

UNIT = "南宁市兴宁区综合行政执法局"
ROWS = 6000  # far more than a pipe holds: the child is still sending when its parent dies
# The importing process: a transaction holding a lock, then a reader child (inheriting that
# connection) sends its first batch, then the process is killed outright.
IMPORTER = """
import os, signal, sys
from pathlib import Path
import sqlalchemy as sa
from app.imports.reading import read_checked
from tests.imports.support import child_processes

url, file, unit = sys.argv[1:]
with sa.create_engine(url).connect() as connection:
    connection.execute(sa.text("INSERT INTO reader_child_probe VALUES (1)"))
    with read_checked(Path(file).read_bytes(), unit_name=unit) as reading:
        next(iter(reading))
        print(" ".join(map(str, child_processes(os.getpid()))), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_reader_child_dies_with_the_importing_process_and_its_transaction_ends(postgres_url, tmp_path: Path):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE reader_child_probe (n int PRIMARY KEY)"))
    file = tmp_path / "many.xlsx"
    file.write_bytes(large_template(People(random.Random(7)), UNIT, ROWS))
    children: list[int] = []
    try:
        importer = subprocess.run([sys.executable, "-c", IMPORTER, postgres_url, str(file), UNIT],
                                  capture_output=True, text=True, timeout=60, check=False,
                                  cwd=Path(__file__).parents[2])
        assert importer.returncode == -signal.SIGKILL, importer.stderr
        children = [int(pid) for pid in importer.stdout.split()]
        assert children, "the importing process had no reader child when it was killed"
        wait_gone(children, "the importing process")
        with engine.begin() as connection:  # the dead import's transaction ended: nothing holds its lock
            connection.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(sa.text("LOCK TABLE reader_child_probe IN ACCESS EXCLUSIVE MODE"))
            assert connection.execute(sa.text("SELECT count(*) FROM reader_child_probe")).scalar_one() == 0
    finally:
        for pid in children:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        with engine.begin() as connection:
            connection.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(sa.text("DROP TABLE reader_child_probe"))
        engine.dispose()

