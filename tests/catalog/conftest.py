"""Fixtures for the catalog tests: the shipped catalog and node schemas, and a writable copy."""

from __future__ import annotations

import json
import shutil

import pytest

from comfy_schema.object_info import load_object_info
from studio_core.catalog.tools import DEFAULT_DIR, Catalog


@pytest.fixture(scope="session")
def catalog():
    """The shipped catalog (ComfyUIworkflow/)."""
    return Catalog.load()


@pytest.fixture(scope="session")
def object_info():
    """The simulator's copy of ComfyUI's node schemas (file lists empty)."""
    return load_object_info()


@pytest.fixture
def catalog_copy(tmp_path):
    """A writable copy of the shipped catalog, with JSON edit helpers."""
    root = tmp_path / "catalog"
    shutil.copytree(DEFAULT_DIR, root)
    return CatalogCopy(root)


class CatalogCopy:
    """Edit one tool's manifest or workflow in a copied catalog."""

    def __init__(self, root):
        self.root = root

    def read(self, tool_id: str, name: str) -> dict:
        """Parsed `<tool>/<name>.json`."""
        return json.loads((self.root / tool_id / f"{name}.json").read_text(encoding="utf-8"))

    def write(self, tool_id: str, name: str, data: dict) -> None:
        """Replace `<tool>/<name>.json`."""
        text = json.dumps(data, ensure_ascii=False, indent=2)
        (self.root / tool_id / f"{name}.json").write_text(text, encoding="utf-8")
