"""The family of every model file of our ComfyUI, read once per file name.

ComfyUI's `GET /view_metadata/{folder}?filename=` reads a safetensors header: cheap, but a
ComfyUI with hundreds of files should not get hundreds of requests every probe. The reader
remembers each answer for as long as the file is listed and reads at most `budget` new files
per probe; the rest get a file-name guess until a later probe reads them.
"""

from __future__ import annotations

import logging

from studio_core.models.family import FamilyGuess, detect_family
from worker.comfy.client import ComfyClient
from worker.comfy.errors import ComfyError, ComfyUnavailable

logger = logging.getLogger(__name__)

# The folders whose files are whole models or LoRAs of one family (contract 1).
FAMILY_FOLDERS = ("checkpoints", "diffusion_models", "loras")
# Only safetensors files carry the metadata ComfyUI reads; others answer 404 anyway.
METADATA_SUFFIXES = (".safetensors", ".sft")


class FamilyReader:
    """Families of one ComfyUI's model files, cached per (folder, file name)."""

    def __init__(self, client: ComfyClient, budget: int = 50):
        self.client = client
        self.budget = budget
        self._known: dict[tuple[str, str], FamilyGuess] = {}
        self.reads = 0  # metadata requests made so far (for tests and logs)

    def families(self, models: dict[str, list[str]]) -> dict[str, dict[str, dict]]:
        """`{folder: {file: {family, size_class, source}}}` for the listed files."""
        budget = self.budget
        listed: set[tuple[str, str]] = set()
        result: dict[str, dict[str, dict]] = {}
        for folder in FAMILY_FOLDERS:
            files = models.get(folder) or []
            if not files:
                continue
            result[folder] = {}
            for name in files:
                key = (folder, name)
                listed.add(key)
                if key not in self._known and budget > 0:
                    guess = self._read(folder, name)
                    if guess is None:  # ComfyUI stopped answering: no more reads this probe
                        budget = 0
                    else:
                        budget -= 1
                        self._known[key] = guess
                guess = self._known.get(key) or detect_family(None, name)
                result[folder][name] = guess.to_dict()
        # Forget removed files, so the cache never outgrows what ComfyUI lists.
        self._known = {key: guess for key, guess in self._known.items() if key in listed}
        return result

    def _read(self, folder: str, name: str) -> FamilyGuess | None:
        """The file's family from its metadata (a name guess if it has none); None when
        ComfyUI is unreachable, so the file is read again next time."""
        if not name.lower().endswith(METADATA_SUFFIXES):
            return detect_family(None, name)
        try:
            self.reads += 1
            metadata = self.client.view_metadata(folder, name)
        except ComfyUnavailable as exc:
            logger.warning(
                "model metadata unreadable folder=%s file=%s error=%s", folder, name, exc
            )
            return None
        except ComfyError as exc:  # e.g. 400/403 from a proxy: the name is all we have
            logger.info("model metadata refused folder=%s file=%s error=%s", folder, name, exc)
            metadata = None
        return detect_family(metadata, name)
