"""Accessibility: axe-core on every page of the SPA, in English and Traditional Chinese, on a
1440x900 desktop and a 390x844 phone, with fake data that fills each page; 0 violations of
any impact.

axe-core comes from tests/e2e/vendor/ (see its README), injected by the test into the page;
nothing loads it from the network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import showcase
from tests.e2e.fake_data import CLASSIC_GRAPH, FACE_SWAP_GRAPH

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
TOOLS = [
    "text_to_image",
    "single_image_edit",
    "sketch_to_image",
    "face_swap",
    "multi_image_blend",
    "text_to_image_classic",
]

# The violations, one line each with up to three offending nodes, for the failure message.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}x) `
    + v.nodes.slice(0, 3).map((n) => `[${n.target.join(' ')}] ${n.failureSummary}`).join(' | '));
}"""


# page name -> (hash, selector that shows the page is filled)
PAGES = {
    "login": ("#/login", "[data-testid=view-login]"),
    "dashboard": ("#/dashboard", "[data-testid=recent-item]"),
    **{
        f"studio-{tool}": (f"#/studio/{tool}", f"[data-testid=view-studio][data-tool={tool}]")
        for tool in TOOLS
    },
    # A job that finishes while the studio is open: its card shows the results grid.
    "studio-results": ("#/studio/text_to_image", "[data-testid=result-image]"),
    # The classic tool with a LoRA row and the custom size open.
    "studio-loras": ("#/studio/text_to_image_classic", "[data-testid=lora-row]"),
    "gallery": ("#/gallery", "[data-testid=gallery-item][data-job-id=job0010]"),
    "queue": ("#/queue", "[data-testid=queue-row]"),
    "settings": ("#/settings", "[data-testid=view-settings]"),
    "account": ("#/account", "[data-testid=view-account]"),
    "tokens": ("#/tokens", "[data-testid=token-row]"),
    "users": ("#/users", "[data-testid=user-row]"),
    "admin-tools": ("#/tools", "[data-testid=admin-tool-row][data-tool-id=reactor]"),
    "admin-tool-editor": ("#/tools/reactor", "[data-testid=admin-problem]"),
    "lightbox": ("#/gallery", "[data-testid=gallery-item][data-job-id=job0010]"),
}


def _fill(fake_api) -> None:
    showcase.fill(fake_api)
    fake_api.tokens[7] = {
        "id": 7,
        "name": "laptop script",
        "created_at": "2026-05-01T12:00:00+00:00",
        "last_used_at": None,
        "owner": 1,
        "secret": "cst_0007_" + "s3cr3t" * 4,
    }


def _settle(page) -> None:
    """Wait until every image in view has loaded and nothing is still fading in."""
    page.wait_for_function(
        "() => [...document.images].every((img) => img.complete"
        # a lazy image below the fold is never fetched until scrolled to
        " || (img.loading === 'lazy' && img.getBoundingClientRect().top > innerHeight))"
        " && document.getAnimations().every((a) => a.playState !== 'running'"
        " || a.effect?.getComputedTiming().iterations === Infinity)"
    )


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "zh-TW"])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violations(open_app, fake_api, name, lang, size):
    _fill(fake_api)
    if name == "login":
        fake_api.sign_out()
    if name.startswith("admin-tool"):  # a published tool and a draft with an error
        fake_api.add_imported_tool("classic.json", CLASSIC_GRAPH, status="published")
        fake_api.add_imported_tool("reactor.json", FACE_SWAP_GRAPH)
    if name == "studio-results":
        fake_api.sse_events = [fake_api.add_job(50, status="processing", progress=10)]
    hash_, ready = PAGES[name]
    page = open_app(hash_, size["width"], size["height"], lang=lang)
    if name == "studio-loras":
        page.click("[data-testid=lora-add]")
        page.click("[data-testid=aspect-custom]")
    if name == "studio-results":
        page.wait_for_selector("[data-testid=job-card][data-job-id=job0050]")
        # Delivered when the event stream reconnects.
        fake_api.sse_events = [showcase.finished(fake_api, 50, "2:3", count=2)]
    page.wait_for_selector(ready, timeout=8000)
    if name == "lightbox":
        page.click(f"[data-job-id={showcase.EDIT_JOB}] [data-testid=gallery-open]")
        page.wait_for_selector("[data-testid=compare-slider]")
    _settle(page)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE)
    assert not violations, "\n".join(violations)
