"""One watched prompt: its state made thread-safe, the callbacks, and wait() with its deadlines.

The router thread feeds `handle()` / `set_preview()`; reconciliation feeds `apply_history()`
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
from typing import Literal

from worker.comfy.errors import ComfyError, ComfyPromptLost, ComfyTimeout, ComfyUnavailable
from worker.comfy.state import Applied, PromptResult, PromptState

logger = logging.getLogger(__name__)


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
        self._state = PromptState(prompt_id, graph)
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
            return self._state.graph_progress.percent

    @property
    def current_node(self) -> str | None:
        """Id of the node ComfyUI is executing, if any."""
        with self._cond:
            return self._state.current_node

    @property
    def step(self) -> tuple[int, int] | None:
        """Latest sampler step as (value, max)."""
        with self._cond:
            return self._state.step

    @property
    def preview(self) -> tuple[bytes, str] | None:
        """Latest preview frame as (image bytes, mime type), when ComfyUI sends previews."""
        with self._cond:
            state = self._state
            return (state.preview, state.preview_type or "image/jpeg") if state.preview else None

    @property
    def started(self) -> bool:
        """ComfyUI began executing this prompt (seen on the WebSocket or in queue_running)."""
        with self._cond:
            return self._state.started_at is not None

    @property
    def done(self) -> bool:
        """The prompt ended (or is known to be lost)."""
        with self._cond:
            return self._state.result is not None or self._failure is not None

    @property
    def result(self) -> PromptResult | None:
        """The result once ended, else None."""
        with self._cond:
            return self._state.result

    # ---- write side (router thread, reconciliation, client) ------------------------------
    def handle(self, msg_type: str, data: dict) -> None:
        """Apply one WebSocket text message addressed to this prompt."""
        with self._cond:
            applied = self._state.apply(msg_type, data)
            if applied is Applied.IGNORED:
                return
            if applied is Applied.ENDED_UNHEARD:
                self._reconcile_now = True
            self._cond.notify_all()
        self._notify()

    def set_preview(self, image: bytes, mime: str) -> None:
        """Keep the latest preview frame (binary event 1 or 4)."""
        with self._cond:
            if self._state.result is not None:
                return
            self._state.preview, self._state.preview_type = image, mime
        self._notify()

    def apply_history(self, entry: dict) -> None:
        """End the prompt from its /history entry (authoritative for outputs and status)."""
        with self._cond:
            if not self._state.apply_history(entry):
                return
            self._cond.notify_all()
        self._notify()

    def end(self, status: str, error: str | None) -> None:
        """End the prompt from outside (e.g. deleted from ComfyUI's queue before it ran)."""
        with self._cond:
            if self._state.result is not None:
                return
            self._state.finish(status, error)
            self._cond.notify_all()
        self._notify()

    def fail(self, exc: ComfyError) -> None:
        """Make wait() raise `exc` (prompt lost, submit rejected)."""
        with self._cond:
            if self._state.result is not None or self._failure is not None:
                return
            self._failure = exc
            self._cond.notify_all()
        if self._on_finish:
            self._on_finish(self)

    def mark_started(self) -> None:
        """Record that ComfyUI runs this prompt (reconciliation found it in queue_running)."""
        with self._cond:
            if self._state.result is not None or not self._state.mark_started():
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
                    if self._state.result is not None:
                        return self._state.result
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

    def _deadline(
        self, waiting_since: float, queue_limit: float, run_timeout: float
    ) -> tuple[float, Literal["queue", "run"]]:
        """When the current limit runs out, and which one it is (lock held)."""
        started_at = self._state.started_at
        if started_at is None:
            return waiting_since + queue_limit, "queue"
        return started_at + run_timeout, "run"

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
