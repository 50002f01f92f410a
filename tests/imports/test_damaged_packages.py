"""A workbook whose parts do not inflate is a damaged file with one clear message, never a server error.

Found by mutating a filled-in template byte by byte: compressed data that does not inflate raised
zlib.error (not an OSError), an unsupported compression method NotImplementedError, a part flagged as
encrypted RuntimeError; the upload answered INTERNAL_SERVER_ERROR and a damaged worksheet left the
import job RUNNING.
"""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from app.accounts.models import Role
from app.imports.package import BadWorkbook, inspect_workbook
from tests.api import Api
from tests.factories import PASSWORD, candidate, make_exam_session, make_unit, make_user
from tests.imports.support import filled_template, person_row, upload, wait_for

CONTENT_TYPES = "[Content_Types].xml"
SHEET = "xl/worksheets/sheet1.xml"


def _workbook() -> bytes:
    return filled_template([person_row(candidate(sessionId=1), "测试单位") for _ in range(3)])


def _data_offset(data: bytes, part: str) -> int:
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(part)
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    return info.header_offset + 30 + name_length + extra_length


def not_inflating(data: bytes, part: str) -> bytes:
    """`part`'s deflate stream starts with a block of the reserved type 3: zlib refuses it."""
    start = _data_offset(data, part)
    return data[:start] + b"\xff\xff" + data[start + 2:]


def unknown_method(data: bytes, part: str) -> bytes:
    """`part` says it is compressed with method 99 (WinZip AES), which zipfile cannot read."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(part)
    out = bytearray(data)
    out[info.header_offset + 8:info.header_offset + 10] = struct.pack("<H", 99)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack("<H", data[central + 28:central + 30])[0]
        if data[central + 46:central + 46 + name_length] == part.encode():
            out[central + 10:central + 12] = struct.pack("<H", 99)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def encrypted_flag(data: bytes, part: str) -> bytes:
    """`part` is flagged as encrypted (general purpose bit 0), so zipfile asks for a password."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(part)
    out = bytearray(data)
    out[info.header_offset + 6] |= 1
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack("<H", data[central + 28:central + 30])[0]
        if data[central + 46:central + 46 + name_length] == part.encode():
            out[central + 8] |= 1
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(out)


@pytest.mark.parametrize("damage", [not_inflating, unknown_method, encrypted_flag])
@pytest.mark.parametrize("part", [CONTENT_TYPES, SHEET])
def test_a_part_that_cannot_be_read_is_a_damaged_file(damage, part):
    with pytest.raises(BadWorkbook) as refused:
        inspect_workbook(damage(_workbook(), part))
    assert "损坏" in refused.value.message


def test_damaged_workbooks_are_refused_at_upload_or_fail_their_job(backend):
    api = Api(backend.client)
    unit = make_unit(backend.database)
    token = api.login(make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit).username, PASSWORD)
    exam = make_exam_session(backend.database)

    refused = upload(api, token, exam.id, not_inflating(_workbook(), CONTENT_TYPES))
    assert refused["job"] is None and refused["errors"][0]["code"] == "BAD_FILE"
    assert "损坏" in refused["errors"][0]["message"]

    # the quick check at upload does not read the worksheets; the worker does
    queued = upload(api, token, exam.id, not_inflating(_workbook(), SHEET))
    job = wait_for(api, token, queued["job"]["id"], timeout=30)
    assert job["status"] == "FAILED" and "损坏" in job["error"], job
