"""The queue page on a live studio: of two jobs on one ComfyUI (the simulator), the one
waiting in ComfyUI's own queue says so, below the running one; "Cancel all my jobs" stops
both, in the studio and in ComfyUI. A user of its own, so no other test's job is touched."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.browser import screenshot
from tests.e2e.conftest import _open_pages
from tests.e2e.flows import queue_row
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def user_page(browser, live):
    """(page on #/queue of a new user, that user's headers); fails on any JS error."""
    token = live.token_for(*live.new_user("q"), name="queue test")
    headers = {"Authorization": f"Bearer {token}"}
    _open, contexts, watches = _open_pages(browser, live.url, headers=headers)
    yield _open("#/queue", viewport={"width": 1440, "height": 900}), headers
    for context in contexts:
        context.close()
    for watch in watches:
        watch.check()


def _submit(live, headers, prompt: str) -> str:
    body = {"workflow": "text_to_image", "prompt": prompt, "params": {"steps": 30}}
    resp = requests.post(f"{live.url}/api/generate", json=body, headers=headers, timeout=10)
    assert resp.status_code == 202, resp.text
    return resp.json()["job_id"]


def _job(live, headers, job_id: str) -> dict:
    resp = requests.get(f"{live.url}/api/status/{job_id}", headers=headers, timeout=10)
    resp.raise_for_status()
    return resp.json()


def test_a_job_behind_another_in_comfyui_waits_and_cancel_all_stops_both(live, user_page):
    page, headers = user_page
    jobs = [_submit(live, headers, f"a lantern {n}, queue e2e") for n in (1, 2)]
    # The worker takes both (two in flight); ComfyUI runs one and queues the other.
    waiting = page.locator("[data-testid=queue-row][data-stage=waiting_engine]")
    waiting.wait_for(timeout=30000)
    page.wait_for_selector("[data-testid=queue-row][data-stage=running]", timeout=30000)
    waiting_id = waiting.get_attribute("data-job-id")
    running_id = next(j for j in jobs if j != waiting_id)
    rows = page.eval_on_selector_all(
        "[data-testid=queue-row]", "rows => rows.map((r) => r.dataset.jobId)"
    )
    assert rows == [running_id, waiting_id]  # the running one first
    assert page.inner_text(f"{queue_row(waiting_id)} [data-testid=job-status]") == (
        "Waiting in ComfyUI"
    )
    served = _job(live, headers, waiting_id)
    assert served["stage"] == "waiting_engine" and served["progress"] == 0
    assert waiting_id in [
        p[1] for p in requests.get(live.sim.url + "/queue", timeout=5).json()["queue_pending"]
    ]
    screenshot(page, "live-queue-waiting-in-comfyui")

    page.click("[data-testid=queue-cancel-all]")  # the page watcher accepts the confirmation
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=queue-row]')", timeout=15000
    )
    for job_id in jobs:
        assert live.wait_status(job_id, {"cancelled"}, timeout=15)["stage"] is None

    def comfy_idle() -> bool:
        queue = requests.get(live.sim.url + "/queue", timeout=5).json()
        held = [p[1] for p in queue["queue_running"] + queue["queue_pending"]]
        return not set(jobs) & set(held)

    wait_until(comfy_idle, 15, "both prompts out of ComfyUI")  # the cancel reached the worker
