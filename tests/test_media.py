"""The photo pipeline: what it refuses, what it strips, how it sizes and names what it stores."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageDraw

from shop.errors import InvalidInput, NotFound, TooLarge
from shop.media import media_file, store_photo

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _photo(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """Left half red, right half blue, with noise so JPEG sizes and truncation behave like a photo's."""
    image = Image.new("RGB", size, (30, 30, 220))
    image.paste((220, 30, 30), (0, 0, size[0] // 2, size[1]))
    noise = Image.effect_noise(size, 60).convert("RGB")
    return Image.blend(image, noise, 0.15)


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def _assert_no_metadata(path: Path) -> None:
    raw = path.read_bytes()
    with Image.open(path) as stored:
        assert len(stored.getexif()) == 0
        assert stored.getexif().get_ifd(GPS_IFD) == {}
        assert not {"exif", "xmp", "comment", "icc_profile"} & stored.info.keys()
    assert b"Exif" not in raw
    assert b"GPS" not in raw
    assert b"xmpmeta" not in raw
    assert b"co-op" not in raw


def test_renamed_text_file_is_refused_as_photo(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        store_photo("一斤小米 ¥39.90\n".encode() * 20, tmp_path)
    assert refused.value.field == "photo"
    assert _files(tmp_path) == []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_encode(_photo(), "GIF"), id="gif"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', id="svg"),
        pytest.param(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n", id="pdf"),
        pytest.param(_encode(_photo((800, 600)), "JPEG")[:4000], id="truncated-jpeg"),
        pytest.param(_encode(_photo((800, 600)), "PNG")[:4000], id="truncated-png"),
        pytest.param(b"", id="empty"),
    ],
)
def test_files_that_are_not_whole_jpeg_png_or_webp_are_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        store_photo(data, tmp_path)
    assert refused.value.field == "photo"
    assert _files(tmp_path) == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("side", [8_000, 11_000], ids=["above-limit", "above-twice-limit"])
def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path, side: int) -> None:
    # A blank bilevel PNG squeezes tens of megapixels into a few kilobytes.
    bomb = _encode(Image.new("1", (side, side)), "PNG")
    assert len(bomb) < 5 * 1024 * 1024
    with pytest.raises(InvalidInput) as refused:
        store_photo(bomb, tmp_path)
    assert refused.value.field == "photo"
    assert "megapixels" in str(refused.value)


def test_six_megabyte_upload_is_refused_as_too_large_naming_the_5_mb_limit(tmp_path: Path) -> None:
    with pytest.raises(TooLarge) as refused:
        store_photo(b"\xff\xd8\xff" + bytes(6 * 1024 * 1024), tmp_path)
    assert "5 MB" in str(refused.value)
    assert _files(tmp_path) == []


@pytest.mark.parametrize("with_icc", [True, False], ids=["with-icc", "without-icc"])
def test_gps_exif_xmp_comment_and_icc_are_stripped_from_display_and_thumbnail(tmp_path: Path, with_icc: bool) -> None:
    exif = Image.Exif()
    exif[0x010F] = "VillagePhone"
    exif[GPS_IFD] = {1: "N", 2: (30.0, 15.0, 7.5), 3: "E", 4: (120.0, 5.0, 2.5)}
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    options: dict[str, object] = {"exif": exif, "xmp": xmp, "comment": b"shot at the co-op"}
    if with_icc:
        options["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _encode(_photo(), "JPEG", **options)
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(GPS_IFD)[2] == (30.0, 15.0, 7.5)

    stored = store_photo(data, tmp_path)

    _assert_no_metadata(tmp_path / stored.display_path)
    _assert_no_metadata(tmp_path / stored.thumb_path)


def test_phone_photo_with_exif_orientation_6_is_stored_upright(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    # Stored sideways: the sensor's left edge (red) is the top of the scene.
    stored = store_photo(_encode(_photo((400, 300)), "JPEG", exif=exif), tmp_path)

    assert (stored.width, stored.height) == (300, 400)
    assert (stored.thumb_width, stored.thumb_height) == (240, 320)
    with Image.open(tmp_path / stored.display_path) as upright:
        assert upright.size == (300, 400)
        top, bottom = upright.getpixel((150, 20)), upright.getpixel((150, 380))
    assert top[0] > 150 > top[2]
    assert bottom[2] > 150 > bottom[0]


@pytest.mark.parametrize(
    ("size", "display", "thumb"),
    [
        pytest.param((4000, 3000), (1280, 960), (320, 240), id="landscape"),
        pytest.param((1500, 3000), (640, 1280), (160, 320), id="portrait"),
        pytest.param((640, 480), (640, 480), (320, 240), id="medium-not-upscaled"),
        pytest.param((200, 100), (200, 100), (200, 100), id="small-not-upscaled"),
    ],
)
def test_display_clamps_to_1280_and_thumbnail_to_320_without_upscaling(
    tmp_path: Path, size: tuple[int, int], display: tuple[int, int], thumb: tuple[int, int]
) -> None:
    stored = store_photo(_encode(_photo(size), "JPEG", quality=90), tmp_path)

    assert (stored.width, stored.height) == display
    assert (stored.thumb_width, stored.thumb_height) == thumb
    with Image.open(tmp_path / stored.display_path) as shown, Image.open(tmp_path / stored.thumb_path) as small:
        assert (shown.format, shown.size) == ("JPEG", display)
        assert (small.format, small.size) == ("JPEG", thumb)
    assert stored.bytes == (tmp_path / stored.display_path).stat().st_size


def test_png_with_alpha_is_flattened_onto_white(tmp_path: Path) -> None:
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((100, 100, 299, 299), fill=(200, 20, 20, 255))

    stored = store_photo(_encode(image, "PNG"), tmp_path)

    with Image.open(tmp_path / stored.display_path) as flat:
        assert flat.mode == "RGB"
        assert min(flat.getpixel((10, 10))) >= 250
        red, green, blue = flat.getpixel((200, 200))
    assert red > 180
    assert max(green, blue) < 50


def _palette_with_transparency() -> bytes:
    image = Image.new("P", (50, 50), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    ImageDraw.Draw(image).rectangle((20, 20, 29, 29), fill=1)
    return _encode(image, "PNG", transparency=0)


@pytest.mark.parametrize(
    ("data", "corner"),
    [
        pytest.param(_encode(Image.new("CMYK", (60, 40), (0, 255, 255, 0)), "JPEG"), (255, 0, 0), id="cmyk-jpeg"),
        pytest.param(_encode(Image.new("L", (60, 40), 128), "PNG"), 128, id="grey-png"),
        pytest.param(_encode(Image.new("I;16", (60, 40), 40_000), "PNG"), 156, id="16-bit-grey-png"),
        pytest.param(_palette_with_transparency(), (255, 255, 255), id="palette-png-transparent"),
        pytest.param(_encode(Image.new("RGBA", (60, 40), (0, 0, 255, 0)), "WEBP"), (255, 255, 255), id="webp-alpha"),
        pytest.param(_encode(Image.new("RGB", (60, 40), (0, 128, 0)), "WEBP", lossless=True), (0, 128, 0), id="webp"),
    ],
)
def test_every_accepted_kind_of_image_is_stored_as_jpeg_with_its_colours(
    tmp_path: Path, data: bytes, corner: int | tuple[int, int, int]
) -> None:
    stored = store_photo(data, tmp_path)

    with Image.open(tmp_path / stored.display_path) as shown:
        assert shown.format == "JPEG"
        pixel = shown.getpixel((2, 2))
    expected = corner if isinstance(corner, tuple) else (corner,)
    actual = pixel if isinstance(pixel, tuple) else (pixel,)
    assert all(abs(a - e) <= 6 for a, e in zip(actual, expected, strict=True)), (actual, expected)


def test_storing_the_same_photo_twice_gives_one_key_and_one_pair_of_files(tmp_path: Path) -> None:
    data = _encode(_photo((1600, 1200)), "JPEG")

    first = store_photo(data, tmp_path)
    written = {path: path.stat().st_mtime_ns for path in _files(tmp_path)}
    second = store_photo(data, tmp_path)

    assert second == first
    assert len(first.key) >= 32
    assert int(first.key, 16) >= 0
    assert {path.relative_to(tmp_path).as_posix() for path in written} == {first.display_path, first.thumb_path}
    assert first.display_path == f"{first.key[:2]}/{first.key}.jpg"
    assert first.thumb_path == f"{first.key[:2]}/{first.key}-t.jpg"
    # Untouched the second time, and no temporary files left behind.
    assert {path: path.stat().st_mtime_ns for path in _files(tmp_path)} == written


def test_different_photos_get_different_keys(tmp_path: Path) -> None:
    first = store_photo(_encode(_photo((300, 200)), "PNG"), tmp_path)
    second = store_photo(_encode(_photo((300, 200)).transpose(Image.Transpose.FLIP_LEFT_RIGHT), "PNG"), tmp_path)

    assert first.key != second.key
    assert len(_files(tmp_path)) == 4


def test_media_file_resolves_a_stored_photo(tmp_path: Path) -> None:
    media = tmp_path / "media"
    stored = store_photo(_encode(_photo(), "JPEG"), media)

    assert media_file(media, stored.display_path) == (media / stored.display_path).resolve()
    assert media_file(media, stored.thumb_path).read_bytes()[:2] == b"\xff\xd8"


@pytest.mark.parametrize(
    "relative",
    ["../secret", "/etc/passwd", "ab/../../x", "ab/../../secret", "..", "", "ab//x.jpg", "ab\\..\\..\\secret", "C:x"],
)
def test_media_file_refuses_paths_that_leave_media_dir(tmp_path: Path, relative: str) -> None:
    media = tmp_path / "media"
    (media / "ab").mkdir(parents=True)
    (tmp_path / "secret").write_text("household PINs")
    (tmp_path / "x").write_text("outside")

    with pytest.raises(NotFound):
        media_file(media, relative)


def test_media_file_refuses_missing_files_hidden_temp_files_and_escaping_symlinks(tmp_path: Path) -> None:
    media = tmp_path / "media"
    (media / "ab").mkdir(parents=True)
    (tmp_path / "secret").write_text("household PINs")
    (media / "ab" / "link.jpg").symlink_to(tmp_path / "secret")
    (media / "ab" / ".abc.jpg.0123.tmp").write_bytes(b"half written")

    for relative in ["ab/missing.jpg", "ab", "ab/link.jpg", "ab/.abc.jpg.0123.tmp"]:
        with pytest.raises(NotFound):
            media_file(media, relative)
