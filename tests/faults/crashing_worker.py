"""`examreg worker` whose process dies outright on an import job whose file is named CRASH*.xlsx, and
on the check of a single photo whose bytes contain CRASH_MARK.

Stands in for a file that takes the interpreter down (a parser that aborts, the kernel's
OOM killer): no exception, no cleanup, no acknowledgement. Everything else is the real worker.
Run as `python -m tests.faults.crashing_worker worker --threads 2`.
"""

from __future__ import annotations

import os
import sys

from app import cli
from app.documents import service as documents
from app.imports import service

CRASH_PREFIX = "CRASH"
CRASH_MARK = b"CRASH-THE-WORKER"
_work = service._work
_verdict_for = documents.verdict_for


def _work_or_die(database, storage, job):  # noqa: ANN001, ANN202
    if (job.input_name or "").startswith(CRASH_PREFIX):
        os._exit(70)
    return _work(database, storage, job)


def _verdict_or_die(storage, data):  # noqa: ANN001, ANN202
    if CRASH_MARK in data:
        os._exit(70)
    return _verdict_for(storage, data)


service._work = _work_or_die
documents.verdict_for = _verdict_or_die

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))
