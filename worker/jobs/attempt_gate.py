"""Whether a claimed job gets an attempt: a new one in SQL, one last one, or none (poison, done).

A job whose attempts are spent is poison, but workers that died after ComfyUI rendered it
must not cost the user a result that exists: ComfyUI's history is asked first, and a last
attempt only collects it. A job that will not run (poison, cancelled) has its prompt stopped
in ComfyUI before the failure is told to anyone, so nothing keeps rendering for nobody.
"""

from __future__ import annotations

import logging

from studio_core.errors import JobNotFound
from worker.comfy.errors import ComfyError
from worker.jobs.reporter import JobReporter
from worker.jobs.services import JobServices

logger = logging.getLogger(__name__)


def open_attempt(s: JobServices, job_id: str) -> int | None:
    """Start an attempt in SQL; None when the job is not to be run (after saying so)."""
    attempt = s.repo.attempts.claim(job_id, s.worker_id, give_up=False)
    if attempt is not None:
        return attempt
    if s.repo.attempts.is_exhausted(job_id):
        if _has_result(s, job_id):
            attempt = s.repo.attempts.claim(job_id, s.worker_id, final=True)
            if attempt is not None:
                logger.warning("job=%s attempts spent; collecting ComfyUI's result", job_id)
                return attempt
        else:
            stop_prompt(s, job_id)
            s.repo.attempts.give_up(job_id)
    try:
        job = s.repo.get(job_id)
    except JobNotFound:
        logger.warning("job=%s claimed but not in SQL; dropped", job_id)
        return None
    if job["status"] == "cancelled":
        stop_prompt(s, job_id)  # cancelled while no worker held it: it may still be queued
    JobReporter.publish_row(job, s.live, s.events)
    log_state(job_id, job["status"], None, job["attempt"])
    return None


def _has_result(s: JobServices, job_id: str) -> bool:
    try:
        return s.client.get_history(job_id) is not None
    except ComfyError as exc:
        logger.warning("job=%s could not ask ComfyUI for a result: %s", job_id, exc.message)
        return False


def stop_prompt(s: JobServices, job_id: str) -> None:
    """Delete or interrupt a prompt no attempt will follow (targeted, never global)."""
    try:
        how = s.client.cancel(job_id)
    except ComfyError as exc:
        logger.warning("job=%s prompt not stopped in ComfyUI: %s", job_id, exc.message)
        return
    if how != "not_found":
        logger.info("job=%s prompt stopped in ComfyUI result=%s", job_id, how)


def log_state(job_id: str, state: str, prompt_id: str | None, attempt: int | None) -> None:
    """The one log line per job state change."""
    logger.info("job=%s state=%s prompt=%s attempt=%s", job_id, state, prompt_id, attempt)
