"""`examreg serve` whose process dies at the worst moment: an import job is committed, and the process
exits before its message reaches the broker (as a kill or a crash at that instant would leave it).
Everything else is the real API. Run as `python -m tests.faults.dying_api serve --port N`.
"""

from __future__ import annotations

import os
import sys

from app import cli
from app.imports.service import ACTOR
from workers import broker

_send = broker.TaskQueue.send


def _send_or_die(self, actor_name, kwargs):  # noqa: ANN001, ANN202
    if actor_name == ACTOR:
        os._exit(137)
    return _send(self, actor_name, kwargs)


broker.TaskQueue.send = _send_or_die

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))
