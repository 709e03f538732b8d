"""The admin's Tools page in a real Chromium against the fake API: import a ComfyUI workflow,
review the proposed manifest, publish it into the studio's tool picker, disable, export and
delete it; plain users never reach the page."""

from __future__ import annotations

import json

import pytest

from studio_core.catalog.tools import DEFAULT_DIR
from studio_core.custom_tools import exchange
from tests.e2e.browser import PHONE, screenshot
from tests.e2e.fake_data import CLASSIC_GRAPH, FACE_SWAP_GRAPH, workflow_png

pytestmark = pytest.mark.e2e

UI_FORMAT = {
    "last_node_id": 9,
    "nodes": [{"id": 3, "type": "KSampler"}],
    "links": [],
    "version": 0.4,
}
ERROR = {
    "code": "unknown_node",
    "severity": "error",
    "message": "ComfyUI has no node KSampler any more",
    "fix": "update ComfyUI",
    "node": "sampler",
}


MIME = {"json": "application/json", "png": "image/png", "txt": "text/plain"}  # by extension


def import_file(page, name: str, data: bytes) -> None:
    """Pick `data` named `name` through the Import button's file chooser.

    In memory, not a path: Chromium leaves a file on disk out of the request body that
    Playwright hands the fake (the real server gets it whole)."""
    file = {"name": name, "mimeType": MIME[name.rsplit(".", 1)[-1]], "buffer": data}
    with page.expect_file_chooser() as chooser:
        page.click("[data-testid=admin-import-choose]")
    chooser.value.set_files(file)


def param_row(page, param_id: str):
    """The editor's fieldset of one parameter."""
    return page.locator(f"[data-testid=admin-param][data-param-id={param_id}]")


def save(page, fake_api) -> dict:
    """Press Save and return the manifest the page PATCHed."""
    before = len(fake_api.admin_patches)
    page.click("[data-testid=admin-save]")
    page.wait_for_selector("[data-testid=admin-unsaved][hidden]", state="attached")
    page.wait_for_function("() => document.querySelector('[data-testid=admin-tool-editor]')")
    assert len(fake_api.admin_patches) == before + 1
    return fake_api.admin_patches[-1]


def test_import_a_json_opens_the_editor_with_the_proposal(open_app, fake_api, tmp_path):
    page = open_app("#/tools")
    page.wait_for_selector("[data-testid=admin-tool-empty]:not([hidden])")
    import_file(page, "classic.json", json.dumps(CLASSIC_GRAPH).encode())
    page.wait_for_selector("[data-testid=admin-tool-editor][data-tool-id=classic]")
    assert page.url.endswith("#/tools/classic")
    assert page.input_value("#te-name-en") == "Classic"
    ids = page.eval_on_selector_all(
        "[data-testid=admin-param]", "els => els.map(e => e.dataset.paramId)"
    )
    assert ids[:4] == ["prompt", "negative_prompt", "seed", "aspect_ratio"]
    assert {"steps", "cfg", "model", "loras"} <= set(ids)
    assert (
        param_row(page, "steps").locator("[data-testid=admin-param-default]").input_value() == "25"
    )
    assert param_row(page, "steps").locator("[data-f=max]").input_value() == "150"
    assert param_row(page, "loras").locator("[data-testid=admin-param-default]").count() == 0
    assert param_row(page, "cfg").locator("[data-testid=admin-param-advanced]").is_checked()
    problem = page.locator("[data-testid=admin-problem]")
    assert problem.count() == 1 and problem.get_attribute("data-severity") == "warning"
    assert "start ComfyUI" in problem.locator("[data-testid=admin-problem-fix]").inner_text()
    assert page.is_enabled("[data-testid=admin-publish]")
    assert page.is_disabled("[data-testid=admin-disable]")
    assert "bundled" in page.inner_text("[data-testid=admin-checked]")
    screenshot(page, "admin-tools-editor-1280", full_page=True)
    page.click("[data-testid=admin-back]")
    row = page.locator("[data-testid=admin-tool-row][data-tool-id=classic]")
    assert row.locator("[data-testid=admin-tool-status]").inner_text() == "Draft"
    assert "Errors: 0 · warnings: 1" in row.inner_text()


def test_a_png_from_comfyui_imports_its_graph(open_app, fake_api, tmp_path):
    page = open_app("#/tools")
    import_file(page, "ComfyUI_00042_.png", workflow_png(FACE_SWAP_GRAPH))
    page.wait_for_selector("[data-testid=admin-tool-editor][data-tool-id=comfyui_00042]")
    slots = page.eval_on_selector_all(
        "[data-testid=admin-slot]", "els => els.map(e => e.dataset.slotId)"
    )
    assert len(slots) == 2


def test_a_ui_format_workflow_is_refused_with_how_to_export(open_app, fake_api, tmp_path):
    page = open_app("#/tools")
    import_file(page, "my-workflow.json", json.dumps(UI_FORMAT).encode())
    error = page.locator("[data-testid=admin-import-error]")
    error.wait_for()
    assert "UI format" in error.inner_text() and "Export (API)" in error.inner_text()
    assert page.url.endswith("#/tools") and fake_api.admin_tools == {}
    screenshot(page, "admin-tools-ui-format-1280")
    posts = len(fake_api.writes)
    import_file(page, "notes.txt", b"hello")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=admin-import-error]').innerText.includes('notes.txt')"
    )
    assert len(fake_api.writes) == posts  # refused in the page, never sent


def test_edits_reach_the_patched_manifest_and_keep_what_the_form_does_not_show(
    open_app, fake_api, tmp_path
):
    fake_api.add_imported_tool("classic.json", CLASSIC_GRAPH)
    proposed = json.loads(json.dumps(fake_api.admin_tools["classic"]["manifest"]))
    page = open_app("#/tools/classic")
    page.wait_for_selector("[data-testid=admin-tool-editor]")
    page.fill("#te-name-en", "Checkpoint picture")
    page.fill("#te-name-zh-TW", "模型生圖")
    page.select_option("[data-testid=admin-icon]", "paint")
    page.fill("[data-testid=admin-category]", "art")
    steps = param_row(page, "steps")
    steps.locator("[data-f=zh-TW]").fill("取樣步數")
    steps.locator("[data-testid=admin-param-default]").fill("30")
    steps.locator("[data-f=max]").fill("60")
    steps.locator("[data-testid=admin-param-advanced]").check()
    param_row(page, "cfg").locator("[data-testid=admin-param-advanced]").uncheck()
    param_row(page, "scheduler").locator("[data-testid=admin-param-default]").select_option(
        label="normal"
    )
    param_row(page, "denoise").locator("[data-testid=admin-param-hidden]").check()
    assert page.is_visible("[data-testid=admin-unsaved]")
    manifest = save(page, fake_api)

    params = {p["id"]: p for p in manifest["parameters"]}
    assert manifest["name"] == {"en": "Checkpoint picture", "zh-TW": "模型生圖"}
    assert (manifest["icon"], manifest["category"]) == ("paint", "art")
    assert params["steps"]["label"] == {"en": "Steps", "zh-TW": "取樣步數"}
    steps = params["steps"]
    assert (steps["default"], steps["max"], steps["min"]) == (30, 60, 1)
    assert steps["advanced"] is True and params["cfg"]["advanced"] is False
    assert params["scheduler"]["default"] == "normal"
    assert "denoise" not in params  # hidden: the graph keeps its 1.0
    # Everything the form does not show arrives as proposed.
    for key in ("outputs", "requires", "slots", "description"):
        assert manifest[key] == proposed[key]
    old = {p["id"]: p for p in proposed["parameters"]}
    assert params["steps"]["targets"] == old["steps"]["targets"]
    assert params["loras"] == old["loras"]
    assert params["aspect_ratio"] == old["aspect_ratio"]  # presets, custom, size_classes
    assert params["prompt"] == old["prompt"]

    page.reload()  # the hidden parameter is remembered and can come back where it was
    page.wait_for_selector("[data-testid=admin-tool-editor]")
    hidden = param_row(page, "denoise").locator("[data-testid=admin-param-hidden]")
    assert hidden.is_checked()
    hidden.uncheck()
    manifest = save(page, fake_api)
    order = [p["id"] for p in proposed["parameters"]]
    assert [p["id"] for p in manifest["parameters"]] == order
    assert manifest["parameters"][order.index("denoise")] == old["denoise"]


def test_a_manifest_the_server_cannot_parse_is_refused_with_its_reason(open_app, fake_api):
    fake_api.add_imported_tool("classic.json", CLASSIC_GRAPH)
    page = open_app("#/tools/classic", lang="zh-TW")
    page.wait_for_selector("[data-testid=admin-tool-editor]")
    page.fill("#te-name-zh-TW", "")
    page.click("[data-testid=admin-save]")
    error = page.locator("[data-testid=admin-editor-error]")
    error.wait_for()
    assert "the manifest does not parse" in error.inner_text()
    assert "zh-TW" in error.inner_text()  # the server's words name the empty field
    assert fake_api.admin_patches == []
    assert page.is_visible("[data-testid=admin-unsaved]")  # nothing was saved


def test_problems_show_and_errors_block_publishing(open_app, fake_api, tmp_path):
    fake_api.add_imported_tool("reactor.json", FACE_SWAP_GRAPH)
    page = open_app("#/tools/reactor")
    page.wait_for_selector("[data-testid=admin-tool-editor]")
    errors = page.locator("[data-testid=admin-problem][data-severity=error]")
    assert errors.count() >= 1
    unknown = page.locator("[data-testid=admin-problem][data-code=unknown_node]")
    assert "ReActorFaceSwap" in unknown.inner_text()
    assert unknown.locator("[data-testid=admin-problem-node]").inner_text() == (
        "Node swap (ReActorFaceSwap)"
    )
    assert unknown.locator("[data-testid=admin-problem-fix]").inner_text().startswith("Fix: ")
    color = unknown.evaluate("el => getComputedStyle(el).borderLeftColor")
    assert color == "rgb(248, 113, 113)"  # errors red (warnings amber)
    assert page.is_disabled("[data-testid=admin-publish]")
    assert page.is_visible("[data-testid=admin-publish-blocked]")
    screenshot(page, "admin-tools-problems-1280", full_page=True)
    # Slots: a label reaches the manifest; the problems are checked again. The graph needs
    # both images (no inputs to detach), so neither slot can be made optional.
    slot = page.locator("[data-testid=admin-slot]").first
    slot_id = slot.get_attribute("data-slot-id")
    slot.locator("[data-f=en]").fill("Your face")
    assert slot.locator("[data-testid=admin-slot-required]").is_disabled()
    fake_api.tool_problems = [{**ERROR, "code": "found_on_save", "severity": "warning"}]
    manifest = save(page, fake_api)
    edited = next(s for s in manifest["slots"] if s["id"] == slot_id)
    assert edited["label"]["en"] == "Your face" and edited["required"] is True
    page.wait_for_selector(
        "[data-testid=admin-problem][data-code=found_on_save][data-severity=warning]"
    )
    shown = page.locator("[data-testid=admin-problem]").count()
    assert shown == len(fake_api.admin_tools["reactor"]["problems"])


def test_an_exported_tool_file_imports_with_its_optional_slot(open_app, fake_api):
    folder = DEFAULT_DIR / "multi_image_blend"
    tool_file = {
        "format": "comfyui-studio-tool",
        "version": 1,
        "manifest": json.loads((folder / "manifest.json").read_text(encoding="utf-8")),
        "workflow": json.loads((folder / "workflow.json").read_text(encoding="utf-8")),
    }
    page = open_app("#/tools")
    import_file(page, "blend.studio-tool.json", json.dumps(tool_file).encode())
    page.wait_for_selector("[data-testid=admin-tool-editor][data-tool-id=multi_image_blend_2]")
    optional = page.locator("[data-testid=admin-slot][data-slot-id=image_c]")
    box = optional.locator("[data-testid=admin-slot-required]")
    assert box.is_enabled() and not box.is_checked()
    assert page.locator("[data-slot-id=image_a] [data-testid=admin-slot-required]").is_disabled()
    box.check()
    slots = {s["id"]: s for s in save(page, fake_api)["slots"]}
    assert slots["image_c"]["required"] is True
    assert slots["image_c"]["detach"] == tool_file["manifest"]["slots"][2]["detach"]
    box.uncheck()
    assert {s["id"]: s for s in save(page, fake_api)["slots"]}["image_c"]["required"] is False


def test_publish_puts_the_tool_in_the_picker_and_disable_takes_it_out(open_app, fake_api):
    fake_api.add_imported_tool("classic.json", CLASSIC_GRAPH)
    page = open_app("#/studio")
    page.wait_for_selector("[data-testid=tool-picker]")
    assert page.locator("[data-testid=tool-card-classic]").count() == 0
    page.keyboard.press("Escape")  # the picker closes (and the studio goes to the dashboard)
    page.wait_for_selector("[data-testid=tool-picker]", state="detached")
    page.goto(page.url.split("#")[0] + "#/tools/classic")
    page.wait_for_selector("[data-testid=admin-tool-editor]")
    page.click("[data-testid=admin-publish]")
    page.wait_for_selector("[data-testid=admin-tool-status]:text('Published')")
    assert fake_api.admin_tools["classic"]["status"] == "published"
    assert page.is_disabled("[data-testid=admin-publish]")
    page.goto(page.url.replace("#/tools/classic", "#/studio"))
    card = page.locator("[data-testid=tool-picker] [data-testid=tool-card-classic]")
    card.wait_for()
    assert card.get_attribute("aria-disabled") == "false"
    screenshot(page, "admin-tools-picker-1280")
    card.click()
    page.wait_for_selector("[data-testid=view-studio][data-tool=classic]")

    page.goto(page.url.replace("#/studio/classic", "#/tools/classic"))
    page.fill("#te-name-en", "Classic, renamed")  # a published tool changes for everyone
    save(page, fake_api)
    page.goto(page.url.replace("#/tools/classic", "#/studio/classic"))
    page.wait_for_selector("[data-testid=view-studio][data-tool=classic] :text('Classic, renamed')")
    page.goto(page.url.replace("#/studio/classic", "#/tools/classic"))
    page.click("[data-testid=admin-disable]")
    page.wait_for_selector("[data-testid=admin-tool-status]:text('Disabled')")
    page.goto(page.url.replace("#/tools/classic", "#/studio"))
    page.wait_for_selector("[data-testid=tool-picker] [data-testid=tool-card-text_to_image]")
    assert page.locator("[data-testid=tool-card-classic]").count() == 0
    page.keyboard.press("Escape")


def test_publish_refused_by_the_server_says_why(open_app, fake_api):
    fake_api.add_imported_tool("classic.json", CLASSIC_GRAPH)
    page = open_app("#/tools/classic")
    page.wait_for_selector("[data-testid=admin-tool-editor]")
    fake_api.tool_problems = [ERROR]  # ComfyUI changed since the page loaded the draft
    page.click("[data-testid=admin-publish]")
    error = page.locator("[data-testid=admin-editor-error]")
    error.wait_for()
    assert "refused to publish" in error.inner_text()
    page.wait_for_selector("[data-testid=admin-problem][data-code=unknown_node]")
    assert page.is_disabled("[data-testid=admin-publish]")
    assert fake_api.admin_tools["classic"]["status"] == "draft"


def test_publish_saves_pending_edits_first(open_app, fake_api):
    fake_api.add_imported_tool("classic.json", CLASSIC_GRAPH)
    page = open_app("#/tools/classic")
    page.wait_for_selector("[data-testid=admin-tool-editor]")
    page.fill("#te-name-zh-TW", "經典生圖")
    page.click("[data-testid=admin-publish]")
    page.wait_for_selector("[data-testid=admin-tool-status]:text('Published')")
    assert fake_api.admin_patches[-1]["name"]["zh-TW"] == "經典生圖"
    assert fake_api.admin_tools["classic"]["manifest"]["name"]["zh-TW"] == "經典生圖"


def test_export_downloads_the_tool_file_and_delete_removes_it(open_app, fake_api):
    fake_api.add_imported_tool("classic.json", CLASSIC_GRAPH)
    page = open_app("#/tools/classic")
    page.wait_for_selector("[data-testid=admin-tool-editor]")
    with page.expect_download() as info:
        page.click("[data-testid=admin-export]")
    assert info.value.suggested_filename == exchange.export_filename("classic")  # as the server
    # What the link fetches (Chromium cancels saving a download the test's route answered).
    href = page.get_attribute("[data-testid=admin-export]", "href")
    exported = page.evaluate("async (url) => (await fetch(url)).json()", href)
    assert exported["format"] == "comfyui-studio-tool" and exported["workflow"] == CLASSIC_GRAPH
    page.click("[data-testid=admin-delete]")  # the confirmation is accepted
    page.wait_for_selector("[data-testid=admin-tool-empty]:not([hidden])")
    assert page.url.endswith("#/tools")
    assert fake_api.admin_tools == {}
    assert any("Delete the tool Classic?" in d for d in page.watch.dialogs)


def test_a_plain_user_cannot_reach_the_tools_page(open_app, fake_api):
    fake_api.session_user = 2
    page = open_app("#/tools")
    page.wait_for_selector("[data-testid=view-dashboard]")
    assert page.locator("[data-testid=nav-tools]").count() == 0
    page.goto(page.url.replace("#/dashboard", "#/tools/classic"))
    page.wait_for_selector("[data-testid=view-dashboard]")
    assert not [r for r in fake_api.requests if r[1].startswith("/api/admin/")]


def test_the_admin_reaches_tools_from_the_sidebar(open_app, fake_api):
    page = open_app("#/dashboard")
    page.click("[data-testid=nav-tools]")
    page.wait_for_selector("[data-testid=view-admin-tools]")
    assert page.get_attribute("[data-testid=nav-tools]", "aria-current") == "page"


def test_zh_tw_labels_and_a_phone_layout(open_app, fake_api, tmp_path):
    fake_api.add_imported_tool("classic.json", CLASSIC_GRAPH)
    page = open_app("#/tools", PHONE["width"], PHONE["height"], lang="zh-TW")
    page.wait_for_selector("[data-testid=admin-tool-row]")
    assert page.inner_text("h1") == "工具管理"
    assert page.inner_text("[data-testid=admin-tool-status]") == "草稿"
    assert page.inner_text("[data-testid=admin-import-choose]") == "選擇檔案"
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    screenshot(page, "admin-tools-list-390-zh", full_page=True)
    page.click("[data-testid=admin-tool-edit]")
    page.wait_for_selector("[data-testid=admin-tool-editor]")
    assert page.inner_text("[data-testid=admin-publish]") == "發佈"
    assert page.inner_text("label[for=te-name-zh-TW]") == "繁體中文"
    assert "預設值" in param_row(page, "steps").inner_text()
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    box = page.locator("[data-testid=admin-save]").bounding_box()
    assert box["height"] >= 36 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, "admin-tools-editor-390-zh", full_page=True)
