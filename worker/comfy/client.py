"""The one object that drives ComfyUI: REST calls (`http.ComfyHttp`), one WebSocket router
(`ws.WsRouter`) and the watched prompts it feeds, composed.

Typical use (register the watch BEFORE submitting, so a fast or fully cached prompt is
never missed):

    client = ComfyClient("http://127.0.0.1:8188", client_id="worker-1")
    watch = client.watch(job_id, graph)
    client.submit(graph, job_id)
    result = watch.wait(run_timeout=600, queue_timeout=3600)
    files = client.download_outputs(result.outputs)

Every call has an explicit timeout; the HTTP session and the WebSocket connection are
injectable. Exceptions are in `worker.comfy.errors`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

import requests

from worker.comfy.errors import ComfyError, ComfyValidationError, describe_validation
from worker.comfy.http import ComfyHttp
from worker.comfy.reconcile import reconcile_watch
from worker.comfy.watch import PromptWatch
from worker.comfy.ws import WsConnect, WsRouter, ws_url_for

logger = logging.getLogger(__name__)


class ComfyClient:
    """HTTP + WebSocket client for one ComfyUI server; one socket, messages routed by prompt_id."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        *,
        timeout: float = 10.0,
        session: requests.Session | None = None,
        connect_ws: WsConnect | None = None,
        poll_interval: float = 2.0,
        ws_recv_timeout: float = 1.0,
        backoff_cap: float = 5.0,
    ):
        self.http = ComfyHttp(base_url, timeout=timeout, session=session)
        self.client_id = client_id
        self.poll_interval = poll_interval
        self._watches: dict[str, PromptWatch] = {}
        self._lock = threading.Lock()
        self.ws = WsRouter(
            ws_url_for(self.http.base_url, client_id),
            lookup=self._watch_for,
            on_connect=self._on_ws_connect,
            connect=connect_ws,
            connect_timeout=timeout,
            recv_timeout=ws_recv_timeout,
            backoff_cap=backoff_cap,
        )

    def __enter__(self) -> ComfyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        """ComfyUI's base URL, without a trailing slash."""
        return self.http.base_url

    @property
    def timeout(self) -> float:
        """The limit on every HTTP call and on the wait for the WebSocket, in seconds."""
        return self.http.timeout

    @property
    def ws_connected(self) -> bool:
        """Whether the WebSocket is up right now."""
        return self.ws.connected.is_set()

    @property
    def ws_connections(self) -> int:
        """How many times the WebSocket (re)connected so far."""
        return self.ws.connections

    def close(self) -> None:
        """Stop the WebSocket thread and close the socket (and our own HTTP session)."""
        self.ws.stop()
        self.http.close()

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
        self.ws.start()
        with self._lock:
            watch = self._watches.get(prompt_id)
            if watch is None or watch.done:
                watch = PromptWatch(
                    prompt_id,
                    graph,
                    reconcile=partial(reconcile_watch, self.http),
                    on_update=on_update,
                    on_finish=self._forget,
                    poll_interval=self.poll_interval,
                    submitted=adopt,
                )
                self._watches[prompt_id] = watch
        # Messages reach us only once the server registered our socket (first status frame).
        if not self.ws.connected.wait(self.timeout):
            logger.warning("comfy ws not connected yet url=%s prompt=%s", self.base_url, prompt_id)
        watch.ws_epoch = self.ws.connections
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
        accepted, answer = self.http.post_prompt(body)
        if not accepted:
            self._reject(prompt_id, answer, queued=False)
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
            if self.ws.connections != watch.ws_epoch or not self.ws_connected:
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
            self.http.delete_queued([prompt_id])
            running, pending = self.get_queue()
            # Not running and no history: the delete took it (it did not start meanwhile).
            if prompt_id not in running and self.get_history(prompt_id) is None:
                logger.info("comfy cancel prompt=%s result=deleted", prompt_id)
                if watch is not None:
                    watch.end("interrupted", "deleted from ComfyUI's queue before it started")
                return "deleted"
        if prompt_id in running:
            # Targeted interrupt: a bare /interrupt would stop whatever runs, maybe another job.
            self.http.interrupt(prompt_id)
            logger.info("comfy cancel prompt=%s result=interrupted", prompt_id)
            return "interrupted"
        logger.info("comfy cancel prompt=%s result=not_found", prompt_id)
        return "not_found"

    # ---- REST calls, as ComfyHttp makes them -----------------------------------------------
    def get_history(self, prompt_id: str) -> dict | None:
        """The history entry of a finished prompt; None while queued, running or unknown."""
        return self.http.get_history(prompt_id)

    def get_queue(self) -> tuple[list[str], list[str]]:
        """(running prompt ids, pending prompt ids in the order ComfyUI will run them)."""
        return self.http.get_queue()

    def queue_remaining(self) -> int:
        """Prompts pending + running in ComfyUI (all clients)."""
        return self.http.queue_remaining()

    def upload_image(
        self, data: bytes, filename: str, subfolder: str = "studio", overwrite: bool = True
    ) -> str:
        """Upload an input image; returns the value for LoadImage's `image` input ("sub/name")."""
        return self.http.upload_image(data, filename, subfolder, overwrite)

    def upload_mask(
        self,
        data: bytes,
        filename: str,
        original: dict,
        subfolder: str = "studio",
        overwrite: bool = True,
    ) -> str:
        """Upload a mask painted over an uploaded image; returns the masked file's LoadImage
        value ("sub/name"), whose MASK output is 1 - the mask's alpha."""
        return self.http.upload_mask(data, filename, original, subfolder, overwrite)

    def download(self, image: dict, *, timeout: float | None = None) -> bytes:
        """Bytes of one output file ({filename, subfolder, type}) through /view."""
        return self.http.download(image, timeout=timeout)

    def download_outputs(
        self, outputs: dict, *, timeout: float | None = None
    ) -> list[tuple[dict, bytes]]:
        """Every file of every output node (images, and any other file lists), in node order."""
        return self.http.download_outputs(outputs, timeout=timeout)

    def list_model_folders(self) -> list[str]:
        """Model folder keys ComfyUI knows (checkpoints, loras, ...)."""
        return self.http.list_model_folders()

    def list_models(self, folder: str) -> list[str]:
        """File names in one model folder; an unknown folder gives []."""
        return self.http.list_models(folder)

    def view_metadata(self, folder: str, filename: str) -> dict | None:
        """A model file's safetensors metadata (`modelspec.*`, `ss_*`...), None if it has none."""
        return self.http.view_metadata(folder, filename)

    def object_info(self, node_class: str | None = None) -> dict:
        """Node schemas: all classes, or `{class: schema}` for one ({} if unknown)."""
        return self.http.object_info(node_class)

    def system_stats(self) -> dict:
        """GET /system_stats (versions, devices, memory)."""
        return self.http.system_stats()

    def ping(self) -> bool:
        """True when ComfyUI answers /system_stats."""
        return self.http.ping()

    # ---- internals -----------------------------------------------------------------------
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

    def _on_ws_connect(self) -> None:
        # Runs on the router thread after every (re)connection.
        with self._lock:
            watches = [w for w in self._watches.values() if w.submitted and not w.done]
        if not watches:
            return
        try:
            running, _ = self.get_queue()
            self.ws.set_running(next((p for p in running if self._watch_for(p)), None))
            for watch in watches:
                reconcile_watch(self.http, watch)
        except ComfyError as exc:
            # wait() keeps polling /history; nothing is lost by giving up here.
            logger.warning(
                "comfy reconcile after reconnect failed url=%s error=%s", self.base_url, exc.message
            )
