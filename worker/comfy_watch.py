"""One watched prompt: its live state from WebSocket messages and/or /history, and wait().

The router thread feeds `handle()` / `preview()`; reconciliation feeds `apply_history()`
and `mark_started()`; the caller blocks in `wait()`, which also polls /history now and then
so that a lost WebSocket message can never hang a job until its time limit.

The run time limit counts from the moment ComfyUI starts the prompt, not from submit:
measured with a 20 s limit and 11.5 s jobs, a prompt queued behind another one on the same
ComfyUI "timed out" after 8.5 s of execution. Time spent queued has its own, separate limit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

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
# Messages ComfyUI sends only while it executes the prompt: any of them means it started,
# also when a reconnect made us miss `execution_start` itself.
_RUNNING_MESSAGES = frozenset(
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
        self._started_at: float | None = None  # monotonic, when the start was first seen
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
        """ComfyUI began executing this prompt (seen on the WebSocket or in queue_running)."""
        with self._cond:
            return self._started_at is not None

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
            if msg_type in _RUNNING_MESSAGES:
                self._mark_started()
            if msg_type == "execution_cached":
                nodes = [str(n) for n in data.get("nodes") or []]
                self._cached.extend(n for n in nodes if n not in self._cached)
                self._progress.cached(nodes)
            elif msg_type == "executing":
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
            elif msg_type not in _RUNNING_MESSAGES:
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

    def mark_started(self) -> None:
        """Record that ComfyUI runs this prompt (reconciliation found it in queue_running)."""
        with self._cond:
            if self._result is not None or not self._mark_started():
                return
            self._cond.notify_all()
        self._notify()  # listeners that show "running" learn it as from a WebSocket message

    def request_reconcile(self) -> None:
        """Ask wait() to check /history now instead of at the next poll."""
        with self._cond:
            self._reconcile_now = True
            self._cond.notify_all()

    # ---- waiting -------------------------------------------------------------------------
    def wait(
        self,
        run_timeout: float,
        *,
        queue_timeout: float | None = None,
        unreachable_timeout: float | None = None,
    ) -> PromptResult:
        """Block until the prompt ends. ComfyTimeout(phase="queue") when it has not started
        `queue_timeout` s after this call (default: run_timeout), ComfyTimeout(phase="run")
        when it runs for more than `run_timeout` s; ComfyUnavailable when ComfyUI stayed
        unreachable for `unreachable_timeout` s (default: run_timeout)."""
        waiting_since = time.monotonic()
        queue_limit = run_timeout if queue_timeout is None else queue_timeout
        next_poll = waiting_since + self.poll_interval
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
                    deadline, _ = self._deadline(waiting_since, queue_limit, run_timeout)
                    if self._reconcile_now or now >= next_poll or now >= deadline:
                        self._reconcile_now = False
                        break
                    # A start seen meanwhile notifies us: the deadline is recomputed above.
                    self._cond.wait(min(next_poll, deadline) - now)
            try:
                # Also before giving up: it may show the prompt running (a missed start).
                self._reconcile(self)
                unreachable_since, last_error = None, None
            except ComfyPromptLost:
                raise
            except ComfyUnavailable as exc:
                last_error = exc
                unreachable_since = unreachable_since or time.monotonic()
                limit = run_timeout if unreachable_timeout is None else unreachable_timeout
                if time.monotonic() - unreachable_since >= limit:
                    raise ComfyUnavailable(
                        f"ComfyUI unreachable for {limit:g} s while waiting "
                        f"for prompt {self.prompt_id}: {exc.message}"
                    ) from exc
            if self.done:
                continue
            now = time.monotonic()
            with self._cond:
                deadline, phase = self._deadline(waiting_since, queue_limit, run_timeout)
            if now >= deadline:
                if last_error is not None:
                    raise ComfyUnavailable(
                        f"ComfyUI unreachable while waiting for prompt "
                        f"{self.prompt_id}: {last_error.message}"
                    ) from last_error
                raise self._timeout(phase, queue_limit if phase == "queue" else run_timeout)
            next_poll = now + self.poll_interval

    def _timeout(self, phase: Literal["queue", "run"], limit: float) -> ComfyTimeout:
        if phase == "queue":
            return ComfyTimeout(
                f"prompt {self.prompt_id} did not start within {limit:g} s "
                f"(waiting in ComfyUI's queue)",
                phase="queue",
            )
        return ComfyTimeout(
            f"prompt {self.prompt_id} did not finish within {limit:g} s of starting "
            f"(progress {self.progress}%, node {self.current_node})",
            phase="run",
        )

    # ---- internals (lock held) -----------------------------------------------------------
    def _mark_started(self) -> bool:
        if self._started_at is not None:
            return False
        self._started_at = time.monotonic()
        logger.info("prompt=%s started", self.prompt_id)
        return True

    def _deadline(
        self, waiting_since: float, queue_limit: float, run_timeout: float
    ) -> tuple[float, Literal["queue", "run"]]:
        """When the current limit runs out, and which one it is."""
        if self._started_at is None:
            return waiting_since + queue_limit, "queue"
        return self._started_at + run_timeout, "run"

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
