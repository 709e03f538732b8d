"""Upload memory (issue 9): decoding and storing an image costs < 3x its RGB size, and is
given back after.

The image is the worst small file there is: a 4096x3900 1-bit PNG of ~2 KB that decodes to
48 MB as RGB. Each figure comes from a fresh child process (peak RSS from
`resource.getrusage().ru_maxrss`, current RSS from /proc/self/statm), for the path a
checked upload takes now (`studio_core.images.check_image`, kept as sent when clean) and,
beside it, the path before issue 9 (decode, convert to RGB, tobytes/frombytes, PNG), kept
below verbatim. "many" stores 48 of them on 8 threads, as a busy backend would, and reads
what the process still holds after.

    python -m bench.upload_memory [--width 4096 --height 3900 --uploads 48 --threads 8]

Why memory stayed held: glibc raises its mmap threshold to the size of the first large
block freed (up to 32 MB), so Pillow's 16 MB image blocks and the RGB copies after it come
from per-thread heap arenas, which are not given back when fragmented. Measured here: the
old path held ~170-250 MB after 48 uploads on 8 threads, and ~0 with a fixed threshold
(MALLOC_MMAP_THRESHOLD_=1048576); MALLOC_ARENA_MAX=1 did not help. Without the copies a
1-bit upload holds nothing; a re-encoded 48 MB photo holds ~one block per thread, bounded by
the thread count, not by the number of uploads. The environment knob stays a last resort.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

from PIL import Image, ImageOps
from PIL.PngImagePlugin import PngInfo

from bench.common import Check, begin, cleanup, finish, print_table, ratio
from studio_core.images import CheckedImage, Limits, check_image
from studio_core.storage import StoragePaths

NAME = "upload_memory"
MB = 1024 * 1024


def sample(kind: str, width: int, height: int) -> bytes:
    """The upload: "1bit" a blank 1-bit PNG (~2 KB that decode to width*height*3 bytes of
    RGB), "1bit_text" the same with a text chunk (re-encoded), "jpeg_exif" an RGB photo-sized
    JPEG with an EXIF orientation (re-encoded and turned: the heaviest re-encode)."""
    out = io.BytesIO()
    if kind == "jpeg_exif":
        exif = Image.Exif()
        exif[0x0112] = 6
        image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
        image.save(out, format="JPEG", quality=90, exif=exif.tobytes())
        return out.getvalue()
    info = PngInfo()
    if kind == "1bit_text":
        info.add_text("Comment", "forces a re-encode")
    Image.new("1", (width, height)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def old_check_and_reencode(data: bytes, limits: Limits) -> CheckedImage:
    """The path before issue 9: every image became RGB(A), copied twice, then a PNG."""
    image = Image.open(io.BytesIO(data))
    image.load()
    image = ImageOps.exif_transpose(image) or image
    if image.mode not in {"RGB", "RGBA", "L", "LA"}:
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format="PNG")
    return CheckedImage(out.getvalue(), "image/png", clean.width, clean.height)


def _rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 1024


def child(path: str, kind: str, width: int, height: int, uploads: int, threads: int) -> None:
    """In a fresh process: store `uploads` images on `threads` threads; print the figures."""
    data = sample(kind, width, height)
    check = old_check_and_reencode if path == "old" else check_image
    paths = StoragePaths(tempfile.mkdtemp(prefix="bench-upload-")).ensure()
    limits = Limits(max_image_side=max(width, height), max_image_pixels=width * height)
    stored: list[int] = []
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def store(_n: int) -> None:
        image = check(data, limits)
        paths.write_upload(image)
        stored.append(len(image.data))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(store, range(uploads)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures = {"sent": len(data), "stored": stored[0], "base_kb": before, "peak_kb": peak}
    figures["after_kb"] = _rss_kb()
    sys.stdout.write(json.dumps(figures) + "\n")


def measure(path: str, kind: str, width: int, height: int, uploads: int, threads: int) -> dict:
    """Run one child and return its figures."""
    argv = [path, kind, str(width), str(height), str(uploads), str(threads)]
    out = subprocess.run(
        [sys.executable, "-m", "bench.upload_memory", "--child", *argv],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """One upload and many, old path and new, side by side."""
    args, root = begin(NAME, argv, width=4096, height=3900, uploads=48, threads=8)
    rgb = args.width * args.height * 3
    rows, figures = [], {"rgb_bytes": rgb}
    many = f"{args.uploads} on {args.threads} threads"
    for label, path, kind, uploads, threads in [
        ("old, 1-bit PNG", "old", "1bit", 1, 1),
        ("new, 1-bit PNG (kept)", "new", "1bit", 1, 1),
        ("new, 1-bit PNG + text (re-encoded)", "new", "1bit_text", 1, 1),
        ("old, RGB JPEG + EXIF", "old", "jpeg_exif", 1, 1),
        ("new, RGB JPEG + EXIF (re-encoded)", "new", "jpeg_exif", 1, 1),
        (f"old, 1-bit PNG, {many}", "old", "1bit", args.uploads, args.threads),
        (f"new, 1-bit PNG, {many}", "new", "1bit", args.uploads, args.threads),
        (f"old, RGB JPEG + EXIF, {many}", "old", "jpeg_exif", args.uploads, args.threads),
        (f"new, RGB JPEG + EXIF, {many}", "new", "jpeg_exif", args.uploads, args.threads),
    ]:
        f = measure(path, kind, args.width, args.height, uploads, threads)
        added = (f["peak_kb"] - f["base_kb"]) * 1024
        held = max(0, f["after_kb"] - f["base_kb"]) * 1024
        figures[label] = {**f, "peak_over_rgb": ratio(added, rgb), "held_bytes": held}
        rows.append([label, f["sent"], f["stored"], added / MB, ratio(added, rgb), held / MB])
    cleanup(root)
    print_table(
        f"upload_memory: {args.width}x{args.height} 1-bit PNG, RGB size {rgb / MB:.1f} MB",
        ["path", "sent B", "stored B", "peak +MB", "peak / RGB", "held after MB"],
        rows,
    )
    kept = figures["new, 1-bit PNG (kept)"]
    photo = figures["new, RGB JPEG + EXIF (re-encoded)"]
    held = max(
        figures[f"new, {kind}, {many}"]["held_bytes"] for kind in ("1-bit PNG", "RGB JPEG + EXIF")
    )
    checks = [
        Check("peak / RGB size, 1-bit PNG", kept["peak_over_rgb"], 3.0, 4.0, False),
        Check("peak / RGB size, re-encoded photo", photo["peak_over_rgb"], 3.0, 4.0, False),
        Check("stored / sent, clean upload", ratio(kept["stored"], kept["sent"]), 1.0, 15.0, False),
        Check(
            "stored / sent, re-encoded photo",
            ratio(photo["stored"], photo["sent"]),
            3.0,
            15.0,
            False,
        ),
        Check(f"MB held after {many}", held / MB, 64, 512, False),
    ]
    return finish(NAME, figures, checks)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        path, kind, *numbers = sys.argv[2:]
        child(path, kind, *(int(n) for n in numbers))
    else:
        sys.exit(main())
