"""Damaged copies of good files (bytes changed, the end cut off) through the checks each upload runs first.

A check may refuse a file only with its own refusal, which carries a Chinese message; any other
exception is a server error at upload (the workbook's package check) or a lost verdict in a worker.
This is how a workbook whose parts do not inflate was found (zlib.error escaped the package check).
EXAMREG_FUZZ_EXAMPLES scales the number of damaged copies (100: 300 workbooks, 300 ZIPs, 100 photos).
"""

from __future__ import annotations

import io
import os
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.documents import archives, photo_rules
from app.imports.package import BadWorkbook, inspect_workbook
from tests.documents.support import make_photo, make_zip
from tests.factories import candidate
from tests.fuzz.support import Tally, is_chinese
from tests.imports.support import filled_template, person_row

SCALE = int(os.environ.get("EXAMREG_FUZZ_EXAMPLES", "100"))
WORKBOOK = filled_template([person_row(candidate(sessionId=1), "测试单位") for _ in range(3)])
PHOTO = make_photo(size=0)  # no padding: every changed byte is in a segment or the image data
PHOTOS_ZIP = make_zip([(f"4501031980010100{i}1.jpg", make_photo(size=110_000)) for i in range(2)],
                      compression=zipfile.ZIP_DEFLATED)
TALLIES = {name: Tally(f"damaged {name}") for name in ("workbooks", "ZIPs", "photos")}


def damaged(seed: bytes) -> st.SearchStrategy[bytes]:
    """`seed` with up to eight bytes changed anywhere, or cut short."""
    def changed(changes: list[tuple[int, int]]) -> bytes:
        out = bytearray(seed)
        for index, value in changes:
            out[index] = value
        return bytes(out)

    positions = st.integers(0, len(seed) - 1)
    return st.one_of(st.lists(st.tuples(positions, st.integers(0, 255)), min_size=1, max_size=8).map(changed),
                     positions.map(lambda n: seed[:n]))


def fuzzed(examples: int):  # noqa: ANN201
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _count(name: str, refusal: str | None) -> None:
    tally = TALLIES[name]
    tally.tried += 1
    if refusal is not None:
        tally.rejected += 1
        assert is_chinese(refusal), refusal


@fuzzed(3 * SCALE)
@given(data=damaged(WORKBOOK))
def test_a_damaged_workbook_is_refused_as_a_bad_file(data):
    try:
        inspect_workbook(data)
    except BadWorkbook as refused:
        _count("workbooks", refused.message)
    else:
        _count("workbooks", None)


@fuzzed(3 * SCALE)
@given(data=damaged(PHOTOS_ZIP))
def test_a_damaged_photo_zip_is_refused_as_unsafe_or_read(data):
    try:
        archive, entries = archives.open_archive(io.BytesIO(data))
    except archives.UnsafeArchive as refused:
        _count("ZIPs", refused.message)
    else:
        archive.close()
        _count("ZIPs", None)


@fuzzed(SCALE)
@given(data=damaged(PHOTO))
def test_a_damaged_photo_gets_a_verdict(data):
    facts = photo_rules.inspect_photo(data)
    assert all(is_chinese(p.message) for p in facts.problems), facts.problems
    if facts.ok:
        photo_rules.upright_jpeg(data, facts)
    _count("photos", None if facts.ok else facts.problems[0].message)


def test_zz_report_damaged_file_figures():
    """The figures of the three fuzz tests above (pytest runs a module's tests in order)."""
    for tally in TALLIES.values():
        if tally.tried:
            tally.report()
