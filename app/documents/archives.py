"""Reading a ZIP of photos safely: nothing is extracted to disk, nothing is read without a bound.

Refused as a whole: not a readable ZIP, encrypted, more than 1,000 entries,
absolute / `..` / backslash paths, symlinks, nested archives, duplicate names,
an entry that inflates far past its compressed size, a total that inflates past
the limit. Each photo is then read with at most 1 MB + 1 byte in memory.

Windows' built-in ZIP tool writes names in the local code page (GBK on Chinese
Windows) without the UTF-8 flag; such names are decoded as UTF-8 when they are
valid UTF-8 and as GB18030 (a superset of GBK) otherwise.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from app.documents.photo_rules import MAX_BYTES
from app.documents.problems import size_text

MAX_ENTRIES = 1000
MAX_TOTAL_UNCOMPRESSED = 1024 * 1024 * 1024
# A JPEG hardly compresses; an entry that claims more than 1 MB at over 100:1 is a bomb.
MAX_RATIO = 100
ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".cab", ".arj", ".jar")
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")
# Files that archivers and file managers add on their own.
IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
UTF8_FLAG = 0x800
ENCRYPTED_FLAG = 0x1
SHOWN = 5  # offending names quoted in a message


class UnsafeArchive(Exception):
    """The whole archive is refused; `message` (Chinese) says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ArchiveEntry:
    name: str  # decoded, as the user sees it
    info: zipfile.ZipInfo

    @property
    def declared_size(self) -> int:
        return self.info.file_size


def looks_like_zip(head: bytes) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def looks_like_archive(head: bytes) -> bool:
    return head.startswith(ARCHIVE_MAGIC)


def open_archive(file: BinaryIO) -> tuple[zipfile.ZipFile, list[ArchiveEntry]]:
    """The archive and its photo entries, or UnsafeArchive listing every reason to refuse it."""
    try:
        archive = zipfile.ZipFile(file)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise UnsafeArchive("文件不是有效的 ZIP 压缩包（可能已损坏或没有上传完整），请重新压缩后上传") from exc
    try:
        return archive, _entries(infos)
    except UnsafeArchive:
        archive.close()
        raise


def _entries(infos: list[zipfile.ZipInfo]) -> list[ArchiveEntry]:
    if len(infos) > MAX_ENTRIES:
        raise UnsafeArchive(f"压缩包内有 {len(infos)} 个文件，一次最多 {MAX_ENTRIES} 个，请分批上传")
    unsafe, links, nested, bombs, seen, duplicates = [], [], [], [], set(), []
    entries: list[ArchiveEntry] = []
    total = 0
    encrypted = False
    for info in infos:
        name = entry_name(info)
        if not _safe_path(name):
            unsafe.append(name)
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            links.append(name)
            continue
        key = name.rstrip("/").casefold()
        if key in seen:
            duplicates.append(name)
            continue
        seen.add(key)
        if info.is_dir():
            continue
        encrypted = encrypted or bool(info.flag_bits & ENCRYPTED_FLAG)
        if name.lower().endswith(ARCHIVE_SUFFIXES):
            nested.append(name)
            continue
        total += info.file_size
        if info.file_size > MAX_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            bombs.append(f"{name}（解压后 {size_text(info.file_size)}，压缩比 {ratio}:1）")
            continue
        if _ignored(name):
            continue
        entries.append(ArchiveEntry(name=name, info=info))
    reasons = []
    if unsafe:
        reasons.append(f"含有不安全的路径（绝对路径、“..”或反斜杠）：{_names(unsafe)}")
    if links:
        reasons.append(f"含有符号链接：{_names(links)}")
    if nested:
        reasons.append(f"压缩包内又套了压缩包：{_names(nested)}，请解开后只打包照片")
    if duplicates:
        reasons.append(f"含有重名文件：{_names(duplicates)}")
    if bombs:
        reasons.append(f"有文件解压后异常巨大，疑似压缩炸弹：{_names(bombs)}")
    if encrypted:
        reasons.append("压缩包设置了密码，请取消密码后重新压缩")
    if total > MAX_TOTAL_UNCOMPRESSED:
        reasons.append(f"解压后共 {size_text(total)}，超过 {size_text(MAX_TOTAL_UNCOMPRESSED)} 的上限，请分批上传")
    if reasons:
        raise UnsafeArchive("压缩包不能处理：" + "；".join(reasons) + "。请只把照片（身份证号码.jpg）直接压缩后重新上传")
    return entries


def read_entry(archive: zipfile.ZipFile, entry: ArchiveEntry, *, limit: int = MAX_BYTES + 1) -> bytes:
    """At most `limit` bytes of an entry: enough to judge the size rule, never more in memory."""
    with archive.open(entry.info) as stream:
        return stream.read(limit)


def entry_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & UTF8_FLAG:
        return info.filename
    raw = info.orig_filename.encode("cp437")  # zipfile decoded the raw bytes as cp437, which is reversible
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.orig_filename


def _safe_path(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return False
    if len(name) > 1 and name[1] == ":":  # C:/...
        return False
    return all(part not in ("..",) for part in name.split("/"))


def _ignored(name: str) -> bool:
    parts = name.split("/")
    base = parts[-1]
    return parts[0] == "__MACOSX" or base.startswith("._") or base.lower() in IGNORED_NAMES


def _names(names: list[str]) -> str:
    shown = "、".join(names[:SHOWN])
    return shown + (f" 等 {len(names)} 个" if len(names) > SHOWN else "")
