"""Child process that reads a workbook's cells with calamine, so a hostile file costs this child only.

calamine (Rust) sizes a sheet by the rectangle from its first to its last cell: a 2 KB workbook with
cells in A1 and XFD1048576 asks for 512 GB and aborts the whole process, which no Python `except`
can catch. Here it runs under an address-space and CPU limit, and the worker reads the outcome.

Usage: python -m app.imports.calamine_probe MEMORY_BYTES CPU_SECONDS WIDTH KEEP MAX_ROWS EMPTY_RUN SHEET...
The workbook comes on stdin; stdout gets a pickle of {sheet name: rows} (each row cut to KEEP cells,
stopping like the reader does: after MAX_ROWS rows whose first WIDTH cells are not all empty, or
EMPTY_RUN such empty rows in a row), with None for a sheet calamine cannot read, or the string
"unreadable" when the file is not a workbook calamine can open.
"""

from __future__ import annotations

import io
import pickle
import resource
import sys
from typing import Any

UNREADABLE = "unreadable"


def read_sheets(data: bytes, names: list[str], *, width: int, keep: int, max_rows: int,
                empty_run: int) -> dict[str, list[list[Any]] | None] | str:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # noqa: BLE001  calamine raises its own error types for damaged files
        return UNREADABLE
    sheets: dict[str, list[list[Any]] | None] = {}
    for name in names:
        try:
            rows = book.get_sheet_by_name(name).iter_rows()
        except Exception:  # noqa: BLE001  a sheet calamine cannot read is not the template
            sheets[name] = None
            continue
        sheets[name] = _rows(rows, width=width, keep=keep, max_rows=max_rows, empty_run=empty_run)
    return sheets


def _rows(rows: Any, *, width: int, keep: int, max_rows: int, empty_run: int) -> list[list[Any]]:
    kept: list[list[Any]] = []
    filled = empty = 0
    for row in rows:
        cells = row[:width]
        if cells.count("") == len(cells):  # calamine gives "" for an empty cell
            empty += 1
            if empty >= empty_run:
                break
        else:
            empty = 0
            filled += 1
        kept.append(row[:keep])
        if filled > max_rows:
            break
    return kept


def main() -> None:
    memory, cpu, width, keep, max_rows, empty_run = (int(v) for v in sys.argv[1:7])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    data = sys.stdin.buffer.read()
    try:
        outcome = read_sheets(data, sys.argv[7:], width=width, keep=keep, max_rows=max_rows, empty_run=empty_run)
    except MemoryError:
        sys.exit(3)
    sys.stdout.buffer.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    main()
