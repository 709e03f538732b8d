"""The single executor: runs queued prompts node by node with ComfyUI's messages and cache.

How one node runs (faults, sampler steps, previews) is `node_runner.NodeRunner`'s part.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from comfy_schema.object_info import FILE_VALIDATED_INPUTS, is_output_node, iter_inputs
from comfyui_sim.config import SimConfig
from comfyui_sim.faults import Interrupted, InterruptFlag
from comfyui_sim.folders import Folders
from comfyui_sim.graph import ExecutionOrder, is_link, node_signatures
from comfyui_sim.node_runner import NodeRunner
from comfyui_sim.nodes import NodeContext
from comfyui_sim.progress import PromptProgress
from comfyui_sim.prompt_queue import PromptQueue, QueueItem
from comfyui_sim.prompt_run import PromptRun
from comfyui_sim.ws import SocketHub

logger = logging.getLogger(__name__)


@dataclass
class CachedNode:
    """A node's outputs and UI dict, kept by signature (the classic cache)."""

    outputs: tuple[Any, ...]
    ui: dict[str, Any] | None


class Executor:
    """Takes prompts off the queue one at a time and executes them."""

    def __init__(
        self,
        get_config: Callable[[], SimConfig],
        folders: Folders,
        hub: SocketHub,
        queue: PromptQueue,
        object_info: dict[str, Any],
    ) -> None:
        self.get_config = get_config
        self.folders = folders
        self.hub = hub
        self.queue = queue
        self.object_info = object_info
        self.cache: dict[str, CachedNode] = {}
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.interrupt_flag = InterruptFlag()
        self.nodes = NodeRunner(get_config, hub, self.interrupt_flag)
        self.client_id: str | None = None
        self.last_node_id: str | None = None

    def interrupt(self) -> None:
        """Set the global flag; the running prompt stops at its next check."""
        self.interrupt_flag.set()

    def current_node(self, sid: str) -> str | None:
        """The node running for client `sid` (for the reconnect frame), else None."""
        return self.last_node_id if self.client_id == sid else None

    async def run_forever(self) -> None:
        """The worker loop: one prompt at a time, in queue order."""
        while True:
            item = await self.queue.get()
            try:
                outputs, meta, status = await self.execute(item)
            except Exception:
                # A simulator bug must not stop the queue: record the prompt as failed, go on.
                logger.exception("executor crashed prompt=%s", item[1])
                outputs, meta = {}, {}
                status = {"status_str": "error", "completed": False, "messages": []}
            self.queue.task_done(outputs, meta, status)
            if self.client_id is not None:
                self.hub.send("executing", {"node": None, "prompt_id": item[1]}, self.client_id)

    async def execute(self, item: QueueItem) -> tuple[dict, dict, dict]:
        """Run one prompt; returns (history outputs, meta, status)."""
        _, prompt_id, prompt, extra_data, outputs = item
        self.interrupt_flag.clear()  # an interrupt sent while idle does not hit the next prompt
        self.client_id = extra_data.get("client_id")
        started = time.monotonic()
        run = self._start(prompt_id, prompt, extra_data)
        order = ExecutionOrder(prompt, self._is_output_id(prompt), set(run.current_outputs))
        for output_id in outputs:
            order.add_node(output_id)
        success = True
        while not order.is_empty():
            node_id = order.next_node()
            if not await self._run_node(run, node_id):
                success = False
                break
            order.complete(node_id)
        else:
            run.message("execution_success", {"prompt_id": prompt_id})
        self.last_node_id = None
        logger.info(
            "prompt done prompt=%s success=%s seconds=%.3f",
            prompt_id,
            success,
            time.monotonic() - started,
        )
        history_outputs, meta = self._history(run)
        status = {
            "status_str": "success" if success else "error",
            "completed": success,
            "messages": run.messages,
        }
        return history_outputs, meta, status

    def _start(
        self, prompt_id: str, prompt: dict[str, Any], extra_data: dict[str, Any]
    ) -> PromptRun:
        """Keep the cache and node objects this prompt can use; send the start messages."""
        signatures = node_signatures(prompt, self._is_changed(prompt))
        live = set(signatures.values())
        self.cache = {sig: node for sig, node in self.cache.items() if sig in live}
        self.objects = {
            k: v for k, v in self.objects.items() if prompt.get(k[0], {}).get("class_type") == k[1]
        }
        cached = [node_id for node_id in prompt if signatures[node_id] in self.cache]
        run = PromptRun(
            prompt_id,
            prompt,
            extra_data,
            signatures,
            self.hub,
            self.client_id,
            PromptProgress(self.hub, prompt_id, self.client_id),
            cached,
        )
        run.message("execution_start", {"prompt_id": prompt_id})
        run.message("execution_cached", {"nodes": cached, "prompt_id": prompt_id})
        return run

    def _history(self, run: PromptRun) -> tuple[dict[str, Any], dict[str, Any]]:
        """The history's outputs (each node's UI dict) and their meta, in prompt order."""
        history_outputs, meta = {}, {}
        for node_id in run.prompt:
            entry = self.cache.get(run.signatures[node_id])
            if entry is not None and entry.ui is not None:
                history_outputs[node_id] = entry.ui
                meta[node_id] = {
                    "node_id": node_id,
                    "display_node": node_id,
                    "parent_node": None,
                    "real_node_id": node_id,
                }
        return history_outputs, meta

    def _is_output_id(self, prompt: dict[str, Any]) -> Callable[[str], bool]:
        return lambda node_id: is_output_node(self.object_info[prompt[node_id]["class_type"]])

    def _is_changed(self, prompt: dict[str, Any]) -> Callable[[str], str]:
        """LoadImage's IS_CHANGED: the file hash, so a replaced upload re-runs the node."""

        def token(node_id: str) -> str:
            name = FILE_VALIDATED_INPUTS.get(prompt[node_id]["class_type"])
            value = prompt[node_id].get("inputs", {}).get(name) if name else None
            if not isinstance(value, str):
                return ""
            try:
                return hashlib.sha256(self.folders.input_file(value).read_bytes()).hexdigest()
            except OSError:
                return "unreadable"

        return token

    async def _run_node(self, run: PromptRun, node_id: str) -> bool:
        """Execute (or serve from cache) one node; False when the prompt must stop."""
        node = run.prompt[node_id]
        class_type = node["class_type"]
        cached = self.cache.get(run.signatures[node_id])
        if cached is not None:
            run.send_executed(node_id, cached.ui)
            run.progress.finish(node_id)
            return True
        run.progress.start(node_id)
        inputs = self._resolve_inputs(run, node)
        if self.client_id is not None:
            self.last_node_id = node_id
            self.hub.send(
                "executing",
                {"node": node_id, "display_node": node_id, "prompt_id": run.prompt_id},
                self.client_id,
            )
        logger.info("node start prompt=%s node=%s class=%s", run.prompt_id, node_id, class_type)
        try:
            ctx = NodeContext(
                node_id,
                class_type,
                self.object_info[class_type],
                run.signatures[node_id],
                self.folders,
                run.prompt,
                run.extra_data,
                self.objects.setdefault((node_id, class_type), {}),
            )
            outputs, ui = await self.nodes.run(
                ctx, inputs, run.progress, previews=self.client_id is not None
            )
        except Interrupted:
            logger.info("prompt interrupted prompt=%s node=%s", run.prompt_id, node_id)
            run.interrupted(node_id, class_type)
            return False
        except Exception as ex:  # any node failure becomes execution_error, as in ComfyUI
            logger.warning("node failed prompt=%s node=%s error=%s", run.prompt_id, node_id, ex)
            run.failed(node_id, class_type, inputs, ex)
            return False
        self.cache[run.signatures[node_id]] = CachedNode(outputs, ui or None)
        run.send_executed(node_id, ui or None)
        run.progress.finish(node_id)
        run.executed.append(node_id)
        return True

    def _resolve_inputs(self, run: PromptRun, node: dict[str, Any]) -> dict[str, Any]:
        """Literal inputs and upstream outputs, in the schema's input order."""
        raw = node.get("inputs", {})
        names = [name for name, _, _ in iter_inputs(self.object_info[node["class_type"]])]
        resolved = {}
        for name in [*names, *(n for n in raw if n not in names)]:
            if name not in raw:
                continue
            value = raw[name]
            if is_link(value):
                value = self.cache[run.signatures[value[0]]].outputs[value[1]]
            resolved[name] = value
        return resolved
