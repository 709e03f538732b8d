"""The models/ folder: one tiny real .safetensors file per configured model name.

ComfyUI scans `models/<folder>/` recursively on every listing and reads a file's header for
GET /view_metadata, so the simulator keeps real files and does the same: listings are the
files on disk (names relative to the folder, `os.path.relpath` style, sorted) and metadata
is read back from the file's header, never from the config.
"""

from __future__ import annotations

import json
import logging
import os
import struct
from pathlib import Path

logger = logging.getLogger(__name__)

# ComfyUI's /view_metadata reads headers through safetensors_header(max_size=1 MiB): a longer
# header is refused (404), a header of exactly that size is read.
MAX_METADATA_HEADER = 1024 * 1024
# One 4-byte F32 tensor, so the file is a valid safetensors file with data, not only a header.
_TENSOR = {"sim.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
_TENSOR_DATA = struct.pack("<f", 0.0)
_EXCLUDED_DIRS = {".git"}  # recursive_search(excluded_dir_names=[".git"])


def safetensors_bytes(metadata: dict[str, str] | None) -> bytes:
    """A valid safetensors file: u64 LE header length, JSON header, tensor data.

    `__metadata__` is present only when `metadata` is given; the header is padded with
    spaces to a multiple of 8 bytes, as the safetensors writer does.
    """
    header = dict(_TENSOR) if metadata is None else {"__metadata__": metadata, **_TENSOR}
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    return struct.pack("<Q", len(blob)) + blob + _TENSOR_DATA


def read_metadata(path: Path, max_header: int = MAX_METADATA_HEADER) -> dict | None:
    """The header's `__metadata__`, reading only the header; None when absent or too long."""
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            return None
        (length,) = struct.unpack("<Q", head)
        if length > max_header:
            return None
        try:
            header = json.loads(fh.read(length))
        except ValueError:
            return None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    return metadata if isinstance(metadata, dict) else None


class ModelFiles:
    """`<data_dir>/models`: written from the config, listed and read like ComfyUI's folders."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def sync(self, models: dict[str, list[str]], metadata: dict[str, dict[str, str]]) -> None:
        """Make models/ hold exactly the configured files, each with its metadata (if any).

        Unchanged files are left alone; files no longer configured are removed, and so are
        the folders they leave empty.
        """
        wanted = {
            Path(folder, name): safetensors_bytes(metadata.get(f"{folder}/{name}"))
            for folder, names in models.items()
            for name in names
        }
        self.root.mkdir(parents=True, exist_ok=True)
        removed = written = 0
        for path in sorted(self.root.rglob("*"), reverse=True):  # children before parents
            if path.is_dir():
                if not any(path.iterdir()):
                    path.rmdir()
            elif path.relative_to(self.root) not in wanted:
                path.unlink()
                removed += 1
        for relative, data in wanted.items():
            path = self.root / relative
            if path.is_file() and path.read_bytes() == data:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written += 1
        logger.info(
            "model files synced files=%s written=%s removed=%s", len(wanted), written, removed
        )

    def list(self, folder: str) -> list[str]:
        """ComfyUI's get_filename_list: every file below the folder, relative, sorted."""
        base = self.root / folder
        found = []
        for directory, dirs, files in os.walk(base, followlinks=True):
            dirs[:] = [d for d in dirs if d not in _EXCLUDED_DIRS]
            found.extend(os.path.relpath(os.path.join(directory, f), base) for f in files)
        return sorted(found)

    def listing(self) -> dict[str, list[str]]:
        """`{folder: files}` for every folder present under models/."""
        if not self.root.is_dir():
            return {}
        return {p.name: self.list(p.name) for p in sorted(self.root.iterdir()) if p.is_dir()}

    def full_path(self, folder: str, filename: str) -> Path | None:
        """ComfyUI's get_full_path: the name is re-rooted, so `..` and `/abs` stay inside."""
        inside = os.path.relpath(os.path.join("/", filename), "/")
        path = self.root / folder / inside
        return path if path.is_file() else None

    def metadata(self, folder: str, filename: str) -> dict | None:
        """GET /view_metadata's answer: the `__metadata__` of a .safetensors file, else None."""
        if not filename.endswith(".safetensors"):
            return None
        path = self.full_path(folder, filename)
        return read_metadata(path) if path is not None else None
