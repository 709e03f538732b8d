"""Image checks and re-encoding, data URLs, output files and thumbnails."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image

from studio_core.errors import InvalidImage, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from studio_core.images import Limits, check_image
from studio_core.storage import StoragePaths, decode_data_url

ORIENTATION, GPS_IFD = 0x0112, 0x8825


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_clean_png_jpeg_and_webp_are_kept_byte_for_byte(fmt):
    data = encode(Image.new("RGB", (40, 30), "red"), fmt)
    checked = check_image(data, Limits())
    assert (checked.mime, checked.width, checked.height) == (f"image/{fmt.lower()}", 40, 30)
    assert checked.data == data


def test_a_palette_png_with_transparency_keeps_its_alpha():
    image = Image.new("P", (4, 4))
    data = encode(image, "PNG", transparency=0)
    kept = Image.open(io.BytesIO(check_image(data, Limits()).data))
    assert kept.mode == "P" and kept.info["transparency"] == 0


@pytest.mark.parametrize(
    "data",
    [
        encode(Image.new("RGB", (8, 8)), "GIF"),
        encode(Image.new("RGB", (8, 8)), "BMP"),
        b"hello, this is text pretending to be a .png",
        b"",
    ],
    ids=["gif", "bmp", "text", "empty"],
)
def test_other_content_is_rejected_whatever_its_name(data):
    with pytest.raises(UnsupportedMediaType):
        check_image(data, Limits())


def test_truncated_image_is_invalid():
    data = encode(Image.effect_noise((64, 64), 50).convert("RGB"), "PNG")
    with pytest.raises(InvalidImage, match="could not be decoded"):
        check_image(data[: len(data) // 2], Limits())


def test_files_over_the_size_limit_are_refused_before_decoding():
    with pytest.raises(PayloadTooLarge, match="1 MB"):
        check_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024), Limits(max_upload_mb=1))


def test_too_many_pixels_or_too_long_a_side_is_refused():
    data = encode(Image.new("RGB", (300, 200)), "PNG")
    with pytest.raises(InvalidImage, match="at most 256 px a side"):
        check_image(data, Limits(max_image_side=256))
    with pytest.raises(InvalidImage, match="pixels"):
        check_image(data, Limits(max_image_pixels=50_000))


@pytest.mark.parametrize("side", [10_000, 50_000], ids=["bomb-warning", "bomb-error"])
def test_decompression_bombs_are_refused_from_the_header(side):
    bomb = png_header_only(side, side)
    assert len(bomb) < 200
    with pytest.raises(InvalidImage):
        check_image(bomb, Limits())
    # Even with our own limits lifted, Pillow's bomb guard surfaces as a clean InvalidImage.
    with pytest.raises(InvalidImage, match="decompression bomb"):
        check_image(bomb, Limits(max_image_side=10**6, max_image_pixels=10**12))


def test_exif_orientation_is_applied_and_gps_and_exif_are_dropped():
    image = Image.new("RGB", (60, 20), "blue")
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # rotate 90° clockwise to display
    exif.get_ifd(GPS_IFD)[2] = (25.0, 2.0, 0.0)  # latitude
    data = encode(image, "JPEG", exif=exif.tobytes())
    assert GPS_IFD in Image.open(io.BytesIO(data)).getexif()
    checked = check_image(data, Limits())
    assert (checked.width, checked.height) == (20, 60)
    clean = Image.open(io.BytesIO(checked.data))
    assert len(clean.getexif()) == 0 and "exif" not in clean.info
    assert b"Exif" not in checked.data and b"eXIf" not in checked.data


def test_png_text_chunks_are_dropped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret location")
    checked = check_image(encode(Image.new("RGB", (8, 8)), "PNG", pnginfo=info), Limits())
    assert b"secret location" not in checked.data


def test_data_urls():
    raw = encode(Image.new("RGB", (2, 2)), "PNG")
    url = "data:image/png;base64," + base64.b64encode(raw).decode()
    assert decode_data_url(url) == raw
    assert decode_data_url(url.replace("image/png", "image/jpeg")) == raw  # content decides later
    with pytest.raises(InvalidImage, match="base64"):
        decode_data_url("data:image/png;base64,@@@")
    with pytest.raises(InvalidImage, match="data URL"):
        decode_data_url("https://example.com/x.png")
    with pytest.raises(UnsupportedMediaType):
        decode_data_url("data:;base64,AAAA")
    with pytest.raises(PayloadTooLarge):
        decode_data_url("data:image/png;base64," + "A" * 4000, max_bytes=1000)
    with pytest.raises(InvalidInput):
        decode_data_url(123)


def test_write_output_saves_png_and_a_webp_thumbnail(tmp_path):
    paths = StoragePaths(tmp_path).ensure()
    png = encode(Image.new("RGB", (1024, 512), "green"), "PNG")
    stored = paths.write_output("job-1", 0, png, thumb_px=384)
    idx, filename, thumb, width, height, size = stored
    assert (idx, filename, thumb, width, height) == (0, "job-1_0.png", "job-1_0.webp", 1024, 512)
    assert (paths.outputs / filename).read_bytes() == png and size == len(png)
    thumbnail = Image.open(paths.thumbs / thumb)
    assert thumbnail.format == "WEBP" and thumbnail.size == (384, 192)
    assert not list(paths.outputs.glob(".*.tmp"))


def test_write_output_converts_other_formats_and_rejects_garbage(tmp_path):
    paths = StoragePaths(tmp_path).ensure()
    stored = paths.write_output("j", 1, encode(Image.new("RGB", (10, 10)), "WEBP"), thumb_px=384)
    assert Image.open(paths.outputs / stored.filename).format == "PNG"
    assert Image.open(paths.thumbs / stored.thumb_filename).size == (10, 10)
    with pytest.raises(InvalidImage):
        paths.write_output("j", 2, b"not an image", thumb_px=384)


@pytest.mark.parametrize("job_id", ["../evil", "a/b", "", ".hidden"])
def test_output_names_refuse_path_tricks(tmp_path, job_id):
    with pytest.raises(ValueError):
        StoragePaths(tmp_path).output_names(job_id, 0)


def test_resolve_and_remove_stay_inside_storage(tmp_path):
    paths = StoragePaths(tmp_path / "storage").ensure()
    outside = tmp_path / "keep.txt"
    outside.write_text("x")
    (paths.outputs / "a.png").write_bytes(b"1")
    with pytest.raises(ValueError):
        paths.resolve("../keep.txt")
    assert paths.remove(["outputs/a.png", "outputs/missing.png", "../keep.txt"]) == 1
    assert outside.exists() and not (paths.outputs / "a.png").exists()
