"""Progress of one prompt over its whole graph: 0-100, weighted by work, never backwards.

Plain nodes weigh 1; sampler nodes weigh their step count, so a 30-step KSampler dominates
the bar the way it dominates the wall clock. Cached nodes count as done at once.
"""

from __future__ import annotations

# Nodes whose `progress` messages are sampler steps; their weight is their `steps` input.
SAMPLER_CLASSES = frozenset(
    {"KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"}
)


def node_weight(node: dict) -> float:
    """Static weight of one graph node: its steps for a sampler with a literal `steps`, else 1."""
    if node.get("class_type") in SAMPLER_CLASSES:
        steps = (node.get("inputs") or {}).get("steps")
        # A linked steps input (["12", 0]) is unknown until the first progress message.
        if isinstance(steps, int | float) and not isinstance(steps, bool) and steps >= 1:
            return float(steps)
    return 1.0


class GraphProgress:
    """Weighted, monotonic completion of one prompt's graph (not thread-safe: the watch locks)."""

    def __init__(self, graph: dict):
        self._weights = {
            str(nid): node_weight(node)
            for nid, node in (graph or {}).items()
            if isinstance(node, dict)
        }
        self._fraction: dict[str, float] = {}
        self._running: str | None = None
        self._percent = 0
        self._finished = False

    @property
    def percent(self) -> int:
        """Completion 0-100; only ever grows; 100 only once the prompt finished."""
        return self._percent

    def cached(self, nodes: list[str]) -> None:
        """Nodes ComfyUI served from its cache are done."""
        for node in nodes:
            self._set(str(node), 1.0)

    def running(self, node: str) -> None:
        """A node started; execution is sequential, so the one before it has finished."""
        node = str(node)
        if self._running is not None and self._running != node:
            self._set(self._running, 1.0)
        self._running = node

    def done(self, node: str) -> None:
        """A node finished (its `executed` output or a `finished` state arrived)."""
        self._set(str(node), 1.0)

    def step(self, node: str, value: float, maximum: float) -> None:
        """A sampler step (`progress`): value of maximum; a step count learned late raises the weight."""
        node = str(node)
        if node in self._weights and maximum > self._weights[node]:
            self._weights[node] = float(maximum)
        self._set(node, value / maximum if maximum > 0 else 0.0)

    def state(self, nodes: dict) -> None:
        """A `progress_state` frame: every non-pending node with value/max and running|finished."""
        for node_id, info in (nodes or {}).items():
            if not isinstance(info, dict):
                continue
            if info.get("state") == "finished":
                self._set(str(node_id), 1.0)
                continue
            maximum = float(info.get("max") or 0)
            if maximum > 0:
                self._set(str(node_id), float(info.get("value") or 0) / maximum)

    def finish(self) -> None:
        """The prompt succeeded: 100."""
        self._finished = True
        self._percent = 100

    def _set(self, node: str, fraction: float) -> None:
        if node not in self._weights:
            return  # e.g. nodes expanded at run time: not part of the submitted graph
        fraction = min(max(fraction, 0.0), 1.0)
        if fraction > self._fraction.get(node, 0.0):
            self._fraction[node] = fraction
        self._recompute()

    def _recompute(self) -> None:
        total = sum(self._weights.values())
        if total <= 0 or self._finished:
            return
        done = sum(w * self._fraction.get(n, 0.0) for n, w in self._weights.items())
        # 100 means "finished"; all nodes done but no terminal message yet reads 99.
        percent = min(int(100 * done / total), 99)
        self._percent = max(self._percent, percent)
