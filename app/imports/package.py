"""Is this upload an .xlsx workbook we can read safely? One clear answer before any parsing.

Checks the bytes (not the file name): legacy .xls/.et and encrypted workbooks
(OLE containers), CSV, PDF and images renamed .xlsx; then the OOXML package:
entry count, uncompressed size and compression ratio (zip bombs), macros,
.xlsb, .ods, Strict OOXML, missing parts, pivot tables, and XML that declares a
DTD or entities (billion laughs) or is not well-formed.
"""

from __future__ import annotations

import io
import posixpath
import xml.parsers.expat
import zipfile
import zlib
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from app.errors import AppError, ErrorCode

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 10_000
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 200
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
SHEET_STATES = frozenset({"visible", "hidden", "veryHidden"})
SAVE_AS = "请用Excel或WPS打开后“另存为”Excel工作簿(*.xlsx)，或重新下载模板填写"


class BadWorkbook(AppError):
    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.BAD_FILE, message, "file")


# What reading a damaged package raises: a bad header or CRC, compressed data that does not inflate
# (zlib.error) or ends early (EOFError), a compression method or multi-disk archive zipfile cannot read,
# a part flagged as encrypted (RuntimeError).
DAMAGED = (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError, ValueError)


@dataclass(frozen=True)
class Sheet:
    name: str
    part: str  # e.g. xl/worksheets/sheet1.xml
    visible: bool


def inspect_workbook(data: bytes, *, scan_sheets: bool = True) -> list[Sheet]:
    """The workbook's sheets, or BadWorkbook saying exactly what is wrong with the file.

    `scan_sheets=False` skips streaming every worksheet through the XML parser: the
    quick check at upload time; the worker always scans before reading.
    """
    if not data:
        raise BadWorkbook("上传的文件是空的，请重新选择文件")
    if len(data) > MAX_FILE_BYTES:
        raise BadWorkbook(f"文件超过{MAX_FILE_BYTES >> 20}MB，请删除多余的工作表或格式后再上传")
    _refuse_other_formats(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except DAMAGED as exc:
        raise BadWorkbook(f"文件已损坏或不完整，无法打开。{SAVE_AS}") from exc
    with archive:
        names = _check_entries(entries)
        _refuse_other_packages(names)
        sheets = _sheets(archive, names)
        for sheet in sheets if scan_sheets else ():
            _check_worksheet_xml(archive, sheet.part)
    return sheets


def scan_worksheets(data: bytes, sheets: list[Sheet]) -> None:
    """The worksheets' part of `inspect_workbook`, for a file whose package it has already passed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for sheet in sheets:
            _check_worksheet_xml(archive, sheet.part)


def _refuse_other_formats(data: bytes) -> None:
    head = data[:8]
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptedPackage" in data.replace(b"\x00", b""):
            raise BadWorkbook("工作簿设置了打开密码，系统无法读取。请在Excel或WPS中取消密码（文件-信息-保护工作簿）后另存为.xlsx再上传")
        raise BadWorkbook(f"这是旧版Excel(.xls)或WPS表格(.et)文件，系统只接受.xlsx。{SAVE_AS}")
    if head.startswith(b"%PDF"):
        raise BadWorkbook("上传的是PDF文件，不是Excel工作簿。请下载报名信息表模板，填写后上传.xlsx文件")
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM")) or (head[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise BadWorkbook("上传的是图片，不是Excel工作簿。请下载报名信息表模板，填写后上传.xlsx文件")
    if not head.startswith(b"PK"):
        raise BadWorkbook("上传的文件不是Excel工作簿(.xlsx)，可能是CSV或文本文件。请下载报名信息表模板，填写后上传")


def _check_entries(entries: list[zipfile.ZipInfo]) -> set[str]:
    if len(entries) > MAX_ENTRIES:
        raise BadWorkbook("文件内部结构异常（部件过多），系统拒绝读取。" + SAVE_AS)
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.compress_size and entry.file_size / entry.compress_size > MAX_RATIO and entry.file_size > 1 << 20:
            raise BadWorkbook("文件内部数据压缩比异常（疑似压缩炸弹），系统拒绝读取。" + SAVE_AS)
    if total > MAX_UNCOMPRESSED:
        raise BadWorkbook(f"文件解压后超过{MAX_UNCOMPRESSED >> 20}MB（疑似压缩炸弹或包含大量无用内容），系统拒绝读取。{SAVE_AS}")
    return {e.filename for e in entries}


def _refuse_other_packages(names: set[str]) -> None:
    if "mimetype" in names and "content.xml" in names:
        raise BadWorkbook(f"这是OpenDocument表格(.ods)文件，系统只接受.xlsx。{SAVE_AS}")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise BadWorkbook("文件包含宏（.xlsm），出于安全原因不能导入。请另存为不含宏的Excel工作簿(*.xlsx)")
    if "xl/workbook.bin" in names:
        raise BadWorkbook(f"这是Excel二进制工作簿(.xlsb)，系统只接受.xlsx。{SAVE_AS}")
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise BadWorkbook(f"文件不是有效的Excel工作簿（缺少工作簿部件），可能已损坏。{SAVE_AS}")
    if any(n.startswith(("xl/pivotTables/", "xl/pivotCache/")) for n in names):
        raise BadWorkbook("文件包含数据透视表，不是报名信息表模板。请将数据复制到下载的模板中再上传")


def _parse_small(archive: zipfile.ZipFile, name: str):  # noqa: ANN202
    """defusedxml refuses DTDs and entity expansion; these parts are small."""
    try:
        with archive.open(name) as stream:
            return SafeET.fromstring(stream.read(MAX_UNCOMPRESSED))
    except DefusedXmlException as exc:
        raise BadWorkbook("文件包含不安全的XML内容（DTD或实体声明），系统拒绝读取。" + SAVE_AS) from exc
    except (SafeET.ParseError, KeyError, *DAMAGED) as exc:
        raise BadWorkbook(f"文件内容已损坏（{name}无法解析）。{SAVE_AS}") from exc


def _sheets(archive: zipfile.ZipFile, names: set[str]) -> list[Sheet]:
    _parse_small(archive, "[Content_Types].xml")
    workbook = _parse_small(archive, "xl/workbook.xml")
    if workbook.tag == f"{{{STRICT_NS}}}workbook":
        raise BadWorkbook(f"这是“Strict Open XML”格式的工作簿，系统无法读取。{SAVE_AS}")
    rels_name = "xl/_rels/workbook.xml.rels"
    if rels_name not in names:
        raise BadWorkbook(f"文件不完整（缺少{rels_name}），可能已损坏。{SAVE_AS}")
    targets = {}
    for rel in _parse_small(archive, rels_name).iter(f"{{{REL_NS}}}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if part not in names:
            raise BadWorkbook(f"文件不完整（缺少部件{part}），可能已损坏。{SAVE_AS}")
        targets[rel.get("Id")] = part
    for small in ("xl/sharedStrings.xml", "xl/styles.xml"):
        if small in names:
            _parse_small(archive, small)
    sheets = []
    for sheet in workbook.iter(f"{{{MAIN_NS}}}sheet"):
        state = sheet.get("state", "visible")
        if state not in SHEET_STATES:
            raise BadWorkbook(f"工作簿结构不规范（工作表状态“{state}”无效）。{SAVE_AS}")
        part = targets.get(sheet.get(f"{{{OFFICE_REL_NS}}}id"))
        if part and part.startswith("xl/worksheets/"):
            sheets.append(Sheet(name=sheet.get("name", ""), part=part, visible=state == "visible"))
    if not sheets:
        raise BadWorkbook("工作簿中没有工作表。请下载报名信息表模板，填写后上传")
    return sheets


def _check_worksheet_xml(archive: zipfile.ZipFile, part: str) -> None:
    """Well-formed, no DTD, no empty style attributes; streamed through expat without building a tree."""

    def forbid(*_args) -> None:  # noqa: ANN002
        raise BadWorkbook("文件包含不安全的XML内容（DTD或实体声明），系统拒绝读取。" + SAVE_AS)

    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    tail = b""
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(1 << 20):
                if b' s=""' in tail + chunk:
                    raise BadWorkbook(f"工作表中有格式损坏的单元格（样式属性为空）。{SAVE_AS}")
                tail = chunk[-8:]
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as exc:
        raise BadWorkbook(f"工作表内容已损坏（第{exc.lineno}行XML格式错误）。{SAVE_AS}") from exc
    except DAMAGED as exc:
        raise BadWorkbook(f"文件已损坏或不完整，无法打开。{SAVE_AS}") from exc
