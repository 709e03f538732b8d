"""Memory per upload is bounded: decoding and storing a 4096x3900 image costs < 3x its RGB
size (issue 9). Each figure is the peak RSS of a fresh child process, so other tests and
the allocator's history in this one cannot move it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 4096, 3900
RGB_BYTES = WIDTH * HEIGHT * 3  # ~48 MB

CHILD = """
import io, json, resource, sys, tempfile
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from studio_core.images import Limits, check_image
from studio_core.storage import StoragePaths

kind, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = io.BytesIO()
if kind == "photo":  # RGB with an EXIF orientation: decoded, turned and re-encoded
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.effect_noise((width, height), 40).convert("RGB").save(
        out, format="JPEG", quality=80, exif=exif.tobytes()
    )
else:  # a ~2 KB 1-bit PNG; a text chunk forces the re-encode path
    info = PngInfo()
    if kind == "1bit_text":
        info.add_text("Comment", "x")
    Image.new("1", (width, height)).save(out, format="PNG", pnginfo=info)
data = out.getvalue()
paths = StoragePaths(tempfile.mkdtemp()).ensure()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
image = check_image(data, Limits(max_image_side=4096, max_image_pixels=16_000_000))
paths.write_upload(image)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"added": (peak - before) * 1024, "sent": len(data), "stored": len(image.data),
                  "mime": image.mime, "size": [image.width, image.height]}))
"""


def _measure(kind: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(WIDTH), str(HEIGHT)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("kind", "mime", "size", "max_stored_over_sent"),
    [
        ("1bit", "image/png", [WIDTH, HEIGHT], 1.0),  # clean: kept byte for byte
        ("1bit_text", "image/png", [WIDTH, HEIGHT], 1.5),  # re-encoded, still 1-bit
        ("photo", "image/jpeg", [HEIGHT, WIDTH], 3.0),  # turned upright, stays a JPEG
    ],
)
def test_peak_memory_of_one_upload_is_under_three_times_its_rgb_size(
    kind, mime, size, max_stored_over_sent
):
    figures = _measure(kind)
    assert (figures["mime"], figures["size"]) == (mime, size)
    assert figures["added"] < 3 * RGB_BYTES, figures
    assert figures["stored"] <= max_stored_over_sent * figures["sent"], figures
