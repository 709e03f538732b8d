"""Cancel flags: a key with a TTL that workers check, and a message that makes them quick."""

from __future__ import annotations

from studio_core.queue.keys import QueueKeys


class CancelFlags:
    """Raises and reads the per-job cancel flag; publishes each on the cancel channel."""

    def __init__(self, redis, keys: QueueKeys):
        self.redis = redis
        self.keys = keys

    def request_cancel(self, job_id: str, ttl: float = 86400) -> None:
        """Flag a job as cancelled (workers check the flag or listen on the cancel channel)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self.keys.cancel(job_id), "1", px=int(ttl * 1000))
        pipe.publish(self.keys.cancel_channel, job_id)
        pipe.execute()

    def is_cancel_requested(self, job_id: str) -> bool:
        """True when a cancel was requested for the job (within the flag's TTL)."""
        return bool(self.redis.exists(self.keys.cancel(job_id)))
