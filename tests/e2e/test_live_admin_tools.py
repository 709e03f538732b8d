"""The admin's Tools page on a live studio: a ComfyUI graph imported through the page, reviewed,
published into the tool picker and run on the simulator, then exported and deleted."""

from __future__ import annotations

import json

import pytest
import requests

from tests.e2e.flows import card, click_generate, png_file, upload_by_chooser, wait_status
from tests.e2e.test_spa_admin_tools import import_file
from tests.imported_tools import invert_graph

pytestmark = pytest.mark.e2e


def test_an_imported_graph_is_published_and_runs_from_the_picker(open_live, live, tmp_path):
    page = open_live("#/tools")
    import_file(page, "e2e-invert.json", json.dumps(invert_graph()).encode())
    page.wait_for_selector("[data-testid=admin-tool-editor][data-tool-id=e2e_invert]")
    assert "live ComfyUI" in page.inner_text("[data-testid=admin-checked]")
    assert page.locator("[data-testid=admin-problem][data-severity=error]").count() == 0
    page.fill("#te-name-en", "Invert (e2e)")
    page.fill("#te-name-zh-TW", "反相（e2e）")
    page.click("[data-testid=admin-publish]")  # saves the names first
    page.wait_for_selector("[data-testid=admin-tool-status]:text('Published')")

    page.goto(f"{live.url}/#/studio")
    card_button = page.locator("[data-testid=tool-picker] [data-testid=tool-card-e2e_invert]")
    assert "Invert (e2e)" in card_button.inner_text()
    card_button.click()
    page.wait_for_selector("[data-testid=view-studio][data-tool=e2e_invert]")
    slot = page.get_attribute("[data-testid^=slot-zone-]", "data-testid").removeprefix("slot-zone-")
    upload_by_chooser(page, slot, png_file(tmp_path, "in.png", color=(250, 250, 250)))
    job_id = click_generate(page)
    wait_status(page, job_id, "finished")
    page.wait_for_selector(f"{card(job_id)} [data-testid=result-image]")
    assert live.status(job_id)["tool"] == "e2e_invert"

    page.goto(f"{live.url}/#/tools/e2e_invert")
    page.wait_for_selector("[data-testid=admin-tool-editor]")
    href = page.get_attribute("[data-testid=admin-export]", "href")
    exported = requests.get(live.url + href, headers=live.headers, timeout=10).json()
    assert exported["manifest"]["name"]["zh-TW"] == "反相（e2e）"
    assert exported["workflow"]["2"]["class_type"] == "ImageInvert"
    page.click("[data-testid=admin-delete]")  # confirmed
    page.wait_for_function(
        "() => location.hash === '#/tools' && document.querySelector('[data-testid=admin-tool-list]')"
    )
    answer = requests.get(f"{live.url}/api/tools", headers=live.headers, timeout=10).json()
    assert "e2e_invert" not in {tool["id"] for tool in answer["tools"]}
