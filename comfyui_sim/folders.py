"""The data directory (input/, output/, temp/, models/) and ComfyUI's path rules for it."""

from __future__ import annotations

import logging
import mimetypes
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_ANNOTATION = re.compile(r"^(.*) \[(input|output|temp)\]$")


@dataclass(frozen=True)
class Folders:
    """Absolute input/, output/, temp/ and models/ directories under the data dir."""

    root: Path

    @classmethod
    def create(cls, data_dir: Path) -> Folders:
        """Make the folders; temp/ is wiped as ComfyUI's cleanup_temp does at start-up."""
        folders = cls(Path(os.path.abspath(data_dir)))
        shutil.rmtree(folders.temp, ignore_errors=True)
        for path in (folders.input, folders.output, folders.temp):
            path.mkdir(parents=True, exist_ok=True)
        return folders

    @property
    def input(self) -> Path:
        return self.root / "input"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def temp(self) -> Path:
        return self.root / "temp"

    @property
    def models(self) -> Path:
        return self.root / "models"  # written by model_files.ModelFiles

    def by_type(self, kind: str | None) -> Path | None:
        """The folder for a `type` form/query value (None means input for uploads)."""
        return {"input": self.input, "output": self.output, "temp": self.temp}.get(kind or "input")

    def annotated_path(self, name: str, default: str | None = "input") -> tuple[str, Path | None]:
        """Split `name.png [output]` into the name and its folder (`default`'s otherwise)."""
        match = _ANNOTATION.match(name)
        if match:
            return match.group(1), self.by_type(match.group(2))
        return name, self.by_type(default) if default else None

    def input_file(self, name: str) -> Path:
        """Where LoadImage reads `sub/name.png` or `name.png [temp]` from."""
        plain, base = self.annotated_path(name)
        return Path(os.path.join(base or self.input, plain))

    def input_exists(self, name: str) -> bool:
        """ComfyUI's exists_annotated_filepath."""
        return self.input_file(name).exists()


def expand_prefix(prefix: str, width: int, height: int) -> str:
    """Expand %width%, %height%, %year% ... %second% in a filename prefix."""
    if "%" not in prefix:
        return prefix
    now = time.localtime()
    values = {
        "width": str(width),
        "height": str(height),
        "year": str(now.tm_year),
        "month": f"{now.tm_mon:02}",
        "day": f"{now.tm_mday:02}",
        "hour": f"{now.tm_hour:02}",
        "minute": f"{now.tm_min:02}",
        "second": f"{now.tm_sec:02}",
    }
    for key, value in values.items():
        prefix = prefix.replace(f"%{key}%", value)
    return prefix


def save_image_path(
    prefix: str, output_dir: Path, width: int, height: int
) -> tuple[Path, str, int, str]:
    """ComfyUI's get_save_image_path: (folder, base name, next counter, subfolder).

    The counter is 1 + the highest `<name>_<NNNNN>_` already in the folder. A prefix that
    escapes the folder raises the same Exception ComfyUI raises.
    """
    prefix = expand_prefix(prefix, width, height)
    subfolder = os.path.dirname(os.path.normpath(prefix))
    name = os.path.basename(os.path.normpath(prefix))
    base = str(output_dir)
    folder = os.path.abspath(os.path.join(base, subfolder))
    common = os.path.commonpath((base, folder))
    if common != base:
        message = (
            "**** ERROR: Saving image outside the output folder is not allowed."
            f"\n full_output_folder: {folder}\n         output_dir: {base}\n         commonpath: {common}"
        )
        logger.error("save outside output prefix=%s", prefix)
        raise Exception(message)  # ComfyUI raises a bare Exception here
    try:
        counters = [_counter_of(entry, name) for entry in os.listdir(folder)]
        counter = max(c for c in counters if c is not None) + 1
    except ValueError:
        counter = 1
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
        counter = 1
    return Path(folder), name, counter, subfolder


def _counter_of(entry: str, name: str) -> int | None:
    """The counter of `<name>_<digits>_...`, 0 for `<name>_<other>`, None for other files."""
    head = entry[: len(name) + 1]
    if os.path.normcase(head[:-1]) != os.path.normcase(name) or head[-1:] != "_":
        return None
    try:
        return int(entry[len(name) + 1 :].split("_")[0])
    except ValueError:
        return 0


def list_input_images(input_dir: Path) -> list[str]:
    """Top-level image files of input/, sorted, as LoadImage's combo shows them."""
    if not input_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in input_dir.iterdir()
        if p.is_file() and (mimetypes.guess_type(p.name)[0] or "").startswith("image/")
    )
