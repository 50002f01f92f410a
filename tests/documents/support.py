"""Made-to-measure photos, PDFs and ZIPs, and GraphQL multipart uploads."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from typing import Any

from PIL import Image, ImageDraw

from tests.api import (
    Api,
    wait_until,  # noqa: F401  re-exported for the document tests
)

WHITE = (255, 255, 255)


def make_photo(*, width: int = 413, height: int = 531, dpi: float | None = 300, dpcm: int | None = None,
               exif_dpi: float | None = None, background: tuple[int, int, int] = WHITE, orientation: int = 1,
               mode: str = "RGB", progressive: bool = False, size: int = 150_000, gps: bool = False,
               quality: int = 92) -> bytes:
    """An ID photo: a head and dark shoulders (touching the bottom edge) on `background`.

    `size` pads the file with comment segments to about that many bytes; `orientation`
    stores the pixels turned so that applying the EXIF orientation makes them upright.
    """
    upright = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(upright)
    cx = width // 2
    draw.ellipse([cx - width * 0.2, height * 0.15, cx + width * 0.2, height * 0.6], fill=(205, 165, 135))
    draw.polygon([(cx - width * 0.6, height), (cx, height * 0.6), (cx + width * 0.6, height)], fill=(25, 28, 40))
    stored = upright.transpose({1: None, 3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90,
                                8: Image.Transpose.ROTATE_270}[orientation]) if orientation != 1 else upright
    if mode != "RGB":
        stored = stored.convert(mode)
    exif = Image.Exif()
    if exif_dpi is not None:
        exif[0x011A], exif[0x011B], exif[0x0128] = exif_dpi, exif_dpi, 2
    if orientation != 1:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (22.0, 49.0, 1.0), 3: "E", 4: (108.0, 19.0, 1.0)}
    options: dict[str, Any] = {"quality": quality, "progressive": progressive}
    if dpi is not None or dpcm is not None:
        options["dpi"] = (dpcm or dpi, dpcm or dpi)
    if len(exif):
        options["exif"] = exif.tobytes()
    out = io.BytesIO()
    stored.save(out, "JPEG", **options)
    data = out.getvalue()
    if dpcm is not None:  # JFIF density unit 2: dots per centimetre
        assert data[6:11] == b"JFIF\x00"
        data = data[:13] + b"\x02" + data[14:]
    return pad(data, size)


def pad(data: bytes, size: int) -> bytes:
    """Comment segments after SOI until the file is about `size` bytes (they do not change the image)."""
    segments = []
    missing = size - len(data)
    while missing > 4:
        chunk = min(missing - 4, 60_000)
        segments.append(b"\xff\xfe" + struct.pack(">H", chunk + 2) + b"x" * chunk)
        missing -= chunk + 4
    return data[:2] + b"".join(segments) + data[2:]


def make_pdf(pages: int = 1, *, user_password: str | None = None, owner_password: str | None = None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if user_password is not None or owner_password is not None:
        writer.encrypt(user_password=user_password or "", owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_zip(entries: list[tuple[str, bytes]], *, gbk: bool = False, name_encoding: str | None = None,
             compression: int = zipfile.ZIP_STORED) -> bytes:
    """`gbk`: names written in GBK without the UTF-8 flag, as Windows' built-in ZIP tool does;
    `name_encoding`: any other encoding written without the flag."""
    name_encoding = "gbk" if gbk else name_encoding
    out = io.BytesIO()
    renames = []
    with zipfile.ZipFile(out, "w", compression) as archive:
        for index, (name, data) in enumerate(entries):
            written = name
            if name_encoding and not name.isascii():
                # zipfile writes non-ASCII names as UTF-8 (with the flag); write an ASCII stand-in of the same
                # length and put the GBK bytes in its place afterwards.
                raw = name.encode(name_encoding)
                written = chr(ord("A") + index % 26) * len(raw)
                renames.append((written.encode(), raw))
            info = zipfile.ZipInfo(written, date_time=(2026, 3, 1, 9, 0, 0))
            info.compress_type = compression
            archive.writestr(info, data)
    data = out.getvalue()
    for stand_in, raw in renames:
        assert data.count(stand_in) == 2  # local header and central directory
        data = data.replace(stand_in, raw)
    return data


def post_files(api: Api, token: str, query: str, variables: dict[str, Any],
               files: dict[str, tuple[str, bytes, str]]) -> dict[str, Any]:
    """A GraphQL multipart request: `files` maps a variable path (e.g. "variables.file") to (name, bytes, type)."""
    mapping = {str(i): [path] for i, path in enumerate(files)}
    response = api.client.post(
        "/graphql",
        data={"operations": json.dumps({"query": query, "variables": variables}), "map": json.dumps(mapping)},
        files={str(i): spec for i, spec in enumerate(files.values())},
        headers={"Authorization": f"Bearer {token}", "GraphQL-Preflight": "1"},
    )
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text, response.text
    return response.json()
