"""What a person does in the studio, as reusable steps for the live browser tests."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

# Records every aria-valuenow the page shows, per job card, so a test can tell the bar moved.
RECORD_PROGRESS = """() => {
  window.__progress = window.__progress || {};
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      const card = m.target.closest && m.target.closest('[data-job-id]');
      if (!card) continue;
      (window.__progress[card.dataset.jobId] ||= []).push(Number(m.target.getAttribute('aria-valuenow')));
    }
  }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['aria-valuenow']});
}"""


def card(job_id: str) -> str:
    """Selector of a job's card."""
    return f"[data-testid=job-card][data-job-id='{job_id}']"


def queue_row(job_id: str) -> str:
    """Selector of a job's row on the queue page."""
    return f"[data-testid=queue-row][data-job-id='{job_id}']"


def open_tool(page, origin: str, tool: str) -> None:
    """Go to the studio on `tool` (by hash, as a bookmark would)."""
    page.goto(f"{origin}/#/studio/{tool}")
    page.wait_for_selector(f"[data-testid=view-studio][data-tool={tool}]")


def set_steps(page, steps: int) -> None:
    """Open Advanced and set the sampler steps (a longer job for cancel and reload)."""
    details = page.locator("[data-testid=advanced]")
    if details.get_attribute("open") is None:
        page.click("[data-testid=advanced] summary")
    page.fill("[data-testid=param-steps]", str(steps))
    page.press("[data-testid=param-steps]", "Tab")


def click_generate(page) -> str:
    """Press Generate and return the new job's id from the API's answer."""
    with page.expect_response(lambda r: r.url.endswith("/api/generate")) as info:
        page.click("[data-testid=generate-button]")
    response = info.value
    assert response.status == 202, response.text()
    return response.json()["job_id"]


def generate(page, prompt: str, steps: int | None = None) -> str:
    """Type a prompt, optionally set steps, Generate; returns the job id once its card shows."""
    page.fill("[data-testid=prompt-input]", prompt)
    if steps is not None:
        set_steps(page, steps)
    job_id = click_generate(page)
    page.wait_for_selector(card(job_id))
    return job_id


def wait_status(page, job_id: str, status: str, timeout: float = 30000) -> None:
    """Wait until the job's card shows `status`."""
    page.wait_for_selector(f"{card(job_id)}[data-status={status}]", timeout=timeout)


def wait_progress(page, job_id: str, above: int) -> int:
    """Wait until the card's bar is past `above` percent; returns the value."""
    bar = f"{card(job_id)} [data-testid=progress-bar]"
    page.wait_for_function(
        "([sel, above]) => Number(document.querySelector(sel)?.getAttribute('aria-valuenow')) > above",
        arg=[bar, above],
    )
    return int(page.get_attribute(bar, "aria-valuenow"))


def progress_seen(page, job_id: str) -> list[int]:
    """aria-valuenow values recorded for the job since RECORD_PROGRESS ran."""
    return page.evaluate("(id) => (window.__progress || {})[id] || []", job_id)


def png_file(tmp_path: Path, name: str, size=(96, 64), color=(200, 60, 40)) -> Path:
    """A small PNG on disk for the file chooser."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    path = tmp_path / name
    path.write_bytes(buf.getvalue())
    return path


def upload_by_chooser(page, slot: str, path: Path) -> None:
    """Click the slot, pick `path` in the file chooser, wait until the upload is done."""
    with page.expect_file_chooser() as chooser:
        page.click(f"[data-testid=slot-zone-{slot}]")
    chooser.value.set_files(str(path))
    page.wait_for_selector(f"[data-testid=slot-preview-{slot}]")
    page.wait_for_selector(f"[data-testid=slot-{slot}] .slot-zone.ready")


# Everything a page shows or says: its text, title, attribute values and form values.
PAGE_TEXT = """() => {
  const parts = [document.body.innerText, document.title];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) parts.push(attr.value);
    if ('value' in el && typeof el.value === 'string') parts.push(el.value);
  }
  return parts.join('\\n');
}"""


def fill_sign_in(page, username: str, password: str) -> None:
    """Type a user name and password on the sign-in page and submit."""
    page.fill("[data-testid=login-username]", username)
    page.fill("[data-testid=login-password]", password)
    page.click("[data-testid=login-submit]")


def open_account_menu(page) -> None:
    """Open the sidebar's account menu (through the drawer on a phone)."""
    if page.locator("[data-testid=drawer-button]").is_visible():
        page.click("[data-testid=drawer-button]")
    page.click("[data-testid=account-button]")
