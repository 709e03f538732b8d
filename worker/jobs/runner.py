"""One job, claimed to done: SQL attempt, graph, reuse-or-submit, follow, outputs, outcome.

The prompt_id is the job id, so a redelivered job first asks ComfyUI whether its prompt
already ran or is still queued and follows that one instead of running the job twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from studio_core.catalog.build import build_graph
from studio_core.catalog.tools import Tool
from studio_core.errors import AppError, StorageFull
from studio_core.jobs.inputs import split_inputs
from worker.comfy.errors import (
    ComfyError,
    ComfyPromptLost,
    ComfyTimeout,
    ComfyUnavailable,
    ComfyValidationError,
)
from worker.comfy.state import PromptResult
from worker.jobs.attempt_gate import log_state, open_attempt
from worker.jobs.engine_clock import EngineClock
from worker.jobs.inputs import place_inputs, upload_inputs
from worker.jobs.outage_retry import retry_through_outages
from worker.jobs.outcomes import JobCancelled, JobFailed, JobFencedOut, JobHandedBack
from worker.jobs.outputs import store_outputs
from worker.jobs.params import input_name, job_params
from worker.jobs.reporter import JobReporter
from worker.jobs.services import JobServices
from worker.jobs.slot import JobSlot, StopWaiting

logger = logging.getLogger(__name__)

MAX_RESUBMITS = 3  # ComfyUI restarts (prompt lost) survived by one attempt


class JobRunner:
    """Runs held claims; `run()` is called on a pool thread per job.

    It never acks or hands back a claim itself: it returns an outcome and the worker's
    ClaimBook releases the claim. An outage (database, Redis, full disk) propagates out of
    run(); the worker pauses and calls run() again with the same slot, which resumes the same
    attempt (the prompt is found again in ComfyUI by its id), so an outage costs no attempt.
    """

    def __init__(self, services: JobServices):
        self.s = services

    def run(self, slot: JobSlot) -> str:
        """Run one held job to its end; returns the outcome for logs and tests."""
        s, job_id = self.s, slot.job_id
        if slot.attempt is None:
            attempt = open_attempt(s, job_id)
            if attempt is None:
                return "skipped"
            slot.attempt = attempt
            log_state(job_id, "processing", None, attempt)
        elif not s.repo.attempts.holds(job_id, slot.attempt):
            # While this run waited for a service, a cancel or a newer attempt took the job.
            JobReporter.publish_row(s.repo.get(job_id), s.live, s.events)
            return "fenced"
        attempt = slot.attempt
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
            reason = exc.reason
            self._persist(slot, lambda: s.repo.attempts.fail(job_id, attempt, reason))
            outcome = "failed"
        except JobCancelled as exc:
            detail = exc.reason
            self._persist(
                slot, lambda: s.repo.attempts.mark_cancelled_by_worker(job_id, attempt, detail)
            )
            outcome = "cancelled"
        except JobFencedOut as exc:
            logger.warning("job=%s attempt=%s fenced out: %s", job_id, attempt, exc.reason)
            outcome = "fenced"
        except JobHandedBack:
            # Not the job's fault: the attempt is refunded (an outage here: it is not).
            s.repo.attempts.release(job_id, attempt, "worker stopped; handed back")
            log_state(job_id, "queued", job_id if slot.submitted else None, attempt)
            return "handed_back"
        final = reporter.terminal()
        log_state(job_id, final["status"], job_id if slot.submitted else None, attempt)
        return outcome

    def _persist(self, slot: JobSlot, write: Callable[[], object]) -> None:
        """A terminal write that must not be lost to a database outage: the outcome is known,
        so only the write is retried (the whole run is, for any other outage)."""
        retry_through_outages(
            slot, write, cap_s=self.s.fault_backoff_cap_s, doing="result not recorded"
        )

    # ---- the stages ------------------------------------------------------------------
    def _execute(self, job: dict, slot: JobSlot, reporter: JobReporter) -> str:
        s, job_id = self.s, job["id"]
        try:
            tool = s.catalog.get(job["tool"])
            params = job_params(tool, job)
            given, masks = split_inputs(job["inputs"])
            images = {
                slot: input_name(job_id, slot, row, masked=slot in masks)[1]
                for slot, row in given.items()
            }
            engine = s.monitor.info  # the files of the ComfyUI this graph will run on
            graph = build_graph(
                tool,
                params,
                images,
                f"studio/{job_id}",
                masked=list(masks),
                models=engine.models if engine and engine.online else None,
            )
        except (AppError, ValueError) as exc:
            raise JobFailed(f"cannot build the workflow: {exc}") from exc
        reporter.graph = graph
        clock = EngineClock(s.engine_wait_s)
        for _ in range(MAX_RESUBMITS):
            watch_started = self._engine_call(
                slot, clock, lambda: self._start_prompt(job, tool, graph, slot, reporter)
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
        slot.stage = "storing"
        reporter.storing()
        files = self._engine_call(slot, clock, lambda: self._download(outputs))
        try:
            stored = store_outputs(s.storage, job_id, files, s.thumb_px)
        except StorageFull as exc:
            if s.disk_full_policy == "fail":
                raise JobFailed(exc.message) from exc
            raise  # an outage: the worker pauses the job and resumes it once there is room
        if slot.cancel_requested.is_set():
            raise JobCancelled("cancelled while its outputs were stored")
        if not s.repo.attempts.finish(job_id, slot.attempt, stored):
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

    def _start_prompt(
        self, job: dict, tool: Tool, graph: dict, slot: JobSlot, reporter: JobReporter
    ):
        """Reuse the prompt if ComfyUI has it (history or queue), else upload and submit."""
        s, job_id = self.s, job["id"]
        self._check_flags(slot)

        def on_update(watch) -> None:
            if watch.started and slot.stage == "submitted":
                slot.stage = "running"
            reporter.on_watch_update(watch)

        existing = self._existing_prompt(job_id)
        if existing:
            logger.info("job=%s reusing ComfyUI prompt=%s found_in=%s", job_id, job_id, existing)
            watch = s.client.watch(job_id, graph, on_update=on_update, adopt=True)
            if existing == "running":
                watch.mark_started()  # its run time counts from now, not from a queue wait
        else:
            place_inputs(tool, graph, upload_inputs(s.client, s.storage, job))
            self._check_flags(slot)
            watch = s.client.watch(job_id, graph, on_update=on_update)
            try:
                s.client.submit(graph, job_id)
            except ComfyValidationError as exc:
                raise JobFailed(exc.message) from exc
            except ComfyError:
                s.client.unwatch(job_id)
                raise
        with slot.lock:
            slot.watch, slot.submitted = watch, True
            slot.stage = "running" if existing in ("history", "running") else "submitted"
        reporter.submitted(watch)
        if not s.repo.attempts.set_prompt_id(job_id, slot.attempt, job_id):
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
            return watch.wait(
                s.job_timeout_s,
                queue_timeout=s.queue_timeout_s,
                unreachable_timeout=max(clock.remaining, 0.0),
            )
        except ComfyTimeout as exc:
            logger.warning("job=%s timed out: %s", slot.job_id, exc.message)
            self.cancel_in_comfy(slot)
            if exc.phase == "queue":
                raise JobFailed(
                    f"did not start within {s.queue_timeout_s:g} s (waiting in ComfyUI's queue)"
                ) from exc
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
