"""Child process for one PDF check: the file on stdin, the facts as JSON on stdout.

Usage: python -m app.documents.pdf_probe MEMORY_BYTES CPU_SECONDS
"""

from __future__ import annotations

import json
import resource
import sys


def main() -> None:
    memory, cpu = (int(v) for v in sys.argv[1:3])
    # Limits of this process only: a hostile file can exhaust them, and only this child dies.
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    data = sys.stdin.buffer.read()
    from app.documents.pdf_rules import inspect_pdf

    try:
        facts = inspect_pdf(data)
    except MemoryError:
        sys.exit(3)
    sys.stdout.write(json.dumps(facts.as_dict(), ensure_ascii=False))


if __name__ == "__main__":
    main()
