"""One job, claimed to done: SQL attempt, graph, reuse-or-submit, follow, outputs, outcome.

The prompt_id is the job id, so a redelivered job first asks ComfyUI whether its prompt
already ran or is still queued and follows that one instead of running the job twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from studio_core.catalog import Catalog, build_graph
from studio_core.errors import AppError, JobNotFound
from studio_core.events import EventBus
from studio_core.jobs import JobRepository
from studio_core.live import LiveState
from studio_core.queue import Claim, JobQueue
from studio_core.storage import StoragePaths
from worker.comfy_client import (
    ComfyClient,
    ComfyError,
    ComfyPromptLost,
    ComfyTimeout,
    ComfyUnavailable,
    ComfyValidationError,
    PromptResult,
)
from worker.engine_probe import EngineMonitor
from worker.job_flow import (
    EngineClock,
    JobCancelled,
    JobFailed,
    JobFencedOut,
    JobHandedBack,
    JobSlot,
    StopWaiting,
    input_name,
    job_params,
)
from worker.job_outputs import store_outputs
from worker.job_progress import JobReporter

logger = logging.getLogger(__name__)

MAX_RESUBMITS = 3  # ComfyUI restarts (prompt lost) survived by one attempt


@dataclass
class JobServices:
    """Everything a job run talks to (built once by the Worker)."""

    worker_id: str
    client: ComfyClient
    monitor: EngineMonitor
    repo: JobRepository
    queue: JobQueue
    live: LiveState
    events: EventBus
    catalog: Catalog
    storage: StoragePaths
    job_timeout_s: float
    engine_wait_s: float
    thumb_px: int


class JobRunner:
    """Runs claimed jobs; `run()` is called on a pool thread per job."""

    def __init__(self, services: JobServices):
        self.s = services

    def run(self, claim: Claim, slot: JobSlot) -> str:
        """Run one claimed job to its end; returns the outcome for logs and tests."""
        s, job_id = self.s, claim.job_id
        attempt = s.repo.claim(job_id, s.worker_id)
        if attempt is None:
            # Cancelled while queued, already done, or poison (claim just failed it).
            self._release(slot, ack=True)
            try:
                job = s.repo.get(job_id)
            except JobNotFound:
                logger.warning("job=%s claimed but not in SQL; dropped", job_id)
                return "skipped"
            JobReporter.publish_row(job, s.live, s.events)
            log_state(job_id, job["status"], None, job["attempt"])
            return "skipped"
        slot.attempt = attempt
        log_state(job_id, "processing", None, attempt)
        job = s.repo.get(job_id)
        reporter = JobReporter(
            job, attempt, repo=s.repo, live=s.live, events=s.events, worker_id=s.worker_id
        )
        try:
            if slot.cancel_requested.is_set() or s.queue.is_cancel_requested(job_id):
                raise JobCancelled("cancelled before it reached ComfyUI")
            reporter.started()
            outcome = self._execute(job, slot, reporter)
        except JobFailed as exc:
            s.repo.fail(job_id, attempt, exc.reason)
            outcome = "failed"
        except JobCancelled as exc:
            s.repo.mark_cancelled_by_worker(job_id, attempt, exc.reason)
            outcome = "cancelled"
        except JobFencedOut as exc:
            logger.warning("job=%s attempt=%s fenced out: %s", job_id, attempt, exc.reason)
            outcome = "fenced"
        except JobHandedBack:
            self._release(slot, ack=False)  # queue.retire() gives it back, not ack
            s.repo.release(job_id, attempt, "worker stopped; handed back")
            log_state(job_id, "queued", job_id if slot.submitted else None, attempt)
            return "handed_back"
        self._release(slot, ack=True)
        final = reporter.terminal()
        log_state(job_id, final["status"], job_id if slot.submitted else None, attempt)
        return outcome

    def _release(self, slot: JobSlot, *, ack: bool) -> None:
        """Stop holding the job's claim (ack it when done); the heartbeat's adopt then skips it.

        Under the slot lock, so an adopt (re-recording claims after Redis lost them) can never
        run after the ack and claim a finished job again.
        """
        with slot.lock:
            slot.released = True
            if ack:
                self.s.queue.ack(self.s.worker_id, slot.job_id)

    # ---- the stages ------------------------------------------------------------------
    def _execute(self, job: dict, slot: JobSlot, reporter: JobReporter) -> str:
        s, job_id = self.s, job["id"]
        try:
            tool = s.catalog.get(job["tool"])
            params = job_params(tool, job)
            images = {i["slot"]: input_name(job_id, i["slot"])[1] for i in job["inputs"]}
            graph = build_graph(tool, params, images, f"studio/{job_id}")
        except (AppError, ValueError) as exc:
            raise JobFailed(f"cannot build the workflow: {exc}") from exc
        reporter.graph = graph
        clock = EngineClock(s.engine_wait_s)
        for _ in range(MAX_RESUBMITS):
            watch_started = self._engine_call(
                slot, clock, lambda: self._start_prompt(job, graph, slot, reporter)
            )
            try:
                result = self._wait(slot, clock, watch_started)
            except ComfyPromptLost as exc:
                logger.warning("job=%s prompt lost, submitting again: %s", job_id, exc.message)
                continue
            break
        else:
            raise JobFailed("ComfyUI kept losing the prompt (restarted repeatedly)")
        if slot.cancel_requested.is_set():
            raise JobCancelled(f"cancelled ({result.error or result.status})")
        if result.status == "interrupted":
            if s.queue.is_cancel_requested(job_id):
                raise JobCancelled(result.error or "interrupted")
            raise JobFailed(f"interrupted in ComfyUI, not by the studio ({result.error})")
        if result.status != "success":
            raise JobFailed(result.error or "ComfyUI reported an error")
        outputs = {nid: ui for nid, ui in result.outputs.items() if nid in tool.outputs}
        files = self._engine_call(slot, clock, lambda: self._download(outputs))
        stored = store_outputs(s.storage, job_id, files, s.thumb_px)
        if slot.cancel_requested.is_set():
            raise JobCancelled("cancelled while its outputs were stored")
        if not s.repo.finish(job_id, slot.attempt, stored):
            if s.repo.get(job_id)["status"] == "cancelled":
                # Cancelled just before the commit: no attempt will own these files.
                s.storage.remove(
                    path
                    for out in stored
                    for path in (f"outputs/{out.filename}", f"outputs/thumbs/{out.thumb_filename}")
                )
                raise JobCancelled("cancelled while its outputs were stored")
            # Another attempt owns the job: its files have the same names and content.
            raise JobFencedOut("finish refused")
        return "finished"

    def _start_prompt(self, job: dict, graph: dict, slot: JobSlot, reporter: JobReporter):
        """Reuse the prompt if ComfyUI has it (history or queue), else upload and submit."""
        s, job_id = self.s, job["id"]
        self._check_flags(slot)
        existing = self._existing_prompt(job_id)
        if existing:
            logger.info("job=%s reusing ComfyUI prompt=%s found_in=%s", job_id, job_id, existing)
            watch = s.client.watch(job_id, graph, on_update=reporter.on_watch_update, adopt=True)
        else:
            for item in job["inputs"]:
                filename, _ = input_name(job_id, item["slot"])
                try:
                    data = s.storage.resolve(item["path"]).read_bytes()
                except (OSError, ValueError) as exc:
                    raise JobFailed(f"input image '{item['slot']}' is missing") from exc
                s.client.upload_image(data, filename, subfolder="studio", overwrite=True)
            self._check_flags(slot)
            watch = s.client.watch(job_id, graph, on_update=reporter.on_watch_update)
            try:
                s.client.submit(graph, job_id)
            except ComfyValidationError as exc:
                raise JobFailed(exc.message) from exc
            except ComfyError:
                s.client.unwatch(job_id)
                raise
        with slot.lock:
            slot.watch, slot.submitted = watch, True
        if not s.repo.set_prompt_id(job_id, slot.attempt, job_id):
            if s.repo.get(job_id)["status"] == "cancelled":
                # The user cancelled between our submit and this write: the prompt is ours
                # alone, so stop it in ComfyUI instead of leaving it to run for nobody.
                slot.cancel_requested.set()
                self.cancel_in_comfy(slot)
                s.client.unwatch(job_id)
                raise JobCancelled("cancelled while it was being submitted")
            s.client.unwatch(job_id)  # a newer attempt owns the job (and shares the prompt)
            raise JobFencedOut("set_prompt_id refused")
        if slot.cancel_requested.is_set():
            self.cancel_in_comfy(slot)  # the cancel arrived while we were submitting
        return watch

    def _existing_prompt(self, job_id: str) -> str | None:
        if self.s.client.get_history(job_id) is not None:
            return "history"
        running, pending = self.s.client.get_queue()
        if job_id in running:
            return "running"
        if job_id in pending:
            return "pending"
        return None

    def _wait(self, slot: JobSlot, clock: EngineClock, watch) -> PromptResult:
        s = self.s
        try:
            return watch.wait(s.job_timeout_s, unreachable_timeout=max(clock.remaining, 0.0))
        except ComfyTimeout as exc:
            logger.warning("job=%s timed out: %s", slot.job_id, exc.message)
            self.cancel_in_comfy(slot)
            raise JobFailed(f"timed out after {s.job_timeout_s:g} s") from exc
        except StopWaiting as exc:
            self._check_flags(slot)
            raise JobHandedBack(exc.message) from exc
        except ComfyPromptLost:
            raise
        except ComfyUnavailable as exc:
            s.monitor.mark_unreachable(exc.message)
            raise clock.failure() from exc

    def _download(self, outputs: dict) -> list[tuple[dict, bytes]]:
        if not outputs:
            raise JobFailed("output missing")
        try:
            return self.s.client.download_outputs(outputs)
        except ComfyUnavailable:
            raise
        except ComfyError as exc:
            raise JobFailed(f"output missing ({exc.message})") from exc

    def _engine_call(self, slot: JobSlot, clock: EngineClock, call) -> Any:
        """Run a ComfyUI call; while ComfyUI is unreachable, wait (bounded) and retry."""
        while True:
            self._check_flags(slot)
            try:
                value = call()
            except ComfyUnavailable as exc:
                self.s.monitor.mark_unreachable(exc.message)
                clock.down()
                logger.warning("job=%s waiting for engine: %s", slot.job_id, exc.message)
                while not self.s.monitor.wait_online(min(clock.remaining, 1.0)):
                    self._check_flags(slot)
                    if clock.remaining <= 0:
                        raise clock.failure() from exc
                continue
            clock.up()
            return value

    def _check_flags(self, slot: JobSlot) -> None:
        if slot.cancel_requested.is_set():
            raise JobCancelled("cancelled" if slot.submitted else "cancelled before ComfyUI ran it")
        if slot.handing_back.is_set():
            raise JobHandedBack("worker stopping")

    # ---- called from other threads -----------------------------------------------------
    def cancel_in_comfy(self, slot: JobSlot) -> None:
        """Remove or interrupt this job's prompt in ComfyUI (targeted, never global)."""
        if not slot.submitted:
            return
        try:
            how = self.s.client.cancel(slot.job_id)
        except ComfyError as exc:
            logger.warning("job=%s cancel in ComfyUI failed: %s", slot.job_id, exc.message)
            slot.interrupt_wait("cancel")
            return
        logger.info("job=%s cancel in ComfyUI result=%s", slot.job_id, how)
        if how == "not_found" and slot.cancel_requested.is_set():
            slot.interrupt_wait("cancel")  # nothing left to stop: end the wait ourselves


def log_state(job_id: str, state: str, prompt_id: str | None, attempt: int | None) -> None:
    """The one log line per job state change."""
    logger.info("job=%s state=%s prompt=%s attempt=%s", job_id, state, prompt_id, attempt)
