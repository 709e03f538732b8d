"""What is known about one prompt, built from ComfyUI's WebSocket messages and its /history.

Plain data and the rules that fold messages into it; `PromptWatch` (watch.py) adds the lock,
the callbacks and waiting. A message for a prompt that already ended changes nothing.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass, field

from worker.comfy.errors import describe_execution_error
from worker.comfy.progress import GraphProgress

logger = logging.getLogger(__name__)

# Messages ComfyUI sends only while it executes the prompt: any of them means it started,
# also when a reconnect made us miss `execution_start` itself.
RUNNING_MESSAGES = frozenset(
    {"execution_start", "execution_cached", "executing", "progress", "progress_state", "executed"}
)


@dataclass(frozen=True)
class PromptResult:
    """How a prompt ended: status success | error | interrupted, its outputs and error."""

    prompt_id: str
    status: str
    outputs: dict[str, dict] = field(default_factory=dict)
    error: str | None = None
    executed_nodes: list[str] = field(default_factory=list)
    cached_nodes: list[str] = field(default_factory=list)


class Applied(enum.Enum):
    """What one WebSocket message did to a prompt's state."""

    IGNORED = "ignored"  # not a message about running prompts, or the prompt already ended
    CHANGED = "changed"
    ENDED_UNHEARD = "ended_unheard"  # ComfyUI's end marker came without a terminal message


class PromptState:
    """The live state of one prompt (not thread-safe: the watch locks)."""

    def __init__(self, prompt_id: str, graph: dict):
        self.prompt_id = prompt_id
        self.graph_progress = GraphProgress(graph)
        self.current_node: str | None = None
        self.step: tuple[int, int] | None = None
        self.preview: bytes | None = None
        self.preview_type: str | None = None
        self.started_at: float | None = None  # monotonic, when the start was first seen
        self.result: PromptResult | None = None
        self._outputs: dict[str, dict] = {}
        self._executed: list[str] = []
        self._cached: list[str] = []

    def apply(self, msg_type: str, data: dict) -> Applied:
        """Fold one WebSocket text message addressed to this prompt into the state."""
        if self.result is not None:
            return Applied.IGNORED
        node = data.get("node")
        if msg_type in RUNNING_MESSAGES:
            self.mark_started()
        if msg_type == "execution_cached":
            nodes = [str(n) for n in data.get("nodes") or []]
            self._cached.extend(n for n in nodes if n not in self._cached)
            self.graph_progress.cached(nodes)
        elif msg_type == "executing":
            if node is None:
                # End marker without a terminal message: we missed it, /history knows.
                self.current_node = None
                return Applied.ENDED_UNHEARD
            self._executing(str(node))
        elif msg_type == "progress" and node is not None:
            self.step = (int(data.get("value") or 0), int(data.get("max") or 0))
            self.graph_progress.step(
                str(node), float(data.get("value") or 0), float(data.get("max") or 0)
            )
        elif msg_type == "progress_state":
            nodes = data.get("nodes") or {}
            self.graph_progress.state(nodes)
            # ComfyUI sends a step's progress_state just before its `progress`: take the
            # step from it too, so the update published now is not one step behind.
            step = _running_step(nodes)
            if step is not None:
                self.step = step
        elif msg_type == "executed" and node is not None:
            self._outputs[str(node)] = data.get("output") or {}
            self.graph_progress.done(str(node))
        elif msg_type == "execution_success":
            self.finish("success", None)
        elif msg_type == "execution_error":
            self._add_executed(data.get("executed"))
            self.finish("error", describe_execution_error(data))
        elif msg_type == "execution_interrupted":
            self._add_executed(data.get("executed"))
            self.finish("interrupted", _interrupted_message(data))
        elif msg_type not in RUNNING_MESSAGES:
            return Applied.IGNORED
        return Applied.CHANGED

    def apply_history(self, entry: dict) -> bool:
        """End the prompt from its /history entry (authoritative for outputs and status)."""
        status = entry.get("status") or {}
        messages = {
            m[0]: m[1]
            for m in status.get("messages") or []
            if isinstance(m, list | tuple) and len(m) == 2
        }
        if self.result is not None:
            return False
        for node_id, ui in (entry.get("outputs") or {}).items():
            self._outputs[str(node_id)] = ui
        cached = (messages.get("execution_cached") or {}).get("nodes") or []
        self._cached.extend(str(n) for n in cached if str(n) not in self._cached)
        if "execution_interrupted" in messages:
            data = messages["execution_interrupted"]
            self._add_executed(data.get("executed"))
            self.finish("interrupted", _interrupted_message(data))
        elif "execution_error" in messages:
            data = messages["execution_error"]
            self._add_executed(data.get("executed"))
            self.finish("error", describe_execution_error(data))
        elif status.get("status_str", "success") == "success" and status.get("completed", True):
            self.finish("success", None)
        else:
            self.finish("error", f"ComfyUI reported status {status.get('status_str')!r}")
        return True

    def mark_started(self) -> bool:
        """Record that ComfyUI runs the prompt; False when that was known already."""
        if self.started_at is not None:
            return False
        self.started_at = time.monotonic()
        logger.info("prompt=%s started", self.prompt_id)
        return True

    def finish(self, status: str, error: str | None) -> None:
        """End the prompt with `status` (success | error | interrupted)."""
        if status == "success":
            self.graph_progress.finish()
        self.current_node = None
        self.result = PromptResult(
            prompt_id=self.prompt_id,
            status=status,
            outputs=dict(self._outputs),
            error=error,
            executed_nodes=list(self._executed),
            cached_nodes=list(self._cached),
        )
        logger.info("prompt=%s status=%s error=%s", self.prompt_id, status, error)

    def _executing(self, node: str) -> None:
        self.graph_progress.running(node)
        self.current_node = node
        self.step = None
        if node not in self._executed:
            self._executed.append(node)

    def _add_executed(self, nodes: list | None) -> None:
        for node in nodes or []:
            if str(node) not in self._executed:
                self._executed.append(str(node))


def _interrupted_message(data: dict) -> str:
    node_id = data.get("node_id")
    if node_id is None:
        return "interrupted"
    return f"interrupted at {data.get('node_type') or 'node'} #{node_id}"


def _running_step(nodes: dict) -> tuple[int, int] | None:
    """(value, max) of a running sampler in a progress_state (steps are ints, plain nodes floats)."""
    for info in nodes.values():
        if not isinstance(info, dict) or info.get("state") != "running":
            continue
        value, maximum = info.get("value"), info.get("max")
        if type(value) is int and type(maximum) is int and maximum >= 1:
            return value, maximum
    return None
