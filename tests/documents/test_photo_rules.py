"""Every photo rule, each broken by a photo made to break just that rule."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from app.documents import jpeg
from app.documents.photo_rules import check_file_name, id_number_from_name, inspect_photo, upright_jpeg
from tests.documents.support import make_photo

ID = "452122197502156642"


def codes(data: bytes) -> list[str]:
    return [p.code for p in inspect_photo(data).problems]


def only_problem(data: bytes):  # noqa: ANN201
    problems = inspect_photo(data).problems
    assert len(problems) == 1, problems
    return problems[0]


def test_the_minimum_photo_passes():
    assert codes(make_photo(width=402, height=461, size=102_400)) == []


@pytest.mark.parametrize(("photo", "code", "measured", "required", "message"), [
    (dict(size=102_399), "FILE_TOO_SMALL", "100.0 KB", "≥ 100 KB", "文件大小 100.0 KB，须不小于 100 KB"),
    (dict(size=1_048_577), "FILE_TOO_LARGE", "1.00 MB", "≤ 1 MB", "须不超过 1 MB"),
    (dict(width=401), "TOO_FEW_PIXELS", "401×531", "≥ 402×461", "像素 401×531（宽×高），须不小于 402×461"),
    (dict(height=460), "TOO_FEW_PIXELS", "413×460", "≥ 402×461", "须不小于 402×461"),
    (dict(dpi=72), "LOW_DPI", "72 dpi", "≥ 300 dpi", "分辨率 72 dpi，须不低于 300 dpi"),
    (dict(dpcm=118), "LOW_DPI", "299.7 dpi", "≥ 300 dpi", "分辨率 299.7 dpi，须不低于 300 dpi"),
    (dict(dpi=None), "NO_DPI", "无", "≥ 300 dpi", "照片未记录分辨率（dpi）"),
    (dict(background=(67, 142, 219)), "BACKGROUND_NOT_WHITE", "亮度 128", "≥ 240", "背景不是白色（背景平均亮度 128"),
    (dict(background=(200, 30, 40)), "BACKGROUND_NOT_WHITE", None, "≥ 240", "请使用白底证件照"),
    (dict(background=(232, 245, 255)), "BACKGROUND_NOT_WHITE", "偏色 22", "≤ 20", "背景偏色 22"),
])
def test_each_rule_reports_the_measured_and_the_required_value(photo, code, measured, required, message):
    problem = only_problem(make_photo(**photo))
    assert problem.code == code and problem.required == required and message in problem.message
    if measured is not None:
        assert problem.measured == measured


def test_resolution_is_read_from_jfif_per_cm_and_from_exif():
    assert inspect_photo(make_photo(dpcm=119)).dpi == pytest.approx(302.26)
    exif_only = inspect_photo(make_photo(dpi=None, exif_dpi=300))
    assert exif_only.ok and exif_only.dpi_source == "EXIF"
    assert only_problem(make_photo(dpi=None, exif_dpi=96)).message.startswith("分辨率 96 dpi")


def test_not_a_jpeg_by_content_whatever_the_name():
    for kind in ("PNG", "GIF", "WEBP"):
        out = io.BytesIO()
        Image.new("RGB", (500, 600), "white").save(out, kind)
        problems = inspect_photo(out.getvalue() + b"\0" * 110_000).problems
        assert problems[0].code == "NOT_JPEG" and f"文件内容是 {kind} 格式，不是 JPG" in problems[0].message


def test_truncated_and_garbage_files_get_a_verdict_not_an_exception():
    photo = make_photo(size=150_000)  # padded at the front, so cutting the end cuts the scan data
    assert codes(photo[:-3000]) == ["PIXELS_UNDECODABLE"]
    assert codes(b"") == ["FILE_TOO_SMALL", "UNREADABLE"]
    assert "UNREADABLE" in codes(b"\xff\xd8\xff" + b"\0" * 200_000)


def test_a_huge_dimension_header_is_refused_before_decoding():
    photo = bytearray(make_photo(size=0))
    sof = photo.index(b"\xff\xc0")
    photo[sof + 5:sof + 9] = (20000).to_bytes(2, "big") * 2  # height and width 20000 px in a few KB
    facts = inspect_photo(bytes(photo) + b"\0" * 120_000)
    assert "TOO_MANY_PIXELS" in [p.code for p in facts.problems] and facts.border_luminance is None


def test_cmyk_progressive_and_grey_photos_are_measured_like_any_other():
    assert codes(make_photo(mode="CMYK")) == []
    assert codes(make_photo(progressive=True)) == []
    assert codes(make_photo(mode="L")) == []


def test_orientation_is_applied_before_measuring():
    # stored 531 wide and 413 high, shown upright as 413×531 because of EXIF orientation 6
    facts = inspect_photo(make_photo(width=413, height=531, orientation=6))
    assert facts.ok and (facts.width, facts.height) == (413, 531) and facts.orientation == 6
    # a photo that is too narrow once turned upright fails, though its stored width is large
    turned = make_photo(width=400, height=600, orientation=8)
    assert Image.open(io.BytesIO(turned)).size == (600, 400)
    assert only_problem(turned).measured == "400×600"


def test_shoulders_at_the_bottom_and_a_little_shadow_do_not_count_as_background():
    photo = Image.open(io.BytesIO(make_photo(size=0))).convert("RGB")
    shade = Image.new("RGB", photo.size, (255, 255, 255))
    shade.paste((228, 228, 228), (0, 0, 20, photo.height))  # a soft shadow along the left edge
    shaded = io.BytesIO()
    ImageChops.multiply(photo, shade).save(shaded, "JPEG", quality=92, dpi=(300, 300))
    facts = inspect_photo(shaded.getvalue() + b"")
    assert facts.border_luminance is not None and facts.border_luminance >= 240
    assert [p.code for p in facts.problems] == ["FILE_TOO_SMALL"]


@pytest.mark.parametrize(("name", "expected"), [
    (f"{ID}.jpg", ID), (f"{ID[:-1]}x.JPG", f"{ID[:-1]}X"), (f"folder/sub/{ID}.jpg", ID),
    (f"{ID}.jpeg", None), (f"{ID}.png", None), ("张三.jpg", None), (f"{ID[:-1]}.jpg", None), (f"{ID} .jpg", None),
])
def test_file_names_must_be_the_id_number_dot_jpg(name, expected):
    assert id_number_from_name(name) == expected
    assert (check_file_name(name) is None) == (expected is not None)


def test_a_single_upload_must_carry_that_records_number():
    problem = check_file_name("452122197502156643.jpg", ID)
    # the record's number is named, masked: the message may reach logs and other screens
    assert problem is not None and f"须命名为 该人员的身份证号码.jpg（{ID[:4]}{'*' * 10}{ID[-4:]}.jpg）" in problem.message
    assert ID not in problem.message


def test_upright_photos_are_stored_without_metadata_and_without_re_encoding():
    photo = make_photo(gps=True, exif_dpi=300)
    facts = inspect_photo(photo)
    stored = upright_jpeg(photo, facts)
    original, kept = Image.open(io.BytesIO(photo)), Image.open(io.BytesIO(stored))
    assert original.getexif() and not kept.getexif() and b"Exif" not in stored
    assert ImageChops.difference(original.convert("RGB"), kept.convert("RGB")).getbbox() is None  # same pixels
    # the compressed scan is carried over byte for byte
    scan = photo[photo.index(b"\xff\xda"):]
    assert scan in stored
    assert kept.info["dpi"] == (300, 300) and b"x" * 100 not in stored  # comment padding dropped


def test_turned_photos_are_stored_upright():
    photo = make_photo(width=413, height=531, orientation=6, gps=True)
    stored = upright_jpeg(photo, inspect_photo(photo))
    kept = Image.open(io.BytesIO(stored))
    assert kept.size == (413, 531) and not kept.getexif() and kept.info["dpi"] == (300, 300)
    assert kept.convert("L").getpixel((206, 5)) > 240 and kept.convert("L").getpixel((206, 525)) < 80


def test_stripping_refuses_what_is_not_a_jpeg_and_keeps_colour_profiles():
    with pytest.raises(jpeg.NotAJpeg):
        jpeg.strip_metadata(b"GIF89a")
    out = io.BytesIO()
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (50, 50), "white").save(out, "JPEG", icc_profile=profile, exif=b"Exif\0\0" + b"\0" * 10)
    assert Image.open(io.BytesIO(jpeg.strip_metadata(out.getvalue()))).info["icc_profile"] == profile
