"""The queue's Redis key and channel names under one prefix (layout: studio_core.queue)."""

from __future__ import annotations


class QueueKeys:
    """Every key name the Python side of the queue uses; the Lua scripts build the same ones."""

    def __init__(self, prefix: str = "studio:"):
        self.prefix = prefix
        self.ring = f"{prefix}q:ring"
        self.where = f"{prefix}q:where"
        self.waiting = f"{prefix}q:waiting"
        self.bell = f"{prefix}q:bell"
        self.workers = f"{prefix}workers"
        self.workers_last = f"{prefix}workers:last"
        self.epoch = f"{prefix}epoch"
        self.cancel_channel = f"{prefix}cancel"

    def user(self, user_id: str) -> str:
        """The waiting list of one user."""
        return f"{self.prefix}q:user:{user_id}"

    def processing(self, worker_id: str) -> str:
        """The jobs a worker has claimed and not acked yet."""
        return f"{self.prefix}q:processing:{worker_id}"

    def worker(self, worker_id: str) -> str:
        """A worker's heartbeat record (expires when the worker stops beating)."""
        return f"{self.prefix}worker:{worker_id}"

    def cancel(self, job_id: str) -> str:
        """A job's cancel flag."""
        return f"{self.prefix}cancel:{job_id}"
