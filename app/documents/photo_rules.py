"""The ID-photo rules of the source document, measured and explained in Chinese.

相片必须是JPG格式，100KB ≤ 文件大小 ≤ 1M，像素不小于 402（宽）× 461（高），
分辨率不低于 300dpi，白底，命名为“身份证号码.jpg”.

Every failed rule becomes one problem with the measured and the required value,
so a user knows exactly what to change. Pure: bytes in, facts and problems out.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field
from enum import StrEnum

from PIL import Image

from app.documents import jpeg
from app.documents.problems import Problem, size_text
from app.registrations.masking import mask_id_number

MIN_BYTES = 100 * 1024
MAX_BYTES = 1024 * 1024
MIN_WIDTH, MIN_HEIGHT = 402, 461  # 34 × 39 mm at 300 dpi
MIN_DPI = 300
# White background: mean luminance of the border strips, and how far the colour channels may drift apart.
BORDER_FRACTION = 0.05
MIN_BORDER_LUMINANCE = 240
MAX_BORDER_TINT = 20
# Larger headers are not ID photos; refusing them before decoding bounds memory.
MAX_PIXELS = 40_000_000
# Decode at a reduced scale for the background check while the short side stays at least this long.
DRAFT_SHORT_SIDE = 128
ORIENTATION_TAG = 0x0112


class PhotoProblemCode(StrEnum):
    NOT_JPEG = "NOT_JPEG"
    UNREADABLE = "UNREADABLE"
    FILE_TOO_SMALL = "FILE_TOO_SMALL"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_FEW_PIXELS = "TOO_FEW_PIXELS"
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    NO_DPI = "NO_DPI"
    LOW_DPI = "LOW_DPI"
    BACKGROUND_NOT_WHITE = "BACKGROUND_NOT_WHITE"
    PIXELS_UNDECODABLE = "PIXELS_UNDECODABLE"
    WRONG_FILE_NAME = "WRONG_FILE_NAME"


@dataclass
class PhotoFacts:
    """What the file says about itself (header only) and, after a decode, what it shows."""

    size: int
    format: str | None = None
    width: int | None = None  # upright, after EXIF orientation
    height: int | None = None
    dpi: float | None = None
    dpi_source: str | None = None  # "JFIF" or "EXIF"
    orientation: int = 1
    has_jfif_density: bool = False
    border_luminance: float | None = None
    border_tint: float | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_size(size: int) -> Problem | None:
    if size < MIN_BYTES:
        return Problem(PhotoProblemCode.FILE_TOO_SMALL,
                       f"文件大小 {size_text(size)}，须不小于 100 KB（请用更高的图片质量重新导出，不要过度压缩）",
                       size_text(size), "≥ 100 KB")
    if size > MAX_BYTES:
        return Problem(PhotoProblemCode.FILE_TOO_LARGE,
                       f"文件大小 {size_text(size)}，须不超过 1 MB（请适当压缩后重新导出）",
                       size_text(size), "≤ 1 MB")
    return None


def check_dimensions(width: int, height: int) -> Problem | None:
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return Problem(PhotoProblemCode.TOO_FEW_PIXELS,
                       f"像素 {width}×{height}（宽×高），须不小于 {MIN_WIDTH}×{MIN_HEIGHT}",
                       f"{width}×{height}", f"≥ {MIN_WIDTH}×{MIN_HEIGHT}")
    return None


def check_dpi(dpi: float | None) -> Problem | None:
    if dpi is None:
        return Problem(PhotoProblemCode.NO_DPI,
                       f"照片未记录分辨率（dpi），须不低于 {MIN_DPI} dpi，请用图片软件把分辨率设为 {MIN_DPI} dpi 后另存",
                       "无", f"≥ {MIN_DPI} dpi")
    if dpi < MIN_DPI:
        return Problem(PhotoProblemCode.LOW_DPI, f"分辨率 {_number(dpi)} dpi，须不低于 {MIN_DPI} dpi",
                       f"{_number(dpi)} dpi", f"≥ {MIN_DPI} dpi")
    return None


def check_background(luminance: float, tint: float) -> Problem | None:
    if luminance < MIN_BORDER_LUMINANCE:
        return Problem(PhotoProblemCode.BACKGROUND_NOT_WHITE,
                       f"背景不是白色（背景平均亮度 {luminance:.0f}，须不低于 {MIN_BORDER_LUMINANCE}），请使用白底证件照",
                       f"亮度 {luminance:.0f}", f"≥ {MIN_BORDER_LUMINANCE}")
    if tint > MAX_BORDER_TINT:
        return Problem(PhotoProblemCode.BACKGROUND_NOT_WHITE,
                       f"背景不是白色（背景偏色 {tint:.0f}，须不超过 {MAX_BORDER_TINT}），请使用白底证件照",
                       f"偏色 {tint:.0f}", f"≤ {MAX_BORDER_TINT}")
    return None


def check_file_name(file_name: str, id_number: str | None = None) -> Problem | None:
    """`身份证号码.jpg`; with `id_number`, it must be that record's number."""
    stem, dot, extension = base_name(file_name).rpartition(".")
    # An error message never carries a full ID number: the record's is masked (its detail view shows it).
    wanted = (f"该人员的身份证号码.jpg（{mask_id_number(id_number)}.jpg）" if id_number
              else "身份证号码.jpg（如 452122197502156642.jpg）")
    if not dot or extension.lower() != "jpg" or not id_number_like(stem) or (
        id_number and stem.upper() != id_number.upper()
    ):
        return Problem(PhotoProblemCode.WRONG_FILE_NAME,
                       f"文件名“{base_name(file_name) or '（空）'}”不符合要求，须命名为 {wanted}",
                       base_name(file_name), wanted)
    return None


def id_number_from_name(file_name: str) -> str | None:
    stem, dot, extension = base_name(file_name).rpartition(".")
    if dot and extension.lower() == "jpg" and id_number_like(stem):
        return stem.upper()
    return None


def id_number_like(text: str) -> bool:
    return len(text) == 18 and text[:17].isascii() and text[:17].isdigit() and (text[17].isdigit() or text[17] in "xX")


def base_name(file_name: str) -> str:
    return file_name.replace("\\", "/").rsplit("/", 1)[-1].strip()


def read_header(data: bytes) -> PhotoFacts:
    """Type, size, pixels and dpi from the file's header, without decoding the image."""
    return inspect_photo(data, decode=False)


def inspect_photo(data: bytes, *, decode: bool = True) -> PhotoFacts:
    """Every rule; with `decode`, also a (reduced-scale) decode for the pixel data and the background."""
    facts = PhotoFacts(size=len(data))
    if (problem := check_size(len(data))) is not None:
        facts.problems.append(problem)
    image = _open(data, facts)
    if image is None:
        return facts
    with image:
        _read_header_facts(image, facts)
        if decode and facts.format == "JPEG" and not _has(facts, PhotoProblemCode.TOO_MANY_PIXELS):
            _check_pixels(image, facts)
    return facts


def upright_jpeg(data: bytes, facts: PhotoFacts) -> bytes:
    """The photo as stored: upright and without EXIF (GPS included).

    An upright photo keeps its compressed data byte for byte (only metadata
    segments go); a rotated one (or one whose segments cannot be walked) is
    decoded, turned and encoded once at high quality.
    """
    dpi = facts.dpi if not facts.has_jfif_density else None
    if facts.orientation == 1:
        try:
            return jpeg.strip_metadata(data, dpi=dpi)
        except jpeg.NotAJpeg:
            pass
    with Image.open(io.BytesIO(data)) as image:
        turned = _turn(image, facts.orientation)
        out = io.BytesIO()
        save_dpi = round(facts.dpi or MIN_DPI)
        turned.save(out, "JPEG", quality=95, dpi=(save_dpi, save_dpi), icc_profile=image.info.get("icc_profile"))
        return out.getvalue()


def _open(data: bytes, facts: PhotoFacts) -> Image.Image | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # decompression-bomb and EXIF warnings: judged below
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        facts.problems.append(Problem(PhotoProblemCode.TOO_MANY_PIXELS,
                                      "图片声明的像素数量异常巨大，不是正常的证件照，请重新导出 JPG 照片",
                                      "超过 1.7 亿像素", f"≤ {MAX_PIXELS // 10_000} 万像素"))
        return None
    except Exception:  # noqa: BLE001  Pillow raises many kinds of error on hostile files
        facts.problems.append(Problem(PhotoProblemCode.UNREADABLE,
                                      "文件无法识别为图片（可能不是照片或已损坏），请重新导出 JPG 格式的照片后上传",
                                      "无法识别", "JPG 照片"))
        return None
    facts.format = image.format
    if image.format != "JPEG":
        kind = image.format or "未知"
        facts.problems.insert(0, Problem(
            PhotoProblemCode.NOT_JPEG,
            f"文件内容是 {kind} 格式，不是 JPG，请用图片软件另存为 JPG 格式后上传（只改扩展名无效）",
            kind, "JPEG"))
    return image


def _read_header_facts(image: Image.Image, facts: PhotoFacts) -> None:
    exif = _exif(image)
    orientation = exif.get(ORIENTATION_TAG, 1) if exif is not None else 1
    facts.orientation = orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1
    width, height = image.size
    if facts.orientation in (5, 6, 7, 8):
        width, height = height, width
    facts.width, facts.height = width, height
    if width * height > MAX_PIXELS:
        facts.problems.append(Problem(PhotoProblemCode.TOO_MANY_PIXELS,
                                      f"像素 {width}×{height} 过大，不是正常的证件照，请缩小后重新导出",
                                      f"{width}×{height}", f"≤ {MAX_PIXELS // 10_000} 万像素"))
    elif (problem := check_dimensions(width, height)) is not None:
        facts.problems.append(problem)
    facts.dpi, facts.dpi_source = _dpi(image, exif)
    facts.has_jfif_density = facts.dpi_source == "JFIF"
    if (problem := check_dpi(facts.dpi)) is not None:
        facts.problems.append(problem)


def _exif(image: Image.Image) -> Image.Exif | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return image.getexif()
    except Exception:  # noqa: BLE001  a damaged EXIF block is treated as absent
        return None


def _dpi(image: Image.Image, exif: Image.Exif | None) -> tuple[float | None, str | None]:
    """JFIF density (per inch or per centimetre), else EXIF resolution; the lower of x and y."""
    unit, density = image.info.get("jfif_unit"), image.info.get("jfif_density")
    if unit in (1, 2) and density:
        found = _resolution(density[0], density[1], 2.54 if unit == 2 else 1.0)
        if found is not None:
            return found, "JFIF"
    if exif is not None:
        try:
            ifd = exif
            x, y = ifd.get(0x011A), ifd.get(0x011B)
            centimetres = ifd.get(0x0128) == 3
            if x is not None:
                found = _resolution(x, y if y is not None else x, 2.54 if centimetres else 1.0)
                if found is not None:
                    return found, "EXIF"
        except Exception:  # noqa: BLE001
            pass
    return None, None


def _resolution(x: object, y: object, factor: float) -> float | None:
    try:
        value = min(float(x), float(y)) * factor  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def _check_pixels(image: Image.Image, facts: PhotoFacts) -> None:
    """Decode every scan (at 1/2 to 1/8 scale where the photo is large) and measure the background."""
    try:
        width, height = image.size
        scale = 1
        for candidate in (8, 4, 2):
            if min(width, height) // candidate >= DRAFT_SHORT_SIDE:
                scale = candidate
                break
        if scale > 1:
            image.draft(None, (width // scale, height // scale))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image.load()
        small = image if image.mode == "RGB" else image.convert("RGB")
        small = _turn(small, facts.orientation)
        luminance, tint = border_whiteness(small)
    except Exception:  # noqa: BLE001  truncated or corrupt scan data
        facts.problems.append(Problem(PhotoProblemCode.PIXELS_UNDECODABLE,
                                      "照片数据不完整或已损坏，无法完整显示，请重新导出 JPG 照片后上传",
                                      "无法完整解码", "完整的 JPG 照片"))
        return
    facts.border_luminance, facts.border_tint = luminance, tint
    if (problem := check_background(luminance, tint)) is not None:
        facts.problems.append(problem)


def border_whiteness(image: Image.Image) -> tuple[float, float]:
    """Mean luminance and colour spread of the background border of an upright RGB photo.

    The strips are 5% of the shorter side wide: the top, and the left and right
    edges down to 60% of the height. The bottom is left out on purpose: in an ID
    photo the shoulders (a dark uniform or suit) fill it.
    """
    width, height = image.size
    strip = max(1, round(min(width, height) * BORDER_FRACTION))
    side_bottom = max(strip + 1, round(height * 0.6))
    boxes = [(0, 0, width, strip), (0, strip, strip, side_bottom), (width - strip, strip, width, side_bottom)]
    sums = [0.0, 0.0, 0.0]
    count = 0
    for box in boxes:
        region = image.crop(box)
        area = region.width * region.height
        # A box filter down to one pixel is the region's mean colour, computed in C.
        mean = region.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
        for channel in range(3):
            sums[channel] += mean[channel] * area
        count += area
    red, green, blue = (s / count for s in sums)
    luminance = 0.299 * red + 0.587 * green + 0.114 * blue
    return luminance, max(red, green, blue) - min(red, green, blue)


def _turn(image: Image.Image, orientation: int) -> Image.Image:
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    return image.transpose(method) if method is not None else image


def _has(facts: PhotoFacts, code: PhotoProblemCode) -> bool:
    return any(p.code == code for p in facts.problems)


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"
