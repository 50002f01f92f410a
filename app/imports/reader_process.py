"""The child process that reads an uploaded workbook's cells with calamine, and checks rows.

calamine (Rust) sizes a sheet by the rectangle from its first to its last cell: a 2 KB
workbook with cells in A1 and XFD1048576 asks for 512 GB and aborts the whole process,
which no Python `except` can catch. So the cells are read here, under an address-space
and CPU limit, and the importing process only ever sees what this child sends.

The child finds the template's sheet and rows (app/imports/layout.py) and sends them
a batch at a time as messages on a pipe, as they are ready:

    ("sheet", name, header_row, at_most)     first (data rows at most, for progress); then, in row order,
    ("checked", CheckedRows)                 a batch checked here (without the file-wide duplicate rule), or
    ("rows", [(row number, cells), ...])     a batch left for the importing process to check;
    ("done", total)                          last, with the number of data rows.

Instead of "sheet": ("unreadable",) when calamine cannot open the file, ("bad", message)
when it is not the template or has too many rows, ("failed", traceback) on a fault of ours.
A child killed by its limits just ends, and the pipe with it.

Rows become Python values as they are sent: the first batch leaves while the last rows
are still calamine's.

Given the importer's unit name, the child checks most batches and leaves the
others to the importing process, so both processor cores work while the rows stream.

The child is forked from the importing process (multiprocessing's "fork" start method), so
it starts at once with the row rules loaded instead of waiting for a new interpreter. It
only runs calamine and the pure-Python row rules, with the cyclic garbage collector off,
and multiprocessing ends it with os._exit: nothing it inherited (database connections,
other threads' state) is used, finalised or flushed. Its memory limit is counted on top
of the address space it inherits.

It does hold what it inherited, though: the sockets of the importing process's database
connections, one of them perhaps in the import's open transaction. So it dies with the
importing process (a worker killed with -9 or by the OOM killer): left alone, it would wait
forever on a pipe nobody reads, and keep that transaction, and its locks, open with it.
"""

from __future__ import annotations

import ctypes
import faulthandler
import gc
import io
import itertools
import os
import resource
import signal
import sys
import traceback
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

import python_calamine

from app.imports import layout
from app.imports.rows import check_each

BATCH = 500
# The child checks SHARE - 1 batches out of SHARE and leaves one to the importing process,
# which also plans, writes and reports every batch.
SHARE = 6
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def run(connection: Connection, data: bytes, sheet_names: list[str], unit_name: str | None, *,
        importer: int, importers_end: Connection, memory_bytes: int, cpu_seconds: int, max_rows: int) -> None:
    """The child's whole life: bound to the importing process and limited first, then read, check and send."""
    _die_with(importer)
    importers_end.close()  # so that a send fails, rather than waits, once the importing process is gone
    gc.disable()
    _quiet()
    address_space = memory_bytes + _inherited_address_space()
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    try:
        _read(connection, data, sheet_names, unit_name, max_rows)
    except MemoryError:
        return  # the same as being killed by the limit: the pipe ends without "done"
    except Exception:  # noqa: BLE001  reported to the importing process, which treats it as its own fault
        connection.send(("failed", traceback.format_exc()))
    finally:
        connection.close()


def _die_with(importer: int) -> None:
    """Be killed by the kernel as soon as the importing process (the thread that forked this one) ends."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != importer:  # it ended before the line above took effect
        os._exit(1)


def _read(connection: Connection, data: bytes, sheet_names: list[str], unit_name: str | None, max_rows: int) -> None:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # noqa: BLE001  calamine raises its own error types for damaged files
        connection.send(("unreadable",))
        return
    heights: dict[str, int] = {}
    try:
        name, header_row, rows = layout.locate(
            ((name, _sheet_rows(book, name, heights)) for name in sheet_names), max_rows=max_rows)
        at_most = heights[name] - header_row  # the sheet's rows below the header, empty ones included
        if at_most > max_rows:
            rows = iter(list(rows))  # count them before sending any: a file over the limit gets no batch
        connection.send(("sheet", name, header_row, at_most))
        total = 0
        for index, batch in enumerate(_batches(rows)):
            if unit_name is None or _left_to_importer(index):
                connection.send(("rows", batch))
            else:
                connection.send(("checked", check_each(batch, unit_name=unit_name)))
            total += len(batch)
    except layout.LayoutProblem as problem:
        connection.send(("bad", problem.message))
        return
    connection.send(("done", total))


def _left_to_importer(index: int) -> bool:
    """One batch in SHARE, and the first: the importing process waits for it with nothing else to do."""
    return index % SHARE == SHARE - 1 or index == 0


def _batches(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[list[tuple[int, list[Any]]]]:
    while batch := list(itertools.islice(rows, BATCH)):
        yield batch


def _sheet_rows(book, name: str, heights: dict[str, int]):  # noqa: ANN001, ANN202  (calamine's own types)
    try:
        sheet = book.get_sheet_by_name(name)
    except Exception:  # noqa: BLE001  a sheet calamine cannot read is not the template
        return None
    heights[name] = sheet.height  # how many rows iter_rows gives
    return iter(sheet.iter_rows())


def _inherited_address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _quiet() -> None:
    """calamine's abort message and backtrace would land in the worker's log: the pipe says enough."""
    faulthandler.disable()
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 1)
        os.dup2(devnull.fileno(), 2)
