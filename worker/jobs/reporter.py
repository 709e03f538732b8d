"""Telling the world about one job: live state in Redis, events for the SSE stream, SQL progress.

Progress updates arrive from the WebSocket thread many times a second; only visible changes
(a new integer percentage, node, step or stage) are published, at most `max_rate` per second, and
SQL gets the progress only every `sql_every` percent (it is the slow, durable copy).

The stage (studio_core.jobs.states.JobStage) is worked out when a snapshot is sent, under
the send lock, from what is true then: so a "waiting in ComfyUI" sent by the job thread
right after its submit can never land after the WebSocket thread's "running".
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis as redis_lib

from studio_core.events import EventBus
from studio_core.jobs.public import to_public
from studio_core.jobs.repo import JobRepository
from studio_core.jobs.states import JobStage, JobStatus
from studio_core.live import LiveState
from studio_core.outages import DB_OUTAGES
from worker.comfy.watch import PromptWatch

logger = logging.getLogger(__name__)

PREVIEW_GAP_S = 0.25  # preview frames stored at most 4 times a second per job


def node_label(graph: dict, node_id: str | None) -> str | None:
    """A readable name for a graph node: its title, else its class, else its id."""
    if node_id is None:
        return None
    node = graph.get(str(node_id)) or {}
    title = (node.get("_meta") or {}).get("title")
    return title or node.get("class_type") or str(node_id)


class JobReporter:
    """Publishes one attempt's state changes; thread-safe (WS thread + job thread)."""

    def __init__(
        self,
        job: dict,
        attempt: int,
        *,
        repo: JobRepository,
        live: LiveState,
        events: EventBus,
        worker_id: str,
        max_rate: float = 10.0,
        sql_every: int = 25,
    ):
        self.job = dict(job)
        self.job_id = job["id"]
        self.attempt = attempt
        self.repo = repo
        self.live = live
        self.events = events
        self.worker_id = worker_id
        self.min_gap = 1.0 / max_rate
        self.sql_every = sql_every
        self.progress = 0
        self.graph: dict = {}
        self._node: str | None = None
        self._step: dict | None = None
        self._watch: PromptWatch | None = None  # the prompt in ComfyUI, once submitted
        self._storing = False
        self._stage_sent: str | None = None
        self._last_sent = 0.0
        self._sql_progress = int(job.get("progress") or 0)
        self._flush: threading.Timer | None = None
        self._preview_sent: bytes | None = None
        self._preview_at = 0.0
        self._lock = threading.Lock()

    def started(self) -> None:
        """The attempt began: processing, progress kept from any earlier attempt."""
        self.job.update(status="processing", attempt=self.attempt)
        self.progress = int(self.job.get("progress") or 0)
        self._send(status="processing", queue_position=None, worker=self.worker_id)

    def submitted(self, watch: PromptWatch) -> None:
        """The prompt is in ComfyUI (sent, or found there): waiting in its queue or running."""
        with self._lock:
            self._watch = watch
        self._send()

    def storing(self) -> None:
        """ComfyUI is done with the prompt; the worker fetches and stores the images."""
        with self._lock:
            self._storing = True
            # Every node has run, whatever the last update sent said (a stalled WebSocket
            # thread can see the steps and the end together, and an ended prompt's steps are
            # not replayed): 99, as a graph whose nodes are all done reads until it finishes.
            self.progress = max(self.progress, 99)
        self._send()

    def on_watch_update(self, watch: PromptWatch) -> None:
        """WS callback: publish when the progress, node, step or stage changed (rate-limited)."""
        if watch.done:
            return  # the terminal state is published by the job thread, with the outputs
        self._forward_preview(watch)
        progress, node, step = watch.progress, watch.current_node, watch.step
        with self._lock:
            self._watch = watch  # a message about the prompt: it is in ComfyUI
            label = node_label(self.graph, node)
            step_dict = {"value": step[0], "max": step[1]} if step else None
            changed = progress > self.progress or label != self._node or step_dict != self._step
            changed = changed or self._stage() != self._stage_sent
            if not changed:
                return
            wait = self.min_gap - (time.monotonic() - self._last_sent)
            if wait > 0:
                # Trailing edge: a throttled change is sent when the gap ends, never dropped
                # (ComfyUI sends progress_state then progress together; the second carries
                # the step and would otherwise wait for the next step, one step late).
                if self._flush is None:
                    self._flush = threading.Timer(wait, self._flush_now, (watch,))
                    self._flush.daemon = True
                    self._flush.start()
                return
            self.progress = max(self.progress, progress)
            self._node, self._step = label, step_dict
            self._last_sent = time.monotonic()
            persist = self.progress >= self._sql_progress + self.sql_every
            if persist:
                self._sql_progress = self.progress
        if persist:
            try:
                self.repo.attempts.set_progress(self.job_id, self.attempt, self.progress)
            except DB_OUTAGES as exc:
                # Progress in SQL is a durable hint; live state carries it meanwhile.
                logger.warning("job=%s progress not stored error=%s", self.job_id, exc)
        self._send()

    def _forward_preview(self, watch: PromptWatch) -> None:
        """Keep ComfyUI's latest preview frame in live state (at most a few per second)."""
        preview = watch.preview
        if preview is None or preview[0] is self._preview_sent:
            return
        now = time.monotonic()
        if now - self._preview_at < PREVIEW_GAP_S:
            return  # the next frame comes with the next step; frames are only a hint
        self._preview_sent, self._preview_at = preview[0], now
        try:
            self.live.set_preview(self.job_id, preview[0])
        except redis_lib.RedisError as exc:
            logger.warning("job=%s preview not stored error=%s", self.job_id, exc)

    def _flush_now(self, watch: PromptWatch) -> None:
        with self._lock:
            self._flush = None
        self.on_watch_update(watch)

    def terminal(self) -> dict:
        """Publish the job's final row from SQL (finished, failed or cancelled); returns it."""
        job = self.repo.get(self.job_id)
        self.publish_row(job, self.live, self.events)
        return job

    @staticmethod
    def publish_row(job: dict, live: LiveState, events: EventBus) -> None:
        """Mirror a job row's status into live state and send it with the new live seq."""
        try:
            seq = live.update(job["id"], status=job["status"], progress=job.get("progress") or 0)
            # A row another attempt still runs may have a preview frame, as pages would see.
            running = job["status"] == JobStatus.PROCESSING
            preview = running and live.has_preview(job["id"])
            events.publish_job(
                job["user_id"], to_public(job, live={"seq": seq}, has_preview=preview)
            )
        except redis_lib.RedisError as exc:
            # SQL already holds the truth; clients re-read it when they reconnect.
            logger.warning("job=%s publish failed error=%s", job["id"], exc)

    def _stage(self) -> str:
        """The stage as it is now (lock held; watch.started only ever turns true)."""
        if self._storing:
            return JobStage.STORING.value
        if self._watch is None:
            return JobStage.STARTING.value
        return (JobStage.RUNNING if self._watch.started else JobStage.WAITING_ENGINE).value

    def _send(self, **extra: Any) -> None:
        # Snapshot, live write and publish under one lock: the WS thread, the flush timer and
        # the job thread all send, and a snapshot written after a newer one would get the
        # higher seq and win on every page.
        with self._lock:
            self._stage_sent = stage = self._stage()
            live = {
                "stage": stage,
                "progress": self.progress,
                "current_node": self._node,
                "step_value": self._step["value"] if self._step else None,
                "step_max": self._step["max"] if self._step else None,
            }
            public_live = {"progress": self.progress, "stage": stage, "current_node": self._node}
            public_live["step"] = self._step
            job = dict(self.job)
            try:
                public_live["seq"] = self.live.update(self.job_id, **live, **extra)
                # Asked of Redis as pages are: a frame of an earlier attempt counts too.
                preview = self.live.has_preview(self.job_id)
                public = to_public(job, live=public_live, has_preview=preview)
                self.events.publish_job(job["user_id"], public)
            except redis_lib.RedisError as exc:
                logger.warning("job=%s live update failed error=%s", self.job_id, exc)
