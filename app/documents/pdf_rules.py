"""Proof PDFs: a real PDF that opens without a password, 1 to 500 pages, at most 20 MB.

pypdf reads hostile files: broken cross-reference tables, page trees that loop
or fan out to millions of pages, exceptions of any type. `inspect_pdf` is pure and
runs inside a child process (`check_isolated`) with a time, CPU and memory limit,
so a file that hangs or exhausts the parser costs one child, never a worker.
"""

from __future__ import annotations

import io
import json
import logging
import math
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from enum import StrEnum

from app.documents.problems import Problem, size_text

MAX_BYTES = 20 * 1024 * 1024
MAX_PAGES = 500
CHECK_SECONDS = 30.0
MEMORY_LIMIT_BYTES = 1 << 30
# The header may follow a little junk; readers look in the first kilobyte.
HEADER_WINDOW = 1024


class PdfProblemCode(StrEnum):
    NOT_PDF = "NOT_PDF"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    PASSWORD_PROTECTED = "PASSWORD_PROTECTED"
    UNREADABLE = "UNREADABLE"
    NO_PAGES = "NO_PAGES"
    TOO_MANY_PAGES = "TOO_MANY_PAGES"
    CHECK_TIMED_OUT = "CHECK_TIMED_OUT"


@dataclass
class PdfFacts:
    pages: int | None = None
    encrypted: bool = False
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"pages": self.pages, "encrypted": self.encrypted, "problems": [p.as_dict() for p in self.problems]}

    @classmethod
    def from_dict(cls, data: dict) -> PdfFacts:
        return cls(pages=data.get("pages"), encrypted=bool(data.get("encrypted")),
                   problems=[Problem(**p) for p in data.get("problems", [])])


def quick_problems(data: bytes) -> list[Problem]:
    """What can be told at once, before the file is stored: size and type by content."""
    problems = []
    if len(data) > MAX_BYTES:
        problems.append(Problem(PdfProblemCode.FILE_TOO_LARGE,
                                f"文件大小 {size_text(len(data))}，须不超过 20 MB，请压缩或拆分后分别上传",
                                size_text(len(data)), "≤ 20 MB"))
    if b"%PDF-" not in data[:HEADER_WINDOW]:
        problems.append(Problem(PdfProblemCode.NOT_PDF,
                                "文件内容不是 PDF（可能只是改了扩展名），请用“另存为/导出为 PDF”生成 PDF 文件后上传",
                                "非 PDF", "PDF"))
    return problems


def inspect_pdf(data: bytes) -> PdfFacts:
    """Open the file as a reader would: decrypt with no password, count the pages, look at page 1."""
    facts = PdfFacts(problems=quick_problems(data))
    if facts.problems:
        return facts
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import FileNotDecryptedError

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            facts.encrypted = reader.is_encrypted
            # An owner password alone (or an empty user password) still opens: that is fine.
            if facts.encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                facts.problems.append(_password_problem())
                return facts
            facts.pages = len(reader.pages)
            if facts.pages:
                _ = reader.pages[0].mediabox  # a first page that cannot be laid out means a broken file
    except FileNotDecryptedError:
        facts.problems.append(_password_problem())
        return facts
    except Exception as exc:  # noqa: BLE001  pypdf raises many types (TypeError, AssertionError ...) on bad files
        facts.pages = None
        facts.problems.append(Problem(PdfProblemCode.UNREADABLE,
                                      "PDF 文件已损坏或结构异常，无法打开，请用原软件重新导出 PDF 后上传",
                                      type(exc).__name__, "能正常打开的 PDF"))
        return facts
    if facts.pages == 0:
        facts.problems.append(Problem(PdfProblemCode.NO_PAGES, "PDF 没有任何页面，请检查后重新导出", "0 页",
                                      f"1～{MAX_PAGES} 页"))
    elif facts.pages > MAX_PAGES:
        facts.problems.append(Problem(PdfProblemCode.TOO_MANY_PAGES,
                                      f"PDF 共 {facts.pages} 页，须不超过 {MAX_PAGES} 页，请拆分后分别上传",
                                      f"{facts.pages} 页", f"1～{MAX_PAGES} 页"))
    return facts


def check_isolated(data: bytes, *, seconds: float = CHECK_SECONDS,
                   memory_bytes: int = MEMORY_LIMIT_BYTES) -> PdfFacts:
    """`inspect_pdf` in a child process that is killed after `seconds` or past `memory_bytes`."""
    early = quick_problems(data)
    if early:
        return PdfFacts(problems=early)
    command = [sys.executable, "-m", "app.documents.pdf_probe", str(memory_bytes), str(math.ceil(seconds) + 1)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:  # run() has killed the child
        return PdfFacts(problems=[Problem(
            PdfProblemCode.CHECK_TIMED_OUT,
            f"PDF 结构异常，{seconds:g} 秒内无法完成检查，请用原软件重新导出 PDF 后上传",
            f"超过 {seconds:g} 秒", "能正常打开的 PDF")])
    if done.returncode == 0:
        try:
            return PdfFacts.from_dict(json.loads(done.stdout))
        except (ValueError, TypeError, KeyError):
            pass
    # Killed by the memory or CPU limit, or crashed inside the parser.
    return PdfFacts(problems=[Problem(PdfProblemCode.UNREADABLE,
                                      "PDF 文件已损坏或结构异常，无法打开，请用原软件重新导出 PDF 后上传",
                                      f"检查进程异常退出（{done.returncode}）", "能正常打开的 PDF")])


def _password_problem() -> Problem:
    return Problem(PdfProblemCode.PASSWORD_PROTECTED, "PDF 设置了打开密码，请取消密码后重新导出并上传",
                   "需要密码", "无需密码即可打开")
