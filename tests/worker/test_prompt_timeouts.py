"""PromptWatch.wait's two limits: time queued in ComfyUI vs. time executing (issue 7).

Measured before: JOB_TIMEOUT_S=20, 11.5 s jobs, two prompts in flight on one worker: the
second "timed out" after 8.5 s of execution because its wait in ComfyUI's queue counted.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import wait_until
from tests.worker.helpers import new_id, sim_config, t2i_graph
from worker.comfy.client import ComfyClient
from worker.comfy.errors import ComfyTimeout
from worker.comfy.watch import PromptWatch


def slow_graph(steps: int) -> dict:
    """A text-to-image graph with a fresh seed, so ComfyUI's cache cannot skip the sampler."""
    return t2i_graph(steps=steps, seed=uuid.uuid4().int % 2**31)


def submit(client: ComfyClient, graph: dict) -> tuple[str, PromptWatch]:
    prompt_id = new_id()
    watch = client.watch(prompt_id, graph)
    client.submit(graph, prompt_id)
    return prompt_id, watch


def timed_wait(watch: PromptWatch, run_timeout: float, **kw):
    started = time.monotonic()
    result = watch.wait(run_timeout, **kw)
    return result, time.monotonic() - started


def test_time_queued_behind_another_prompt_does_not_count_as_run_time(client, sim_url):
    sim_config(sim_url, step_ms=50)  # 14 steps: ~0.7 s per prompt, ~1.4 s for both
    first, second = submit(client, slow_graph(14)), submit(client, slow_graph(14))
    with ThreadPoolExecutor(2) as pool:  # one worker, two slots waiting side by side
        waits = [pool.submit(timed_wait, watch, 1.0) for _, watch in (first, second)]
        (result_1, _), (result_2, waited_2) = (w.result(timeout=10) for w in waits)
    assert (result_1.status, result_2.status) == ("success", "success")
    # The second wait outlasted run_timeout in total; only its execution was limited.
    assert waited_2 > 1.0


def test_a_prompt_that_runs_too_long_times_out_in_the_run_phase(client, sim_url):
    sim_config(sim_url, step_ms=50)  # 20 steps: ~1 s
    prompt_id, watch = submit(client, slow_graph(20))
    started = time.monotonic()
    with pytest.raises(ComfyTimeout, match=r"did not finish within 0\.3 s of starting") as caught:
        watch.wait(0.3, queue_timeout=5)
    assert caught.value.phase == "run"
    assert "(progress " in caught.value.message and "node 3)" in caught.value.message
    assert 0.3 <= time.monotonic() - started < 0.9
    assert client.cancel(prompt_id) == "interrupted"
    assert watch.wait(5).status == "interrupted"


def test_a_prompt_stuck_behind_a_long_one_times_out_in_the_queue_phase(client, sim_url):
    sim_config(sim_url, step_ms=25)  # 40 steps: ~1 s
    long_id, long_watch = submit(client, slow_graph(40))
    stuck_id, stuck_watch = submit(client, slow_graph(2))
    started = time.monotonic()
    with pytest.raises(ComfyTimeout) as caught:
        stuck_watch.wait(5, queue_timeout=0.3)
    assert caught.value.phase == "queue"
    assert caught.value.message == (
        f"prompt {stuck_id} did not start within 0.3 s (waiting in ComfyUI's queue)"
    )
    assert 0.3 <= time.monotonic() - started < 0.8
    assert not stuck_watch.started and long_watch.started
    assert client.cancel(stuck_id) == "deleted"
    assert client.cancel(long_id) == "interrupted"
    assert long_watch.wait(5).status == "interrupted"


def test_an_adopted_prompt_found_running_counts_as_started(client, sim_url):
    sim_config(sim_url, step_ms=50)  # 12 steps: ~0.6 s
    prompt_id, watch = submit(client, slow_graph(12))
    wait_until(lambda: watch.step, 5, "first sampler step", every=0.01)
    # Another worker adopts it (a redelivered job): no WebSocket messages reach this client
    # for a prompt it did not submit, only /queue shows it running.
    with ComfyClient(sim_url, new_id("adopter"), timeout=5, poll_interval=0.05) as other:
        adopted = other.watch(prompt_id, {}, adopt=True)
        assert adopted.wait(5, queue_timeout=0.01).status == "success"
        assert adopted.started
    assert watch.wait(5).status == "success"


def test_a_start_seen_mid_wait_switches_to_the_run_limit():
    watch = PromptWatch("P", {}, reconcile=lambda w: None, poll_interval=30)
    threading.Timer(0.2, watch.handle, ("execution_start", {"prompt_id": "P"})).start()
    started = time.monotonic()
    with pytest.raises(ComfyTimeout) as caught:
        watch.wait(0.3, queue_timeout=2)
    assert caught.value.phase == "run"
    assert 0.45 <= time.monotonic() - started < 1.0  # 0.2 s queued + 0.3 s running


def test_reconcile_finding_the_prompt_running_starts_the_run_limit():
    watch = PromptWatch("P", {}, reconcile=lambda w: w.mark_started(), poll_interval=0.05)
    with pytest.raises(ComfyTimeout, match="of starting") as caught:
        watch.wait(0.3, queue_timeout=0.05)  # queue limit would pass first: it must not apply
    assert caught.value.phase == "run"


@pytest.mark.parametrize(
    ("msg_type", "data"),
    [
        ("execution_cached", {"nodes": []}),
        ("executing", {"node": "3"}),
        ("progress", {"node": "3", "value": 1, "max": 4}),
        ("executed", {"node": "9", "output": {}}),
    ],
)
def test_any_execution_message_means_started_even_without_execution_start(msg_type, data):
    watch = PromptWatch("P", {}, reconcile=lambda w: None)
    watch.handle(msg_type, {"prompt_id": "P", **data})
    assert watch.started
