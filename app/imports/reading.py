"""Reading the rows of an uploaded template, after package.py's checks.

The cells are read by calamine (fast) in a child process under memory and time
limits (app/imports/reader_process.py), which sends the template's rows a batch at
a time. Meanwhile this process scans the worksheets' XML; a bad scan stops the
child and is the answer, as if it had come first.

`read_checked` gives every row checked with the shared rules, in row order, as the
batches arrive, so an import can write one batch while the next is being checked.
`read_template` gives the raw cells.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.imports import reader_process
from app.imports.layout import MAX_ROWS
from app.imports.package import SAVE_AS, BadWorkbook, inspect_workbook, scan_worksheets
from app.imports.rows import CheckedRows, check_each, drop_duplicates
from app.imports.template import DATA_SHEET

# The package checks bound the file (20 MB, 100 MB unpacked), but not the sheet size calamine
# derives from cell addresses: the child reading the cells has these limits of its own.
READ_MEMORY_BYTES = 1 << 30
READ_SECONDS = 60
# Reader children are forked (see app/imports/reader_process.py): they start at once, with the row rules loaded.
_CHILDREN = multiprocessing.get_context("fork")


@dataclass
class SheetRows:
    sheet: str
    header_row: int  # 1-based, as Excel shows it
    rows: list[tuple[int, list[Any]]]  # (Excel row number, cells by template column)


@dataclass(frozen=True)
class Sheet:
    """Where the template's data is, and how many data rows it may have (empty rows below it included)."""

    name: str
    header_row: int
    at_most: int


class CheckedReading:
    """The template's sheet, then its rows checked, a batch at a time (see `read_checked`)."""

    def __init__(self, child: _Child, sheet: Sheet, unit_name: str) -> None:
        self._child, self.sheet, self._unit_name = child, sheet, unit_name
        self._first_seen: dict[str, int] = {}

    @property
    def total(self) -> int:
        """The number of data rows, once every batch has been read."""
        if self._child.total is None:
            raise RuntimeError("the rows have not all been read yet")
        return self._child.total

    def __iter__(self) -> Iterator[CheckedRows]:
        """Batches in row order: each row's own problems, and a later row repeating an earlier ID number."""
        for kind, payload in self._child.batches():
            checked = payload if kind == "checked" else check_each(payload, unit_name=self._unit_name)
            drop_duplicates(checked, self._first_seen)
            yield checked


@contextmanager
def read_checked(data: bytes, *, unit_name: str) -> Iterator[CheckedReading]:
    """The template's rows checked with the shared rules, the work shared with the reading child.

    Raises BadWorkbook (on entering, or while iterating) when the file is not a readable template.
    """
    with _Child.start(data, unit_name=unit_name) as child:
        yield CheckedReading(child, child.sheet, unit_name)


def read_template(data: bytes) -> SheetRows:
    """The data rows of the template's sheet as cells, or BadWorkbook saying what is wrong."""
    with _Child.start(data, unit_name=None) as child:
        rows = [row for _kind, batch in child.batches() for row in batch]
        return SheetRows(child.sheet.name, child.sheet.header_row, rows)


class _Child:
    """One reader child process and the pipe it sends on."""

    def __init__(self, process: multiprocessing.process.BaseProcess, pipe: Any, deadline: float) -> None:
        self._process, self._pipe, self._deadline = process, pipe, deadline
        self.sheet: Sheet | None = None
        self.total: int | None = None  # data rows, from the child's last message

    @classmethod
    @contextmanager
    def start(cls, data: bytes, *, unit_name: str | None) -> Iterator[_Child]:
        every = inspect_workbook(data, scan_sheets=False)
        ordered = sorted((s for s in every if s.visible), key=lambda s: s.name != DATA_SHEET)
        receiving, sending = _CHILDREN.Pipe(duplex=False)
        process = _CHILDREN.Process(
            target=reader_process.run, args=(sending, data, [s.name for s in ordered], unit_name),
            kwargs={"importer": os.getpid(), "importers_end": receiving,
                    "memory_bytes": READ_MEMORY_BYTES, "cpu_seconds": READ_SECONDS + 1, "max_rows": MAX_ROWS},
            daemon=True)
        process.start()
        sending.close()
        child = cls(process, receiving, time.monotonic() + READ_SECONDS)
        try:
            scan_worksheets(data, every)
            child.sheet = child._first()
            yield child
        finally:
            child._stop()

    def _first(self) -> Sheet:
        message = self._receive()
        kind = message[0]
        if kind == "sheet":
            return Sheet(*message[1:])
        if kind == "unreadable":
            raise BadWorkbook(f"文件内容已损坏，无法读取。{SAVE_AS}")
        if kind == "bad":
            raise BadWorkbook(message[1])
        return self._unexpected(message)

    def batches(self) -> Iterator[tuple[str, Any]]:
        """("checked", CheckedRows) or ("rows", raw rows), in row order, until the child is done."""
        while True:
            message = self._receive()
            kind = message[0]
            if kind in ("checked", "rows"):
                yield kind, message[1]
            elif kind == "done":
                self.total = message[1]
                return
            elif kind == "bad":
                raise BadWorkbook(message[1])
            else:
                self._unexpected(message)

    def _receive(self) -> tuple[Any, ...]:
        if not self._pipe.poll(max(self._deadline - time.monotonic(), 0)):
            raise BadWorkbook(f"文件结构异常，{READ_SECONDS:g}秒内无法读取完毕，系统拒绝读取。{SAVE_AS}")
        try:
            return self._pipe.recv()
        except EOFError:
            # Killed by the memory or CPU limit, or aborted inside calamine: a hostile or broken file.
            raise BadWorkbook("文件结构异常（例如单元格位置远超表格实际范围），读取所需的内存或时间超出限制，系统拒绝读取。"
                              "请将数据复制到新下载的模板中再上传") from None

    @staticmethod
    def _unexpected(message: tuple[Any, ...]) -> Any:
        if message[0] == "failed":
            raise RuntimeError(f"the workbook reader failed:\n{message[1]}")
        raise RuntimeError(f"the workbook reader sent {message[0]!r} out of turn")

    def _stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._process.close()
        self._pipe.close()
