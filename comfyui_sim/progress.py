"""Per-prompt node progress and the `progress_state` / `progress` / preview frames."""

from __future__ import annotations

import json
import struct
from typing import Any

from comfyui_sim.ws import PREVIEW_IMAGE, PREVIEW_IMAGE_WITH_METADATA, SocketHub

_JPEG = 1


class PromptProgress:
    """The progress registry of one prompt; every change re-sends all non-pending nodes."""

    def __init__(self, hub: SocketHub, prompt_id: str, client_id: str | None) -> None:
        self.hub = hub
        self.prompt_id = prompt_id
        self.client_id = client_id
        self.nodes: dict[str, dict[str, Any]] = {}

    def start(self, node_id: str) -> None:
        """A node began: value 0.0 of 1.0, running."""
        self.nodes[node_id] = self._entry(node_id, 0.0, 1.0, "running")
        self._send_state()

    def step(self, node_id: str, value: int, maximum: int, preview: bytes | None = None) -> None:
        """A sampler step: progress_state, then `progress` with the preview around it."""
        self.nodes[node_id] = self._entry(node_id, value, maximum, "running")
        self._send_state()
        if self.client_id is None:
            return  # without a client_id only progress_state is heard (it is broadcast)
        with_metadata = preview is not None and self.hub.wants_preview_metadata(self.client_id)
        if with_metadata:
            meta = json.dumps(
                {
                    "node_id": node_id,
                    "prompt_id": self.prompt_id,
                    "display_node_id": node_id,
                    "parent_node_id": None,
                    "real_node_id": node_id,
                    "image_type": "image/jpeg",
                }
            ).encode()
            self.hub.send_bytes(
                PREVIEW_IMAGE_WITH_METADATA,
                struct.pack(">I", len(meta)) + meta + preview,
                self.client_id,
            )
        progress = {"value": value, "max": maximum, "prompt_id": self.prompt_id, "node": node_id}
        self.hub.send("progress", progress, self.client_id)
        if preview is not None and not with_metadata:
            self.hub.send_bytes(PREVIEW_IMAGE, struct.pack(">I", _JPEG) + preview, self.client_id)

    def finish(self, node_id: str) -> None:
        """A node finished (or was served from cache): value = max."""
        entry = self.nodes.get(node_id) or self._entry(node_id, 1.0, 1.0, "finished")
        entry.update(state="finished", value=entry["max"])
        self.nodes[node_id] = entry
        self._send_state()

    def _entry(self, node_id: str, value: float, maximum: float, state: str) -> dict[str, Any]:
        return {
            "value": value,
            "max": maximum,
            "state": state,
            "node_id": node_id,
            "prompt_id": self.prompt_id,
            "display_node_id": node_id,
            "parent_node_id": None,
            "real_node_id": node_id,
        }

    def _send_state(self) -> None:
        nodes = {node_id: dict(entry) for node_id, entry in self.nodes.items()}
        # progress_state goes to the client, or to everyone when the prompt has no client_id.
        self.hub.send(
            "progress_state", {"prompt_id": self.prompt_id, "nodes": nodes}, self.client_id
        )
