"""Graph helpers: ComfyUI's execution order and the cache signatures of nodes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any


def is_link(value: Any) -> bool:
    """A `[node_id, output_index]` reference rather than a literal."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
    )


def node_signatures(prompt: dict[str, Any], is_changed: Callable[[str], str]) -> dict[str, str]:
    """Signature per node: class, IS_CHANGED token, literals and upstream signatures.

    Two nodes with equal signatures compute the same thing (ComfyUI's classic cache key);
    node ids are not part of it, so a renumbered graph hits the cache too.
    """
    signatures: dict[str, str] = {}

    def sign(node_id: str) -> str:
        if node_id in signatures:
            return signatures[node_id]
        node = prompt[node_id]
        inputs = {}
        for name, value in sorted(node.get("inputs", {}).items()):
            inputs[name] = ["link", sign(value[0]), value[1]] if is_link(value) else value
        blob = json.dumps(
            [node["class_type"], is_changed(node_id), inputs], sort_keys=True, default=str
        )
        signatures[node_id] = hashlib.sha256(blob.encode()).hexdigest()
        return signatures[node_id]

    for node_id in prompt:
        sign(node_id)
    return signatures


class ExecutionOrder:
    """ComfyUI's ExecutionList: a lazy topological sort with its "UX friendly" pick."""

    def __init__(self, prompt: dict[str, Any], is_output: Callable[[str], bool], cached: set[str]):
        self.prompt = prompt
        self.is_output = is_output
        self.cached = cached
        self.pending: dict[str, bool] = {}
        self.block_count: dict[str, int] = {}
        self.blocking: dict[str, dict[str, dict[int, bool]]] = {}

    def add_node(self, node_id: str) -> None:
        """Schedule a node and every uncached node it depends on."""
        stack = [node_id]
        links = []
        while stack:
            current = stack.pop()
            if current in self.pending:
                continue
            self.pending[current] = True
            self.block_count[current] = 0
            self.blocking[current] = {}
            for value in self.prompt[current].get("inputs", {}).values():
                if is_link(value):
                    source, socket = value
                    if source not in self.cached:
                        stack.append(source)
                    links.append((source, socket, current))
        for source, socket, target in links:
            if source in self.cached:
                continue
            self.add_node(source)
            if target not in self.blocking[source]:
                self.blocking[source][target] = {}
                self.block_count[target] += 1
            self.blocking[source][target][socket] = True

    def is_empty(self) -> bool:
        """True when every scheduled node has completed."""
        return not self.pending

    def next_node(self) -> str:
        """The node to run next: outputs first, then nodes one or two links from an output."""
        ready = [n for n in self.pending if self.block_count[n] == 0]
        if not ready:
            raise RuntimeError("Dependency cycle detected")
        for node_id in ready:
            if self.is_output(node_id):
                return node_id
        for node_id in ready:
            if any(self.is_output(b) for b in self.blocking[node_id]):
                return node_id
        for node_id in ready:
            for blocked in self.blocking[node_id]:
                if any(self.is_output(b) for b in self.blocking[blocked]):
                    return node_id
        return ready[0]

    def complete(self, node_id: str) -> None:
        """Mark a node done and unblock its consumers."""
        del self.pending[node_id]
        for blocked in self.blocking.pop(node_id):
            self.block_count[blocked] -= 1
