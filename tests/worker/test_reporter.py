"""JobReporter against a real Redis: what pages see of an attempt's stages."""

from studio_core.events import EventBus
from studio_core.live import LiveState
from worker.jobs.reporter import JobReporter


def test_storing_reads_99_even_when_the_last_step_was_never_sent(stack):
    """The steps and the end of a prompt can arrive together (a stalled WebSocket thread);
    storing the images must not show the bar where the last update left it (CI saw 58)."""
    job_id = stack.create_job(batch_size=1)
    live = LiveState(stack.redis)
    reporter = JobReporter(
        stack.repo.get(job_id),
        1,
        repo=stack.repo,
        live=live,
        events=EventBus(stack.redis),
        worker_id="w-test",
    )
    reporter.started()
    assert live.get(job_id)["progress"] == 0
    reporter.storing()
    state = live.get(job_id)
    assert (state["stage"], state["progress"]) == ("storing", 99)
