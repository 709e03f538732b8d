"""Bring your own ComfyUI in the studio (issue 11): sizes that follow the model's family (a
512 / 768 / 1024 class, remembered per model, or a custom width x height), the model list by
subfolder with its family, LoRAs with a strength, the optional head-swap LoRA note, and a PNG
that ComfyUI saved filling the form from its embedded graph. On the fake API, whose tools carry
the contract's fields (tests/e2e/fake_data.py)."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from tests.e2e.browser import PHONE

pytestmark = pytest.mark.e2e

CLASSIC = "text_to_image_classic"
SD15 = "SD15/dreamshaper_8.safetensors"
SDXL = "SDXL/juggernautXL_v9.safetensors"
MYSTERY = "mystery_mix.safetensors"
CARDS = "[data-testid=job-card]"


def _studio(open_app, tool=CLASSIC, **kwargs):
    page = open_app(f"#/studio/{tool}", **kwargs)
    page.wait_for_selector("[data-testid=generate-button]")
    return page


def _chip_texts(page) -> list[str]:
    return page.locator("[data-testid=param-aspect_ratio] .chip").all_inner_texts()


def _active_class(page) -> str:
    return page.get_attribute("[data-testid=size-class] .chip[aria-checked=true]", "data-class")


def _generate(page, fake_api, prompt="a lighthouse") -> dict:
    count = len(fake_api.generate_bodies)
    page.fill("[data-testid=prompt-input]", prompt)
    page.click("[data-testid=generate-button]")
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=job-card]').length > n", arg=count
    )
    return fake_api.generate_bodies[-1]


def test_the_size_class_follows_the_models_family(open_app, fake_api):
    page = _studio(open_app)
    # The tool's default model is an SDXL file: 1024-class sizes, and what is sent is the size.
    assert _active_class(page) == "1024"
    assert "1:1 · 1024×1024" in _chip_texts(page)
    page.select_option("[data-testid=model-select]", SD15)
    assert _active_class(page) == "512"
    assert "2:3 · 512×768" in _chip_texts(page)
    page.click("[data-testid=aspect-2\\:3]")
    body = _generate(page, fake_api)
    assert body["model"] == SD15 and body["aspect_ratio"] == "512x768"
    page.select_option("[data-testid=model-select]", SDXL)
    assert _active_class(page) == "1024"  # the chosen ratio stays, in the new class
    assert _generate(page, fake_api)["aspect_ratio"] == "832x1248"


def test_a_model_of_unknown_family_starts_at_1024_then_keeps_the_users_class(open_app, fake_api):
    page = _studio(open_app)
    page.select_option("[data-testid=model-select]", MYSTERY)
    assert _active_class(page) == "1024"
    page.click("[data-testid=size-class-768]")
    assert "1:1 · 768×768" in _chip_texts(page)
    page.select_option("[data-testid=model-select]", SD15)
    assert _active_class(page) == "512"
    page.select_option("[data-testid=model-select]", MYSTERY)
    assert _active_class(page) == "768"  # remembered for this model
    # ... across a reload too (kept in this browser).
    page.reload()
    page.wait_for_selector(
        f"[data-testid=model-select] option[value='{MYSTERY}']", state="attached"
    )
    page.select_option("[data-testid=model-select]", MYSTERY)
    assert _active_class(page) == "768"
    assert _generate(page, fake_api)["aspect_ratio"] == "768x768"


def test_a_custom_size_is_checked_before_sending_then_sent_as_is(open_app, fake_api):
    page = _studio(open_app)
    page.click("[data-testid=aspect-custom]")
    assert page.evaluate("document.activeElement.dataset.testid") == "size-width"
    assert page.input_value("[data-testid=size-width]") == "1024"  # starts from the chosen size
    page.fill("[data-testid=size-width]", "1000")
    page.fill("[data-testid=size-height]", "513")
    error = page.locator("[data-testid=size-error]")
    assert "multiples of 8 (for example 1000 × 512)" in error.inner_text()
    page.fill("[data-testid=prompt-input]", "odd size")
    page.click("[data-testid=generate-button]")
    assert "multiples of 8" in page.inner_text("[data-testid=form-error]")
    page.fill("[data-testid=size-height]", "4096")
    assert "between 64 and 2048" in error.inner_text()
    page.fill("[data-testid=size-width]", "2048")
    page.fill("[data-testid=size-height]", "2056")
    assert "between 64 and 2048" in error.inner_text()
    assert fake_api.generate_bodies == []
    page.fill("[data-testid=size-width]", "1000")
    page.fill("[data-testid=size-height]", "520")
    assert error.inner_text() == ""
    body = _generate(page, fake_api)
    assert body["aspect_ratio"] == "1000x520"
    # The draft keeps it while the page is away.
    page.click("[data-testid=nav-gallery]")
    page.wait_for_selector("[data-testid=view-gallery]")
    page.go_back()
    page.wait_for_selector("[data-testid=size-width]")
    assert page.input_value("[data-testid=size-width]") == "1000"
    assert page.input_value("[data-testid=size-height]") == "520"


def test_remix_restores_a_class_size_and_a_custom_size(open_app, fake_api):
    common = {"tool": CLASSIC, "params": {"steps": 20, "cfg": 7.0}}
    fake_api.add_job(1, model=SDXL, aspect_ratio="512x768", **common)
    fake_api.add_job(2, model=SD15, aspect_ratio="1000x520", **common)
    page = open_app("#/gallery")
    page.click("[data-job-id=job0001] [data-testid=remix-button]")
    page.wait_for_selector(f"[data-testid=view-studio][data-tool={CLASSIC}]")
    # A 512-class size with an SDXL model: the size as it ran wins over the model's class.
    assert _active_class(page) == "512"
    assert page.get_attribute("[data-testid=aspect-2\\:3]", "aria-checked") == "true"
    assert _generate(page, fake_api)["aspect_ratio"] == "512x768"
    page.goto(page.url.split("#")[0] + "#/gallery")
    page.click("[data-job-id=job0002] [data-testid=remix-button]")
    page.wait_for_selector("[data-testid=size-width]")
    assert page.get_attribute("[data-testid=aspect-custom]", "aria-checked") == "true"
    assert page.input_value("[data-testid=size-width]") == "1000"
    assert page.input_value("[data-testid=size-height]") == "520"
    body = _generate(page, fake_api)
    assert body["aspect_ratio"] == "1000x520" and body["model"] == SD15


def test_models_are_grouped_by_subfolder_with_their_family(open_app, fake_api):
    page = _studio(open_app)
    page.wait_for_selector("[data-testid=model-select] optgroup", state="attached")
    groups = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=model-select] > *')].map((n) =>
             n.tagName === 'OPTGROUP'
               ? [n.label, [...n.children].map((o) => [o.value, o.textContent])]
               : [null, [[n.value, n.textContent]]])"""
    )
    assert groups == [
        [None, [["", "Tool default"]]],
        [None, [[MYSTERY, "mystery_mix"]]],
        ["SD15", [[SD15, "dreamshaper_8 — SD 1.5"]]],
        ["SDXL", [[SDXL, "juggernautXL_v9 — SDXL"]]],
    ]


def test_loras_are_added_tuned_removed_and_sent(open_app, fake_api):
    page = _studio(open_app)
    add = page.locator("[data-testid=lora-add]")
    add.click()
    assert page.evaluate("document.activeElement.dataset.testid") == "lora-name"
    add.click()
    rows = page.locator("[data-testid=lora-row]")
    assert rows.count() == 2
    # Each control has a name a screen reader can say.
    assert page.get_by_label("LoRA 2", exact=True).input_value() == "styles/ink_wash.safetensors"
    rows.nth(0).locator("[data-testid=lora-strength]").fill("0.65")
    rows.nth(0).locator("[data-testid=lora-strength]").press("Tab")
    assert rows.nth(0).locator("[data-testid=lora-strength-range]").input_value() == "0.65"
    # The slider by keyboard moves the number with it (step 0.05).
    rows.nth(1).locator("[data-testid=lora-strength-range]").focus()
    page.keyboard.press("ArrowLeft")
    assert rows.nth(1).locator("[data-testid=lora-strength]").input_value() == "0.95"
    body = _generate(page, fake_api)
    assert body["params"]["loras"] == [
        {"name": "detail_tweaker.safetensors", "strength": 0.65},
        {"name": "styles/ink_wash.safetensors", "strength": 0.95},
    ]
    rows.nth(0).locator("[data-testid=lora-remove]").click()
    assert page.evaluate("document.activeElement.dataset.testid") == "lora-add"
    rows.nth(0).locator("[data-testid=lora-strength]").fill("3")
    page.click("[data-testid=generate-button]")
    assert "between -2 and 2" in page.inner_text("[data-testid=form-error]")
    rows.nth(0).locator("[data-testid=lora-strength]").fill("-0.5")
    body = _generate(page, fake_api, "again")
    assert body["params"]["loras"] == [{"name": "styles/ink_wash.safetensors", "strength": -0.5}]


def test_at_most_max_items_loras_and_remix_restores_them(open_app, fake_api):
    loras = [{"name": "styles/ink_wash.safetensors", "strength": 0.4}]
    fake_api.add_job(1, tool=CLASSIC, model=SD15, params={"loras": loras, "steps": 20})
    page = open_app("#/gallery")
    page.click("[data-job-id=job0001] [data-testid=remix-button]")
    page.wait_for_selector("[data-testid=lora-row]")
    assert page.input_value("[data-testid=lora-name]") == "styles/ink_wash.safetensors"
    assert page.input_value("[data-testid=lora-strength]") == "0.4"
    page.goto(page.url.split("#")[0] + "#/gallery")
    page.click("[data-job-id=job0001] [data-testid=gallery-open]")
    assert "ink_wash 0.4" in page.inner_text("[data-testid=lightbox-params]")
    page.keyboard.press("Escape")
    page.click("[data-job-id=job0001] [data-testid=remix-button]")
    page.wait_for_selector("[data-testid=lora-row]")
    for _ in range(3):
        page.click("[data-testid=lora-add]")
    assert page.locator("[data-testid=lora-row]").count() == 4
    assert page.locator("[data-testid=lora-add]").is_disabled()
    assert _generate(page, fake_api)["params"]["loras"][0] == loras[0]


def test_the_optional_head_swap_lora_is_mentioned_both_ways(open_app, fake_api):
    page = _studio(open_app, "face_swap")
    note = page.locator("[data-testid=optional-lora]")
    assert note.get_attribute("data-installed") == "false"
    assert "Tip: install bfs_head_v3_qwen_image_edit_2509 in ComfyUI's models/loras" in (
        note.inner_text()
    )
    face = next(t for t in fake_api.tools if t["id"] == "face_swap")
    face["optional_loras"][0]["installed"] = True
    page = _studio(open_app, "face_swap", lang="zh-TW")
    note = page.locator("[data-testid=optional-lora]")
    assert note.get_attribute("data-installed") == "true"
    assert (
        note.inner_text().strip()
        == "使用 LoRA bfs_head_v3_qwen_image_edit_2509（ComfyUI 已安裝）。"
    )
    assert note.get_attribute("title") == "換頭 LoRA（bfs_head_v3）：ComfyUI 有此檔案時使用"
    assert page.locator("[data-testid=optional-lora]").count() == 1
    # No engine online to tell (installed null), and a tool without one: no note.
    face["optional_loras"][0]["installed"] = None
    assert _studio(open_app, "face_swap").locator("[data-testid=optional-lora]").count() == 0
    assert _studio(open_app).locator("[data-testid=optional-lora]").count() == 0


def _comfy_png(graph: dict | None, itxt: bool = False) -> str:
    """A PNG as ComfyUI saves one (its API graph in a "prompt" text chunk), base64."""
    info = PngInfo()
    if graph is not None:
        # ComfyUI writes ASCII JSON (tEXt); an iTXt chunk may hold UTF-8 as is.
        text = json.dumps(graph, ensure_ascii=not itxt)
        (info.add_itxt if itxt else info.add_text)("prompt", text)
    info.add_text("workflow", "{}")
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buf, "PNG", pnginfo=info)
    return base64.b64encode(buf.getvalue()).decode()


GRAPH = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": SD15}},
    "10": {
        "class_type": "LoraLoader",
        "inputs": {
            "lora_name": "detail_tweaker.safetensors",
            "strength_model": 0.7,
            "strength_clip": 0.7,
            "model": ["4", 0],
            "clip": ["4", 1],
        },
    },
    "5": {
        "class_type": "EmptyLatentImage",
        "inputs": {"width": 512, "height": 768, "batch_size": 1},
    },
    "6": {
        "class_type": "CLIPTextEncode",
        "inputs": {"text": "a paper crane, 雨", "clip": ["10", 1]},
    },
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "lowres", "clip": ["10", 1]}},
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 123456,
            "steps": 28,
            "cfg": 6.5,
            "sampler_name": "euler",
            "positive": ["6", 0],
            "negative": ["7", 0],
            "model": ["10", 0],
            "latent_image": ["5", 0],
        },
    },
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "12": {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "4x.pth"}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}},
}

DROP = """([b64, name, selector]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, { type: 'image/png' }));
  const target = document.querySelector(selector);
  for (const type of ['dragover', 'drop']) {
    target.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
  }
}"""


def test_a_dropped_comfyui_png_fills_the_form_and_switches_tool(open_app, fake_api):
    page = _studio(open_app, "text_to_image")
    page.evaluate(DROP, [_comfy_png(GRAPH), "ComfyUI_00042_.png", "[data-testid=compose]"])
    # The graph fits the checkpoint tool better: the page moves there, filled.
    page.wait_for_selector(f"[data-testid=view-studio][data-tool={CLASSIC}]")
    assert fake_api.graph_bodies == [{"graph": GRAPH, "tool": "text_to_image"}]
    assert page.input_value("[data-testid=prompt-input]") == "a paper crane, 雨"
    assert page.input_value("[data-testid=seed-input]") == "123456"
    assert page.input_value("[data-testid=param-steps]") == "28"
    assert page.input_value("[data-testid=param-negative_prompt]") == "lowres"
    page.wait_for_selector(f"[data-testid=model-select] option[value='{SD15}']", state="attached")
    assert page.input_value("[data-testid=model-select]") == SD15
    assert _active_class(page) == "512"
    assert page.get_attribute("[data-testid=aspect-2\\:3]", "aria-checked") == "true"
    assert page.input_value("[data-testid=lora-strength]") == "0.7"
    toast = page.locator("[data-testid=toast][data-kind=success]").inner_text()
    assert (
        "filled" in toast and "Seed" in toast and "No place here for: UpscaleModelLoader" in toast
    )
    body = _generate(page, fake_api, "a paper crane, 雨")
    assert body["seed"] == 123456 and body["aspect_ratio"] == "512x768"
    assert body["params"]["loras"] == [{"name": "detail_tweaker.safetensors", "strength": 0.7}]
    assert body["params"]["steps"] == 28 and body["params"]["cfg"] == 6.5


def test_the_load_button_reads_an_itxt_chunk_in_the_same_tool(open_app, fake_api, tmp_path):
    page = _studio(open_app)
    path = tmp_path / "crane.png"
    path.write_bytes(base64.b64decode(_comfy_png(GRAPH, itxt=True)))
    page.set_input_files("[data-testid=png-file]", str(path))
    page.wait_for_function(
        "() => document.querySelector('[data-testid=prompt-input]').value === 'a paper crane, 雨'"
    )
    assert fake_api.graph_bodies[-1]["tool"] == CLASSIC
    assert page.locator("[data-testid=lora-row]").count() == 1


def test_a_png_without_a_workflow_or_not_a_png_is_explained(open_app, fake_api):
    page = _studio(open_app)
    page.evaluate(DROP, [_comfy_png(None), "holiday.png", "[data-testid=compose]"])
    toast = page.locator("[data-testid=toast][data-kind=error]")
    toast.wait_for()
    assert "holiday.png holds no ComfyUI workflow" in toast.inner_text()
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0 not a png").decode()
    page.evaluate(DROP, [jpeg, "photo.jpg", "[data-testid=settings-panel]"])
    page.wait_for_selector(
        "[data-testid=toast][data-kind=error]:has-text('photo.jpg is not a PNG')"
    )
    assert fake_api.graph_bodies == []


def test_a_png_dropped_on_an_image_slot_stays_the_slots(open_app, fake_api):
    page = _studio(open_app, "single_image_edit")
    page.evaluate(DROP, [_comfy_png(GRAPH), "input.png", "[data-testid=slot-input]"])
    page.wait_for_selector("[data-testid=slot-zone-input].ready")
    assert fake_api.graph_bodies == [] and len(fake_api.upload_bodies) == 1


def test_zh_tw_labels_and_a_phone_layout(open_app, fake_api):
    page = _studio(open_app, lang="zh-TW", **PHONE)
    assert page.inner_text("[data-testid=size-class-512]") == "SD 1.5 · 512"
    assert page.inner_text("[data-testid=aspect-custom]") == "自訂"
    assert page.inner_text("[data-testid=lora-add]").strip() == "新增 LoRA"
    assert page.inner_text("[data-testid=png-load]").strip() == "從 PNG 載入"
    page.click("[data-testid=aspect-custom]")
    page.fill("[data-testid=size-width]", "100")
    page.fill("[data-testid=size-height]", "3000")
    assert "寬度與高度須介於 64 到 2048 像素之間" in page.inner_text("[data-testid=size-error]")
    page.click("[data-testid=lora-add]")
    # Nothing of the new controls runs off a 390 px screen.
    overflow = page.evaluate(
        """() => [...document.querySelectorAll(
             '[data-testid=size-field] *, [data-testid=lora-field] *, [data-testid=png-load]')]
             .filter((n) => n.getBoundingClientRect().right > innerWidth + 0.5)
             .map((n) => n.dataset.testid || n.tagName)"""
    )
    assert overflow == []
