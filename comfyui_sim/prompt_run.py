"""One prompt being executed: what it has run so far and the messages it records and sends.

The messages are ComfyUI's: each goes to the prompt's client over the socket and into the
prompt's history (`execution_start` ... `execution_success`, `_interrupted` or `_error`).
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from comfy_schema.error_shapes import full_type_name
from comfyui_sim.progress import PromptProgress
from comfyui_sim.ws import SocketHub


@dataclass
class PromptRun:
    """State of the prompt being executed, and its messages."""

    prompt_id: str
    prompt: dict[str, Any]
    extra_data: dict[str, Any]
    signatures: dict[str, str]
    hub: SocketHub
    client_id: str | None
    progress: PromptProgress
    current_outputs: list[str]  # nodes served from the cache, as ComfyUI reports them
    messages: list = field(default_factory=list)
    executed: list[str] = field(default_factory=list)

    def message(self, event: str, data: dict[str, Any], broadcast: bool = False) -> None:
        """Record a status message in history and send it (ComfyUI's add_message)."""
        data = {**data, "timestamp": int(time.time() * 1000)}
        self.messages.append([event, data])
        if self.client_id is not None or broadcast:
            self.hub.send(event, data, self.client_id)

    def send_executed(self, node_id: str, ui: dict[str, Any] | None) -> None:
        """`executed` for a node with UI output (re-sent when served from cache)."""
        if ui is not None and self.client_id is not None:
            data = {
                "node": node_id,
                "display_node": node_id,
                "output": ui,
                "prompt_id": self.prompt_id,
            }
            self.hub.send("executed", data, self.client_id)

    def interrupted(self, node_id: str, class_type: str) -> None:
        """ComfyUI's execution_interrupted message, sent to every client."""
        self.message(
            "execution_interrupted",
            {
                "prompt_id": self.prompt_id,
                "node_id": node_id,
                "node_type": class_type,
                "executed": list(self.executed),
            },
            broadcast=True,
        )

    def failed(self, node_id: str, class_type: str, inputs: dict[str, Any], ex: Exception) -> None:
        """ComfyUI's execution_error message for a node that raised."""
        self.message(
            "execution_error",
            {
                "prompt_id": self.prompt_id,
                "node_id": node_id,
                "node_type": class_type,
                "executed": list(self.executed),
                "exception_message": f"{ex}\n",
                "exception_type": full_type_name(ex),
                "traceback": traceback.format_tb(ex.__traceback__),
                "current_inputs": {k: [_format_value(v)] for k, v in inputs.items()},
                "current_outputs": list(self.current_outputs),
            },
        )


def _format_value(value: Any) -> Any:
    """ComfyUI's format_value: primitives as they are, anything else as its str()."""
    return value if value is None or isinstance(value, (int, float, bool, str)) else str(value)
