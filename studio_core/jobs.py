"""Jobs: states and transitions, the API shape, and the SQL repository, in one import.

from studio_core.jobs import JobRepository, JobStatus, to_public
"""

from studio_core.job_repo import JobRepository
from studio_core.job_states import (
    ACTIVE,
    TERMINAL,
    TRANSITIONS,
    JobStatus,
    can_transition,
    check_transition,
    is_terminal,
    output_url,
    thumb_url,
    to_public,
)

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "TRANSITIONS",
    "JobRepository",
    "JobStatus",
    "can_transition",
    "check_transition",
    "is_terminal",
    "output_url",
    "thumb_url",
    "to_public",
]
