"""The simulator's shared state (one per app) and the response every handler may need."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from comfy_schema.object_info import shipped_object_info, with_file_lists
from comfyui_sim.config import SimConfig
from comfyui_sim.executor import Executor
from comfyui_sim.folders import Folders, list_input_images
from comfyui_sim.model_files import ModelFiles
from comfyui_sim.prompt_queue import PromptQueue
from comfyui_sim.ws import SocketHub


class SimState:
    """Start-up config, live config, folders, model files, sockets, queue and executor."""

    def __init__(self, config: SimConfig) -> None:
        self.base_config = config.copy()
        self.config = config.copy()  # replaced by POST /sim/reset, patched by POST /sim/config
        self.folders = Folders.create(config.data_dir)
        self.model_files = ModelFiles(self.folders.models)
        self.model_files.sync(self.config.models, self.config.model_metadata)
        self.hub = SocketHub()
        self.queue = PromptQueue(self._broadcast_status)
        self.schemas = shipped_object_info()
        self.executor = Executor(
            lambda: self.config, self.folders, self.hub, self.queue, self.schemas
        )

    def _broadcast_status(self) -> None:
        self.hub.send("status", {"status": self.queue.queue_info()})

    def patch_config(self, patch: Any) -> None:
        """POST /sim/config: apply a partial patch (ValueError when bad), rewrite model files."""
        self.config.apply(patch)
        if {"models", "model_metadata"} & set(patch):
            self.model_files.sync(self.config.models, self.config.model_metadata)

    def reset_config(self) -> None:
        """POST /sim/reset: the start-up config again, model files included."""
        self.config = self.base_config.copy()
        self.model_files.sync(self.config.models, self.config.model_metadata)

    def object_info(self) -> dict[str, Any]:
        """Schemas with model combos and LoadImage's list filled from models/ and input/."""
        return with_file_lists(
            self.schemas, self.model_files.listing(), list_input_images(self.folders.input)
        )


STATE = web.AppKey("comfyui_sim_state", SimState)

TROUBLE_TEXT = "500 Internal Server Error\n\nServer got itself in trouble"


def trouble() -> web.Response:
    """aiohttp's answer to an unhandled error, which is what ComfyUI gives for a bad body."""
    return web.Response(status=500, text=TROUBLE_TEXT, content_type="text/plain")
