"""One watched prompt: its live state from WebSocket messages and/or /history, and wait().

The router thread feeds `handle()` / `preview()`; reconciliation feeds `apply_history()`;
the caller blocks in `wait()`, which also polls /history now and then so that a lost
WebSocket message can never hang a job until its time limit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from worker.comfy_errors import (
    ComfyError,
    ComfyPromptLost,
    ComfyTimeout,
    ComfyUnavailable,
    describe_execution_error,
)
from worker.comfy_progress import GraphProgress

logger = logging.getLogger(__name__)

TERMINAL = ("success", "error", "interrupted")


@dataclass(frozen=True)
class PromptResult:
    """How a prompt ended: status success | error | interrupted, its outputs and error."""

    prompt_id: str
    status: str
    outputs: dict[str, dict] = field(default_factory=dict)
    error: str | None = None
    executed_nodes: list[str] = field(default_factory=list)
    cached_nodes: list[str] = field(default_factory=list)


class PromptWatch:
    """Live state of one prompt, fed by the client's WebSocket router (thread-safe)."""

    def __init__(
        self,
        prompt_id: str,
        graph: dict,
        *,
        reconcile: Callable[[PromptWatch], None],
        on_update: Callable[[PromptWatch], None] | None = None,
        on_finish: Callable[[PromptWatch], None] | None = None,
        poll_interval: float = 2.0,
        submitted: bool = False,
    ):
        self.prompt_id = prompt_id
        self.graph = graph
        self.poll_interval = poll_interval
        self._reconcile = reconcile
        self._on_update = on_update
        self._on_finish = on_finish
        self._cond = threading.Condition()
        self._progress = GraphProgress(graph)
        self._current_node: str | None = None
        self._step: tuple[int, int] | None = None
        self._preview: bytes | None = None
        self._preview_type: str | None = None
        self._started = False
        self._outputs: dict[str, dict] = {}
        self._executed: list[str] = []
        self._cached: list[str] = []
        self._result: PromptResult | None = None
        self._failure: ComfyError | None = None
        self._reconcile_now = submitted  # adopted prompt: ask /history at once
        self.submitted = submitted
        self.ws_epoch = 0  # the client's WebSocket connection count when the watch began
        self.cancel_requested = False  # set by cancel(): "not queued, no history" is expected then

    # ---- read side -------------------------------------------------------------------
    @property
    def progress(self) -> int:
        """0-100 over the whole graph, monotonic."""
        with self._cond:
            return self._progress.percent

    @property
    def current_node(self) -> str | None:
        """Id of the node ComfyUI is executing, if any."""
        with self._cond:
            return self._current_node

    @property
    def step(self) -> tuple[int, int] | None:
        """Latest sampler step as (value, max)."""
        with self._cond:
            return self._step

    @property
    def preview(self) -> tuple[bytes, str] | None:
        """Latest preview frame as (image bytes, mime type), when ComfyUI sends previews."""
        with self._cond:
            return (self._preview, self._preview_type or "image/jpeg") if self._preview else None

    @property
    def started(self) -> bool:
        """ComfyUI began executing this prompt (execution_start seen)."""
        with self._cond:
            return self._started

    @property
    def done(self) -> bool:
        """The prompt ended (or is known to be lost)."""
        with self._cond:
            return self._result is not None or self._failure is not None

    @property
    def result(self) -> PromptResult | None:
        """The result once ended, else None."""
        with self._cond:
            return self._result

    # ---- write side (router thread, reconciliation, client) ------------------------------
    def handle(self, msg_type: str, data: dict) -> None:
        """Apply one WebSocket text message addressed to this prompt."""
        with self._cond:
            if self._result is not None:
                return
            node = data.get("node")
            if msg_type == "execution_start":
                self._started = True
            elif msg_type == "execution_cached":
                nodes = [str(n) for n in data.get("nodes") or []]
                self._cached.extend(n for n in nodes if n not in self._cached)
                self._progress.cached(nodes)
            elif msg_type == "executing":
                self._started = True
                if node is None:
                    # End marker without a terminal message: we missed it, /history knows.
                    self._reconcile_now = True
                    self._current_node = None
                else:
                    self._executing(str(node))
            elif msg_type == "progress" and node is not None:
                self._step = (int(data.get("value") or 0), int(data.get("max") or 0))
                self._progress.step(
                    str(node), float(data.get("value") or 0), float(data.get("max") or 0)
                )
            elif msg_type == "progress_state":
                nodes = data.get("nodes") or {}
                self._progress.state(nodes)
                # ComfyUI sends a step's progress_state just before its `progress`: take the
                # step from it too, so the update published now is not one step behind.
                step = _running_step(nodes)
                if step is not None:
                    self._step = step
            elif msg_type == "executed" and node is not None:
                self._outputs[str(node)] = data.get("output") or {}
                self._progress.done(str(node))
            elif msg_type == "execution_success":
                self._finish("success", None)
            elif msg_type == "execution_error":
                self._add_executed(data.get("executed"))
                self._finish("error", describe_execution_error(data))
            elif msg_type == "execution_interrupted":
                self._add_executed(data.get("executed"))
                self._finish("interrupted", _interrupted_message(data))
            else:
                return
            self._cond.notify_all()
        self._notify()

    def set_preview(self, image: bytes, mime: str) -> None:
        """Keep the latest preview frame (binary event 1 or 4)."""
        with self._cond:
            if self._result is not None:
                return
            self._preview, self._preview_type = image, mime
        self._notify()

    def apply_history(self, entry: dict) -> None:
        """End the prompt from its /history entry (authoritative for outputs and status)."""
        status = entry.get("status") or {}
        messages = {
            m[0]: m[1]
            for m in status.get("messages") or []
            if isinstance(m, list | tuple) and len(m) == 2
        }
        with self._cond:
            if self._result is not None:
                return
            for node_id, ui in (entry.get("outputs") or {}).items():
                self._outputs[str(node_id)] = ui
            cached = (messages.get("execution_cached") or {}).get("nodes") or []
            self._cached.extend(str(n) for n in cached if str(n) not in self._cached)
            if "execution_interrupted" in messages:
                data = messages["execution_interrupted"]
                self._add_executed(data.get("executed"))
                self._finish("interrupted", _interrupted_message(data))
            elif "execution_error" in messages:
                data = messages["execution_error"]
                self._add_executed(data.get("executed"))
                self._finish("error", describe_execution_error(data))
            elif status.get("status_str", "success") == "success" and status.get("completed", True):
                self._finish("success", None)
            else:
                self._finish("error", f"ComfyUI reported status {status.get('status_str')!r}")
            self._cond.notify_all()
        self._notify()

    def end(self, status: str, error: str | None) -> None:
        """End the prompt from outside (e.g. deleted from ComfyUI's queue before it ran)."""
        with self._cond:
            if self._result is not None:
                return
            self._finish(status, error)
            self._cond.notify_all()
        self._notify()

    def fail(self, exc: ComfyError) -> None:
        """Make wait() raise `exc` (prompt lost, submit rejected)."""
        with self._cond:
            if self._result is not None or self._failure is not None:
                return
            self._failure = exc
            self._cond.notify_all()
        if self._on_finish:
            self._on_finish(self)

    def request_reconcile(self) -> None:
        """Ask wait() to check /history now instead of at the next poll."""
        with self._cond:
            self._reconcile_now = True
            self._cond.notify_all()

    # ---- waiting -------------------------------------------------------------------------
    def wait(self, timeout: float, *, unreachable_timeout: float | None = None) -> PromptResult:
        """Block until the prompt ends; ComfyTimeout after `timeout` s, ComfyUnavailable when
        ComfyUI stayed unreachable for `unreachable_timeout` s (default: the whole timeout)."""
        deadline = time.monotonic() + timeout
        next_poll = time.monotonic() + self.poll_interval
        unreachable_since: float | None = None
        last_error: ComfyUnavailable | None = None
        while True:
            with self._cond:
                while True:
                    if self._failure is not None:
                        raise self._failure
                    if self._result is not None:
                        return self._result
                    now = time.monotonic()
                    if self._reconcile_now or now >= next_poll or now >= deadline:
                        self._reconcile_now = False
                        break
                    self._cond.wait(min(next_poll, deadline) - now)
            try:
                self._reconcile(self)
                unreachable_since, last_error = None, None
            except ComfyPromptLost:
                raise
            except ComfyUnavailable as exc:
                last_error = exc
                unreachable_since = unreachable_since or time.monotonic()
                limit = timeout if unreachable_timeout is None else unreachable_timeout
                if time.monotonic() - unreachable_since >= limit:
                    raise ComfyUnavailable(
                        f"ComfyUI unreachable for {limit:g} s while waiting "
                        f"for prompt {self.prompt_id}: {exc.message}"
                    ) from exc
            if self.done:
                continue
            now = time.monotonic()
            if now >= deadline:
                if last_error is not None:
                    raise ComfyUnavailable(
                        f"ComfyUI unreachable while waiting for prompt "
                        f"{self.prompt_id}: {last_error.message}"
                    ) from last_error
                raise ComfyTimeout(
                    f"prompt {self.prompt_id} did not finish within {timeout:g} s "
                    f"(progress {self.progress}%, node {self.current_node})"
                )
            next_poll = now + self.poll_interval

    # ---- internals (lock held) -----------------------------------------------------------
    def _executing(self, node: str) -> None:
        self._progress.running(node)
        self._current_node = node
        self._step = None
        if node not in self._executed:
            self._executed.append(node)

    def _add_executed(self, nodes: list | None) -> None:
        for node in nodes or []:
            if str(node) not in self._executed:
                self._executed.append(str(node))

    def _finish(self, status: str, error: str | None) -> None:
        if status == "success":
            self._progress.finish()
        self._current_node = None
        self._result = PromptResult(
            prompt_id=self.prompt_id,
            status=status,
            outputs=dict(self._outputs),
            error=error,
            executed_nodes=list(self._executed),
            cached_nodes=list(self._cached),
        )
        logger.info("prompt=%s status=%s error=%s", self.prompt_id, status, error)

    def _notify(self) -> None:
        # Callbacks run outside the lock; a faulty callback must not kill the router thread.
        done = self.done
        if self._on_update:
            try:
                self._on_update(self)
            except Exception:
                logger.exception("prompt=%s on_update callback failed", self.prompt_id)
        if done and self._on_finish:
            self._on_finish(self)


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
