"""PDF rules and the isolated check; safe ZIP reading, names in GBK and UTF-8."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from app.documents import archives, pdf_rules
from tests.documents.support import make_pdf, make_photo, make_zip


def test_pdf_page_limits_and_passwords():
    assert pdf_rules.inspect_pdf(make_pdf(pages=1)).pages == 1
    assert pdf_rules.inspect_pdf(make_pdf(pages=500)).ok
    too_many = pdf_rules.inspect_pdf(make_pdf(pages=501)).problems[0]
    assert too_many.code == "TOO_MANY_PAGES" and too_many.message.startswith("PDF 共 501 页，须不超过 500 页")
    assert [p.code for p in pdf_rules.inspect_pdf(make_pdf(pages=0)).problems] == ["NO_PAGES"]
    owner_only = pdf_rules.inspect_pdf(make_pdf(owner_password="owner"))
    assert owner_only.ok and owner_only.encrypted
    assert [p.code for p in pdf_rules.inspect_pdf(make_pdf(user_password="u")).problems] == ["PASSWORD_PROTECTED"]


def test_pdf_type_and_size_are_judged_before_parsing():
    assert [p.code for p in pdf_rules.quick_problems(b"\xd0\xcf\x11\xe0 a .doc")] == ["NOT_PDF"]
    assert pdf_rules.quick_problems(b"junk before the header %PDF-1.4 ...") == []
    big = pdf_rules.quick_problems(b"%PDF-1.7" + b"0" * pdf_rules.MAX_BYTES)
    assert [p.code for p in big] == ["FILE_TOO_LARGE"] and "须不超过 20 MB" in big[0].message


def test_a_broken_pdf_is_a_verdict_whatever_pypdf_raises():
    broken = make_pdf(pages=3).replace(b"/Type /Pages", b"/Type /Pagez")
    facts = pdf_rules.check_isolated(broken)
    assert not facts.ok and facts.problems[0].code in ("UNREADABLE", "NO_PAGES")
    assert [p.code for p in pdf_rules.check_isolated(b"%PDF-1.7\n" + b"\x00" * 100).problems] == ["UNREADABLE"]


def test_the_isolated_check_is_killed_at_its_time_and_memory_limits():
    timed_out = pdf_rules.check_isolated(make_pdf(pages=2), seconds=0.01)
    assert [p.code for p in timed_out.problems] == ["CHECK_TIMED_OUT"] and "秒内无法完成检查" in timed_out.problems[0].message
    starved = pdf_rules.check_isolated(make_pdf(pages=2), memory_bytes=8 << 20)
    assert [p.code for p in starved.problems] == ["UNREADABLE"]
    assert pdf_rules.check_isolated(make_pdf(pages=2)).pages == 2


def _entries(data: bytes) -> list[str]:
    archive, entries = archives.open_archive(io.BytesIO(data))
    with archive:
        return [e.name for e in entries]


def _gbk_trail_backslash() -> str:
    """A common character whose GBK encoding ends in 0x5C, the byte of a backslash."""
    return next(ch for ch in map(chr, range(0x4E00, 0x9FA5)) if ch.encode("gbk")[1:] == b"\\")


def test_names_in_gbk_utf8_and_utf8_without_the_flag():
    tricky = _gbk_trail_backslash()
    assert _entries(make_zip([(f"照片/{tricky}三.jpg", b"x")], gbk=True)) == [f"照片/{tricky}三.jpg"]
    assert _entries(make_zip([("照片/李四.jpg", b"x")])) == ["照片/李四.jpg"]
    # UTF-8 bytes without the flag, as some macOS and Linux tools write them
    assert _entries(make_zip([("王五.jpg", b"x")], name_encoding="utf-8")) == ["王五.jpg"]


def test_archiver_litter_is_ignored_and_folders_are_fine():
    data = make_zip([("照片/", b""), ("照片/a.jpg", b"x"), ("__MACOSX/照片/._a.jpg", b"x"), ("Thumbs.db", b"x")])
    assert _entries(data) == ["照片/a.jpg"]


def _refusal(data: bytes) -> str:
    with pytest.raises(archives.UnsafeArchive) as refused:
        archives.open_archive(io.BytesIO(data))
    return refused.value.message


def test_hostile_archives_are_refused_with_every_reason():
    assert "不安全的路径" in _refusal(make_zip([("../x.jpg", b"x")]))
    assert "不安全的路径" in _refusal(make_zip([("a\\..\\x.jpg", b"x")]))
    assert "不安全的路径" in _refusal(make_zip([("/abs.jpg", b"x")]))
    assert "重名文件" in _refusal(make_zip([("a.jpg", b"x"), ("A.JPG", b"y")]))
    assert "又套了压缩包" in _refusal(make_zip([("more.zip", make_zip([("a.jpg", b"x")]))]))
    bomb = make_zip([("big.jpg", b"\0" * (5 << 20))], compression=zipfile.ZIP_DEFLATED)
    assert "压缩炸弹" in _refusal(bomb) and "big.jpg" in _refusal(bomb)
    many = make_zip([(f"{i}.jpg", b"x") for i in range(1001)])
    assert "1001 个文件，一次最多 1000 个" in _refusal(many)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        link = zipfile.ZipInfo("link.jpg")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert "符号链接：link.jpg" in _refusal(out.getvalue())
    assert "不是有效的 ZIP" in _refusal(make_zip([("a.jpg", make_photo())])[:-30])
    both = _refusal(make_zip([("../x.jpg", b"x"), ("in.rar", b"Rar!")]))
    assert "不安全的路径" in both and "又套了压缩包" in both


def test_entries_are_read_with_a_bound():
    archive, entries = archives.open_archive(io.BytesIO(make_zip([("a.jpg", b"y" * 3_000_000)])))
    with archive:
        assert len(archives.read_entry(archive, entries[0], limit=1000)) == 1000
