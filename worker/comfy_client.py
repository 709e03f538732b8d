"""The one class that drives ComfyUI: HTTP (comfy_http.py) plus one WebSocket per client.

Typical use (register the watch BEFORE submitting, so a fast or fully cached prompt is
never missed):

    client = ComfyClient("http://127.0.0.1:8188", client_id="worker-1")
    watch = client.watch(job_id, graph)
    client.submit(graph, job_id)
    result = watch.wait(run_timeout=600, queue_timeout=3600)
    files = client.download_outputs(result.outputs)

Every call has an explicit timeout. Exceptions are in `worker.comfy_errors` (re-exported).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from urllib.parse import quote

import requests

from worker.comfy_errors import (
    ComfyError,
    ComfyPromptLost,
    ComfyTimeout,
    ComfyUnavailable,
    ComfyValidationError,
    describe_validation,
)
from worker.comfy_http import ComfyHttp
from worker.comfy_watch import PromptResult, PromptWatch
from worker.comfy_ws import WsRouter

__all__ = [
    "ComfyClient",
    "ComfyError",
    "ComfyPromptLost",
    "ComfyTimeout",
    "ComfyUnavailable",
    "ComfyValidationError",
    "PromptResult",
    "PromptWatch",
]

logger = logging.getLogger(__name__)


def ws_url_for(base_url: str, client_id: str) -> str:
    """The WebSocket URL for an HTTP base URL (http -> ws, https -> wss), with our clientId."""
    scheme, sep, rest = base_url.partition("://")
    ws_scheme = {"http": "ws", "https": "wss"}.get(scheme.lower(), scheme)
    return f"{ws_scheme}{sep}{rest}/ws?clientId={quote(client_id, safe='')}"


class ComfyClient(ComfyHttp):
    """HTTP + WebSocket client for one ComfyUI server; one socket, messages routed by prompt_id."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        *,
        timeout: float = 10.0,
        session: requests.Session | None = None,
        poll_interval: float = 2.0,
        ws_recv_timeout: float = 1.0,
        backoff_cap: float = 5.0,
    ):
        super().__init__(base_url, timeout=timeout, session=session)
        self.client_id = client_id
        self.poll_interval = poll_interval
        self._watches: dict[str, PromptWatch] = {}
        self._lock = threading.Lock()
        self._router = WsRouter(
            ws_url_for(self.base_url, client_id),
            lookup=self._watch_for,
            on_connect=self._on_ws_connect,
            connect_timeout=timeout,
            recv_timeout=ws_recv_timeout,
            backoff_cap=backoff_cap,
        )

    def __enter__(self) -> ComfyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def ws_connected(self) -> bool:
        """Whether the WebSocket is up right now."""
        return self._router.connected.is_set()

    @property
    def ws_connections(self) -> int:
        """How many times the WebSocket (re)connected so far."""
        return self._router.connections

    def close(self) -> None:
        """Stop the WebSocket thread and close the socket (and our own HTTP session)."""
        self._router.stop()
        super().close()

    # ---- prompts -----------------------------------------------------------------------
    def watch(
        self,
        prompt_id: str,
        graph: dict,
        *,
        on_update: Callable[[PromptWatch], None] | None = None,
        adopt: bool = False,
    ) -> PromptWatch:
        """Follow a prompt; call BEFORE submit. `adopt=True` for a prompt submitted earlier
        (e.g. a redelivered job): its state is read from /history at once."""
        self._router.start()
        with self._lock:
            watch = self._watches.get(prompt_id)
            if watch is None or watch.done:
                watch = PromptWatch(
                    prompt_id,
                    graph,
                    reconcile=self._reconcile,
                    on_update=on_update,
                    on_finish=self._forget,
                    poll_interval=self.poll_interval,
                    submitted=adopt,
                )
                self._watches[prompt_id] = watch
        # Messages reach us only once the server registered our socket (first status frame).
        if not self._router.connected.wait(self.timeout):
            logger.warning("comfy ws not connected yet url=%s prompt=%s", self.base_url, prompt_id)
        watch.ws_epoch = self._router.connections
        return watch

    def unwatch(self, prompt_id: str) -> None:
        """Stop routing messages to a prompt's watch."""
        with self._lock:
            self._watches.pop(prompt_id, None)

    def submit(
        self, graph: dict, prompt_id: str, *, front: bool = False, extra_data: dict | None = None
    ) -> dict:
        """Queue a graph under our own prompt_id; returns ComfyUI's answer (prompt_id, number)."""
        body: dict = {"prompt": graph, "client_id": self.client_id, "prompt_id": prompt_id}
        if front:
            body["front"] = True
        if extra_data:
            body["extra_data"] = extra_data
        resp = self._request("POST", "/prompt", json=body)
        if resp.status_code == 400:
            self._reject(prompt_id, self._json(resp, "POST /prompt"), queued=False)
        self._check(resp, "POST /prompt")
        answer = self._json(resp, "POST /prompt")
        if answer.get("node_errors"):
            # Partly valid: ComfyUI runs only the valid outputs; ours would be missing.
            self._reject(prompt_id, answer, queued=True)
        if answer.get("prompt_id") != prompt_id:
            raise ComfyError(
                f"ComfyUI used prompt_id {answer.get('prompt_id')!r} instead of "
                f"{prompt_id!r}; it is too old to accept a client prompt_id"
            )
        with self._lock:
            watch = self._watches.get(prompt_id)
        if watch is not None:
            watch.submitted = True
            # A reconnect between watch() and now skipped this not-yet-submitted prompt.
            if self._router.connections != watch.ws_epoch or not self.ws_connected:
                watch.request_reconcile()
        logger.info(
            "comfy submitted prompt=%s number=%s front=%s", prompt_id, answer.get("number"), front
        )
        return answer

    def cancel(self, prompt_id: str) -> str:
        """Cancel one prompt: "deleted" (was pending), "interrupted" (was running) or "not_found"."""
        with self._lock:
            watch = self._watches.get(prompt_id)
        if watch is not None:
            watch.cancel_requested = True
        running, pending = self.get_queue()
        if prompt_id in pending:
            self._check(
                self._request("POST", "/queue", json={"delete": [prompt_id]}), "POST /queue"
            )
            running, pending = self.get_queue()
            # Not running and no history: the delete took it (it did not start meanwhile).
            if prompt_id not in running and self.get_history(prompt_id) is None:
                logger.info("comfy cancel prompt=%s result=deleted", prompt_id)
                if watch is not None:
                    watch.end("interrupted", "deleted from ComfyUI's queue before it started")
                return "deleted"
        if prompt_id in running:
            # Targeted interrupt: a bare /interrupt would stop whatever runs, maybe another job.
            resp = self._request("POST", "/interrupt", json={"prompt_id": prompt_id})
            self._check(resp, "POST /interrupt")
            logger.info("comfy cancel prompt=%s result=interrupted", prompt_id)
            return "interrupted"
        logger.info("comfy cancel prompt=%s result=not_found", prompt_id)
        return "not_found"

    def _reject(self, prompt_id: str, answer: dict, *, queued: bool) -> None:
        error = answer.get("error") if isinstance(answer.get("error"), dict) else None
        node_errors = answer.get("node_errors") or {}
        exc = ComfyValidationError(
            describe_validation(error, node_errors),
            error=error,
            node_errors=node_errors,
            status=200 if queued else 400,
            prompt_id=prompt_id,
        )
        logger.info("comfy rejected prompt=%s queued=%s error=%s", prompt_id, queued, exc.message)
        with self._lock:
            watch = self._watches.pop(prompt_id, None)
        if watch is not None:
            watch.fail(exc)
        if queued:
            # The valid part was queued anyway: take it back so it wastes no GPU time.
            try:
                self.cancel(prompt_id)
            except ComfyError as cancel_exc:
                logger.warning(
                    "comfy could not cancel partly valid prompt=%s error=%s",
                    prompt_id,
                    cancel_exc.message,
                )
                raise exc from cancel_exc
        raise exc

    def _watch_for(self, prompt_id: str) -> PromptWatch | None:
        with self._lock:
            return self._watches.get(prompt_id)

    def _forget(self, watch: PromptWatch) -> None:
        with self._lock:
            if self._watches.get(watch.prompt_id) is watch:
                del self._watches[watch.prompt_id]

    def _reconcile(self, watch: PromptWatch) -> None:
        """Bring a watch up to date from /history (and /queue); raises ComfyUnavailable."""
        if watch.done or not watch.submitted:
            return
        entry = self.get_history(watch.prompt_id)
        if entry is None:
            running, pending = self.get_queue()
            if watch.prompt_id in running:
                # Its run time limit starts now if the WebSocket did not tell us earlier
                # (an adopted prompt, a reconnect that missed execution_start).
                watch.mark_started()
                return
            if watch.prompt_id in pending:
                return
            # It may have finished between the two calls: history is written before it leaves.
            entry = self.get_history(watch.prompt_id)
        if entry is not None:
            watch.apply_history(entry)
        elif watch.cancel_requested:
            watch.end("interrupted", "deleted from ComfyUI's queue before it started")
        else:
            watch.fail(
                ComfyPromptLost(
                    f"prompt {watch.prompt_id} is neither queued nor in "
                    f"ComfyUI's history (ComfyUI restarted?)"
                )
            )

    def _on_ws_connect(self) -> None:
        # Runs on the router thread after every (re)connection.
        with self._lock:
            watches = [w for w in self._watches.values() if w.submitted and not w.done]
        if not watches:
            return
        try:
            running, _ = self.get_queue()
            self._router.set_running(next((p for p in running if self._watch_for(p)), None))
            for watch in watches:
                self._reconcile(watch)
        except ComfyError as exc:
            # wait() keeps polling /history; nothing is lost by giving up here.
            logger.warning(
                "comfy reconcile after reconnect failed url=%s error=%s", self.base_url, exc.message
            )
