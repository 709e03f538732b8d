"""The queue page and the job's stage in a real Chromium against the fake API: only active
jobs, in run order, as compact rows; "waiting in ComfyUI" told apart from running; a job
that ends leaves; Cancel all my jobs; downloads named from tool, prompt, seed and image n."""

from __future__ import annotations

import pytest

from studio_core.jobs.download_names import download_name
from tests.e2e import fake_data
from tests.e2e.browser import screenshot

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
ROWS = "[data-testid=queue-row]"


def _row(job_id: str) -> str:
    return f"{ROWS}[data-job-id={job_id}]"


def _mixed_queue(fake_api) -> list[str]:
    """A finished job and five active ones; returns the active ones in the order they run."""
    fake_api.add_job(1, n_outputs=2)  # finished: not on the queue page
    fake_api.add_job(2, status="queued", queue_position=2)
    fake_api.add_job(3, status="queued", queue_position=1)
    fake_api.add_job(
        4, status="processing", stage="waiting_engine", started_at="2026-05-01T12:30:00"
    )
    fake_api.add_job(
        5,
        status="processing",
        stage="running",
        progress=45,
        step={"value": 4, "max": 8},
        current_node="KSampler",
        started_at="2026-05-01T12:20:00",
    )
    fake_api.add_job(
        6, status="processing", stage="storing", progress=99, started_at="2026-05-01T12:25:00"
    )
    return ["job0006", "job0005", "job0004", "job0003", "job0002"]


def _row_ids(page) -> list[str]:
    return page.eval_on_selector_all(ROWS, "rows => rows.map((r) => r.dataset.jobId)")


def test_only_active_jobs_in_run_order_as_compact_rows(open_app, fake_api):
    order = _mixed_queue(fake_api)
    page = open_app("#/queue", width=DESKTOP["width"], height=DESKTOP["height"])
    page.wait_for_selector(_row("job0002"))
    assert _row_ids(page) == order  # saving and running first, the studio's queue last
    assert page.locator("[data-job-id=job0001]").count() == 0  # finished: not waiting or running
    assert page.locator(".queue-view img:visible").count() == 0  # no result images
    heights = page.eval_on_selector_all(ROWS, "rows => rows.map((r) => r.offsetHeight)")
    assert max(heights) <= 110, heights  # compact rows, not cards with images
    status = page.inner_text(f"{_row('job0005')} [data-testid=job-status]")
    assert status == "45% · Generating · step 4/8 · KSampler"
    assert page.inner_text(f"{_row('job0003')} [data-testid=job-status]").endswith("position 1")
    screenshot(page, "queue-1440-en")


def test_a_job_waiting_in_comfyui_is_not_shown_as_generating(open_app, fake_api):
    fake_api.add_job(4, status="processing", stage="waiting_engine")
    page = open_app("#/queue")
    waiting = _row("job0004")
    page.wait_for_selector(f"{waiting}[data-stage=waiting_engine]")
    assert page.inner_text(f"{waiting} [data-testid=job-status]") == "Waiting in ComfyUI"
    assert page.inner_text(f"{waiting} .badge") == "Waiting"
    assert "%" not in page.inner_text(waiting)
    # The studio's job card says the same.
    page.goto(page.url.replace("#/queue", "#/studio/text_to_image"))
    card = "[data-testid=job-card][data-job-id=job0004]"
    page.wait_for_selector(f"{card}[data-stage=waiting_engine]")
    assert page.inner_text(f"{card} [data-testid=job-status]") == "Waiting in ComfyUI"
    assert "Generating" not in page.inner_text(card)


def test_the_waiting_row_in_traditional_chinese(open_app, fake_api):
    fake_api.add_job(4, status="processing", stage="waiting_engine")
    fake_api.add_job(5, status="processing", stage="starting")
    page = open_app("#/queue", lang="zh-TW")
    page.wait_for_selector(_row("job0005"))
    assert page.inner_text(f"{_row('job0004')} [data-testid=job-status]") == "在 ComfyUI 佇列中等待"
    assert page.inner_text(f"{_row('job0005')} [data-testid=job-status]") == "準備中…"
    assert page.inner_text("[data-testid=queue-cancel-all]") == "取消我的所有任務"


def test_a_job_that_ends_leaves_the_queue(open_app, fake_api):
    running = fake_api.add_job(5, status="processing", stage="running", progress=30)
    fake_api.add_job(6, status="queued", queue_position=1)
    page = open_app("#/queue")
    page.wait_for_selector(_row("job0006"))
    assert _row_ids(page) == ["job0005", "job0006"]
    # Delivered when the event stream reconnects (retry: 2000): job 5 finished, 6 started.
    fake_api.sse_events = [
        {**running, **fake_data.fake_job(5, n_outputs=1)},
        {
            **fake_api.jobs["job0006"],
            "status": "processing",
            "stage": "running",
            "progress": 5,
            "queue_position": None,
        },
    ]
    page.wait_for_function("() => !document.querySelector('[data-job-id=job0005]')", timeout=8000)
    assert _row_ids(page) == ["job0006"]
    page.wait_for_selector(f"{_row('job0006')}[data-stage=running]")
    fake_api.sse_events = [{**fake_api.jobs["job0006"], "status": "failed", "stage": None}]
    page.wait_for_function("() => !document.querySelector('[data-testid=queue-row]')", timeout=8000)
    assert page.locator("[data-testid=queue-empty]").is_visible()


def test_cancel_all_cancels_my_active_jobs_only_after_asking(open_app, fake_api):
    fake_api.add_job(1)  # finished: stays
    fake_api.add_job(2, status="queued", queue_position=2)
    fake_api.add_job(3, status="processing", stage="running", progress=20)
    fake_api.add_job(4, status="queued", queue_position=1, user_id=2)  # alice's
    page = open_app("#/queue")
    page.wait_for_selector(_row("job0002"))
    button = page.locator("[data-testid=queue-cancel-all]")
    assert button.inner_text() == "Cancel all my jobs"
    button.click()  # the page watcher accepts the confirmation
    page.wait_for_function("() => !document.querySelector('[data-testid=queue-row]')")
    assert page.watch.dialogs == ["confirm: Cancel all 2 of your waiting and running jobs?"]
    assert fake_api.writes == [("POST", "/api/jobs/cancel-all", fake_api.csrf_token)]
    assert {
        j: fake_api.jobs[j]["status"] for j in ("job0001", "job0002", "job0003", "job0004")
    } == {
        "job0001": "finished",
        "job0002": "cancelled",
        "job0003": "cancelled",
        "job0004": "queued",
    }
    assert page.locator("[data-testid=toast]").first.inner_text().strip() == "Cancelled 2 jobs."
    assert button.is_hidden()  # nothing of mine left to cancel


def test_cancel_all_dismissed_sends_nothing(open_app, fake_api):
    fake_api.add_job(2, status="queued", queue_position=1)
    page = open_app("#/queue")
    page.wait_for_selector(_row("job0002"))
    page.evaluate("window.confirm = () => false")
    page.click("[data-testid=queue-cancel-all]")
    assert fake_api.writes == [] and page.locator(_row("job0002")).count() == 1


def test_run_order_of_the_page_module(open_app):
    page = open_app("#/dashboard")
    order = page.evaluate("""async () => {
      const { runOrder } = await import('/js/lib/queue-order.js');
      const job = (id, status, extra = {}) => ({ job_id: id, status, created_at: `2026-01-01T00:0${id.length}`, ...extra });
      return runOrder([
        job('q-late', 'queued', { queue_position: 3, created_at: '2026-01-01T00:01' }),
        job('q-next', 'queued', { queue_position: 1, created_at: '2026-01-01T00:09' }),
        job('q-nopos', 'queued', { queue_position: null, created_at: '2026-01-01T00:00' }),
        job('wait', 'processing', { stage: 'waiting_engine', started_at: '2026-01-01T00:02' }),
        job('run', 'processing', { stage: 'running', progress: 40, started_at: '2026-01-01T00:05' }),
        job('old-worker', 'processing', { progress: 10, started_at: '2026-01-01T00:01' }),
        job('prep', 'processing', { stage: 'starting' }),
      ]).map((j) => j.job_id);
    }""")
    assert order == ["old-worker", "run", "wait", "prep", "q-next", "q-late", "q-nopos"]


NAMES = [
    ("text_to_image", "A cat on a sofa!", 123456, 1),
    ("single_image_edit", "  ..., ", 7, 0),
    ("text_to_image", "", None, 0),
    ("face_swap", "one two three four five six seven", 0, 3),
    ("text_to_image", "Ｆｕｌｌ-width ＡＢＣ café", 5, 0),
    ("text_to_image", "一隻貓 在沙發上，很可愛", 9, 1),
    ("text_to_image", "supercalifragilistic expialidocious anyway", 1, 0),
    ("text_to_image", "x" * 90, 1, 0),
    ("text_to_image", "圖" * 90, 1, 0),
    ("text_to_image", '../../etc/passwd \\ <x> "q" İstanbul ΟΔΟΣ', 2, 0),
]


def test_the_page_names_downloads_exactly_as_the_server_does(open_app):
    page = open_app("#/dashboard")
    jobs = [{"tool": t, "prompt": p, "seed": s} for t, p, s, _ in NAMES]
    got = page.evaluate(
        """async ([jobs, indexes]) => {
          const { downloadName } = await import('/js/lib/download-name.js');
          return jobs.map((job, i) => downloadName(job, indexes[i]));
        }""",
        [jobs, [i for *_, i in NAMES]],
    )
    # The page's index is the output's position (0-based); the name counts from 1.
    assert got == [download_name(t, p, s, i + 1) for t, p, s, i in NAMES]
    assert got[0] == "text_to_image_a-cat-on-a-sofa_123456_2.png"


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a glass fox in neon rain", "text_to_image_a-glass-fox-in-neon-rain_1005_2.png"),
        ("一隻玻璃狐狸 in the rain", "text_to_image_一隻玻璃狐狸-in-the-rain_1005_2.png"),
    ],
)
def test_the_second_image_downloads_as_image_2(open_app, fake_api, prompt, expected):
    job = fake_api.add_job(5, status="processing", stage="running", progress=10, prompt=prompt)
    page = open_app("#/studio/text_to_image")
    page.wait_for_selector("[data-testid=job-card][data-job-id=job0005]")
    finished = fake_api.add_job(5, n_outputs=2, prompt=prompt)
    fake_api.sse_events = [{**job, **finished}]  # delivered when the stream reconnects
    links = page.locator("[data-job-id=job0005] [data-testid=result-download]")
    links.nth(1).wait_for(timeout=8000)
    assert links.nth(1).get_attribute("download") == expected
    with page.expect_download() as download:
        links.nth(1).click()
    assert download.value.suggested_filename == expected


@pytest.mark.parametrize(("lang", "size"), [("en", PHONE), ("zh-TW", DESKTOP), ("zh-TW", PHONE)])
def test_queue_screenshots(open_app, fake_api, lang, size):
    _mixed_queue(fake_api)
    page = open_app("#/queue", width=size["width"], height=size["height"], lang=lang)
    page.wait_for_selector(_row("job0002"))
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]  # nothing wider than the screen
    screenshot(page, f"queue-{size['width']}-{lang}", full_page=True)
