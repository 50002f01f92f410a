"""Byte-level JPEG editing: drop metadata segments without touching the compressed image.

Stripping EXIF (GPS, camera, thumbnails) this way is lossless and costs a scan of
the file, not a decode and re-encode.
"""

from __future__ import annotations

import re
import struct

SOI = b"\xff\xd8"
EOI = 0xD9
SOS = 0xDA
APP0 = 0xE0
APP2 = 0xE2
APP14 = 0xEE
# Markers with no length field: SOI, EOI, TEM and the restart markers.
STANDALONE = {0xD8, 0xD9, 0x01, *range(0xD0, 0xD8)}
# In entropy-coded data a marker is 0xFF followed by anything but a stuffed zero,
# a restart marker or fill bytes.
NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


class NotAJpeg(ValueError):
    pass


def strip_metadata(data: bytes, *, dpi: float | None = None) -> bytes:
    """The same image without EXIF, XMP, IPTC, comments or trailing data.

    Kept: JFIF (it carries the density), ICC colour profiles and the Adobe segment
    (CMYK JPEGs need it to decode correctly). When `dpi` is given (it came from
    EXIF, which goes), the JFIF segment is written (or replaced) with that density
    so the stored photo still states its resolution.
    """
    if not data.startswith(SOI):
        raise NotAJpeg("missing SOI")
    out = [SOI]
    position = 2
    length = len(data)
    inserted = False
    while position < length:
        if data[position] != 0xFF:
            raise NotAJpeg(f"expected a marker at byte {position}")
        marker = data[position + 1] if position + 1 < length else EOI
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == EOI:
            break
        if marker in STANDALONE:
            out.append(data[position:position + 2])
            position += 2
            continue
        if position + 4 > length:
            raise NotAJpeg("segment header cut short")
        (size,) = struct.unpack(">H", data[position + 2:position + 4])
        end = position + 2 + size
        if size < 2 or end > length:
            raise NotAJpeg("segment runs past the end of the file")
        segment = data[position:end]
        if dpi and not inserted:
            out.append(_jfif_segment(dpi))  # first, as JFIF requires
            inserted = True
        if dpi and marker == APP0 and segment[4:9] == b"JFIF\x00":
            segment = b""  # ours replaces it: this one states no density
        if _keep(marker, segment):
            out.append(segment)
        position = end
        if marker == SOS:
            found = NEXT_MARKER.search(data, position)
            scan_end = found.start() if found else length
            out.append(data[position:scan_end])
            position = scan_end
    out.append(b"\xff\xd9")
    return b"".join(out)


def _keep(marker: int, segment: bytes) -> bool:
    if not segment:
        return False
    if marker == APP0:
        return segment[4:9] == b"JFIF\x00"
    if marker == APP2:
        return segment[4:16] == b"ICC_PROFILE\x00"
    if marker == APP14:
        return segment[4:9] == b"Adobe"
    if 0xE1 <= marker <= 0xEF or marker == 0xFE:  # other APPn (EXIF, XMP, IPTC ...) and comments
        return False
    return True


def _jfif_segment(dpi: float) -> bytes:
    density = max(1, min(65535, round(dpi)))
    body = b"JFIF\x00" + bytes([1, 1, 1]) + struct.pack(">HH", density, density) + b"\x00\x00"
    return b"\xff\xe0" + struct.pack(">H", len(body) + 2) + body
