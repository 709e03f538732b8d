"""The admin API of imported tools: import, review, edit, publish, disable, delete, export,
and what a published tool does in GET /api/tools and POST /api/generate."""

from __future__ import annotations

import io
import json

import pytest

from studio_core.catalog.build import build_graph
from tests.backend.helpers import png_bytes, publish_engine, services, submit
from tests.backend.test_openapi_responses import assert_conforms
from tests.imported_tools import (
    as_file,
    checkpoint_lora_graph,
    copy_of,
    invert_graph,
    two_image_graph,
    ui_format_workflow,
)

BASE = "/api/admin/tools"
LORA = "Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors"


def import_file(client, data: bytes, name: str = "flow.json", **form):
    """POST a file to the import route (extra form fields: e.g. id=...)."""
    return client.post(
        f"{BASE}/import",
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


def imported(client, graph: dict, name: str = "flow.json", **form) -> dict:
    """Import a graph; the Draft."""
    resp = import_file(client, as_file(graph), name, **form)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["tool"]


def published(client, graph: dict, name: str = "flow.json") -> dict:
    """Import and publish a graph; the Draft."""
    draft = imported(client, graph, name)
    resp = client.post(f"{BASE}/{draft['id']}/publish")
    assert resp.status_code == 200, (resp.get_json(), draft["problems"])
    return resp.get_json()["tool"]


def tool_ids(client) -> list[str]:
    return [tool["id"] for tool in client.get("/api/tools").get_json()["tools"]]


def error_code(resp) -> str:
    return resp.get_json()["error"]["code"]


# ---- who may call -------------------------------------------------------------------------
ROUTES = [
    ("POST", f"{BASE}/import"),
    ("GET", BASE),
    ("GET", f"{BASE}/invert"),
    ("PATCH", f"{BASE}/invert"),
    ("POST", f"{BASE}/invert/publish"),
    ("POST", f"{BASE}/invert/disable"),
    ("DELETE", f"{BASE}/invert"),
    ("GET", f"{BASE}/invert/export"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_only_admins_reach_the_routes(client, user_client, anon_client, method, path):
    imported(client, invert_graph(), "invert.json")
    assert anon_client.open(path, method=method, json={}).status_code == 401
    refused = user_client["a"].open(path, method=method, json={})
    assert refused.status_code == 403 and error_code(refused) == "forbidden"
    assert_conforms(method, path, refused)


def test_a_cookie_session_needs_its_csrf_token(admin_client):
    data = {"file": (io.BytesIO(as_file(invert_graph())), "invert.json")}
    refused = admin_client.post(f"{BASE}/import", data=data, content_type="multipart/form-data")
    assert refused.status_code == 403 and error_code(refused) == "csrf_failed"
    data = {"file": (io.BytesIO(as_file(invert_graph())), "invert.json")}
    ok = admin_client.post(
        f"{BASE}/import",
        data=data,
        content_type="multipart/form-data",
        headers={"X-CSRF-Token": admin_client.csrf},
    )
    assert ok.status_code == 201


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/publish"),
        ("POST", "/disable"),
        ("GET", "/export"),
    ],
)
def test_an_unknown_tool_is_404(client, method, suffix):
    body = {"manifest": {}} if method == "PATCH" else None
    resp = client.open(f"{BASE}/nope{suffix}", method=method, json=body)
    assert resp.status_code == 404 and error_code(resp) == "not_found"
    assert_conforms(method, f"{BASE}/nope{suffix}", resp)


# ---- import -------------------------------------------------------------------------------
def test_import_proposes_a_checked_draft(client):
    resp = import_file(client, as_file(invert_graph()), "My Invert.json")
    assert resp.status_code == 201
    assert_conforms("POST", f"{BASE}/import", resp)
    draft = resp.get_json()["tool"]
    assert draft["id"] == "my_invert" and draft["status"] == "draft"
    assert draft["manifest"]["id"] == "my_invert"
    assert [s["node"] for s in draft["manifest"]["slots"]] == ["1"]
    assert draft["workflow_nodes"] == [
        {"id": "1", "class_type": "LoadImage"},
        {"id": "2", "class_type": "ImageInvert"},
        {"id": "3", "class_type": "SaveImage"},
    ]
    assert draft["checked_against"] == "bundled"  # no engine online
    assert draft["problems"] == [] and draft["created_by"] == 1 and draft["revision"] == 1
    assert "my_invert" not in tool_ids(client)  # a draft is not in the catalog
    listing = client.get(BASE)
    assert_conforms("GET", BASE, listing)
    assert [t["id"] for t in listing.get_json()["tools"]] == ["my_invert"]
    got = client.get(f"{BASE}/my_invert")
    assert_conforms("GET", f"{BASE}/my_invert", got)
    assert got.get_json()["tool"] == draft


def test_ids_from_file_names_are_unique_and_never_a_builtin(client):
    ids = [imported(client, invert_graph(), name)["id"] for name in ("a b.json",) * 2]
    assert ids == ["a_b", "a_b_2"]
    assert imported(client, invert_graph(), "text_to_image.json")["id"] == "text_to_image_2"
    assert imported(client, invert_graph(), "x.json", id="chosen")["id"] == "chosen"


@pytest.mark.parametrize("taken", ["text_to_image", "chosen"])
def test_a_chosen_id_that_is_taken_is_409(client, taken):
    imported(client, invert_graph(), "x.json", id="chosen")
    resp = import_file(client, as_file(invert_graph()), "x.json", id=taken)
    assert resp.status_code == 409 and error_code(resp) == "tool_exists"
    assert_conforms("POST", f"{BASE}/import", resp)


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (as_file(ui_format_workflow()), "ui.json", "Export (API)"),
        (b"{not json", "broken.json", ""),
        (b"\x00\x01binary", "x.json", ""),
        (png_bytes(), "plain.png", ""),  # a PNG without ComfyUI's prompt
        (b"[1, 2]", "list.json", ""),
        (as_file({"format": "comfyui-studio-tool", "version": 9}), "x.studio-tool.json", "9"),
        (as_file({"format": "comfyui-studio-tool", "version": 1}), "x.studio-tool.json", ""),
    ],
)
def test_bad_files_are_400(client, data, name, says):
    resp = import_file(client, data, name)
    assert resp.status_code == 400, resp.get_json()
    assert says in resp.get_json()["error"]["message"]
    assert_conforms("POST", f"{BASE}/import", resp)
    assert client.get(BASE).get_json()["tools"] == []


def test_a_bad_id_an_empty_or_missing_file_and_a_json_body_are_refused(client):
    assert import_file(client, as_file(invert_graph()), id="Bad-Id").status_code == 400
    assert import_file(client, b"").status_code == 400
    no_file = client.post(f"{BASE}/import", data={"id": "x"}, content_type="multipart/form-data")
    assert no_file.status_code == 400
    assert client.post(f"{BASE}/import", json=invert_graph()).status_code == 415


def test_a_file_over_10_mb_is_413(client):
    big = as_file(
        {**invert_graph(), "note": {"class_type": "Note", "inputs": {"t": "x" * 11 * 2**20}}}
    )
    resp = import_file(client, big)
    assert resp.status_code == 413


def test_a_png_saved_by_comfyui_is_imported(client):
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("prompt", json.dumps(two_image_graph()))
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG", pnginfo=info)
    resp = import_file(client, out.getvalue(), "ComfyUI_00001_.png")
    assert resp.status_code == 201, resp.get_json()
    draft = resp.get_json()["tool"]
    assert draft["id"] == "comfyui_00001"
    assert [s["node"] for s in draft["manifest"]["slots"]] == ["1", "2"]


# ---- publish ------------------------------------------------------------------------------
def test_publish_puts_the_tool_in_the_catalog(client):
    tool = published(client, invert_graph(), "invert.json")
    assert tool["status"] == "published"
    listing = client.get("/api/tools").get_json()["tools"]
    mine = next(t for t in listing if t["id"] == "invert")
    assert mine["imported"] is True and [s["id"] for s in mine["slots"]] == ["image"]
    assert all("imported" not in t for t in listing if t["id"] != "invert")


def test_publish_with_an_error_is_409_and_stores_the_problems(client):
    graph = invert_graph()
    graph["2"]["class_type"] = "FancyInvert"  # a custom node ComfyUI does not have
    draft = imported(client, graph, "fancy.json")
    assert any(p["severity"] == "error" for p in draft["problems"])
    resp = client.post(f"{BASE}/fancy/publish")
    assert resp.status_code == 409 and error_code(resp) == "tool_not_valid"
    assert "FancyInvert" in resp.get_json()["error"]["message"]
    assert_conforms("POST", f"{BASE}/fancy/publish", resp)
    stored = client.get(f"{BASE}/fancy").get_json()["tool"]
    assert stored["status"] == "draft" and stored["problems"][0]["node"] == "2"
    assert "fancy" not in tool_ids(client)


def test_publish_checks_against_the_live_engine(app, client, sim_url):
    draft = imported(client, checkpoint_lora_graph(lora="nope.safetensors"), "lora.json")
    assert draft["checked_against"] == "bundled"
    publish_engine(app, url=sim_url, models={"checkpoints": ["sd15-demo.safetensors"]})
    resp = client.post(f"{BASE}/lora/publish")
    assert resp.status_code == 409
    stored = client.get(f"{BASE}/lora").get_json()["tool"]
    assert stored["checked_against"] == "live"
    assert [p["code"] for p in stored["problems"] if p["severity"] == "error"] == ["missing_model"]


def test_a_dead_engine_falls_back_to_the_bundled_schemas(app, client):
    publish_engine(app, url="http://127.0.0.1:9", models={})  # nothing listens there
    tool = published(client, invert_graph(), "invert.json")
    assert tool["checked_against"] == "bundled"


# ---- edit ---------------------------------------------------------------------------------
def test_patch_edits_labels_defaults_limits_advanced_and_removes_a_param(client):
    tool = published(client, checkpoint_lora_graph(lora=LORA), "classic.json")
    manifest = copy_of(tool["manifest"])
    params = {p["id"]: p for p in manifest["parameters"]}
    params["prompt"]["label"] = {"en": "Describe it", "zh-TW": "描述畫面"}
    params["steps"].update(default=12, min=2, max=30, advanced=True)
    manifest["parameters"] = [p for p in manifest["parameters"] if p["id"] != "sampler_name"]
    manifest["name"] = {"en": "Classic", "zh-TW": "經典"}
    resp = client.patch(f"{BASE}/classic", json={"manifest": manifest})
    assert resp.status_code == 200, resp.get_json()
    assert_conforms("PATCH", f"{BASE}/classic", resp)
    draft = resp.get_json()["tool"]
    assert draft["status"] == "published" and draft["revision"] == tool["revision"] + 1
    shown = next(t for t in client.get("/api/tools").get_json()["tools"] if t["id"] == "classic")
    by_id = {p["id"]: p for p in shown["parameters"]}
    assert shown["name"]["en"] == "Classic"
    assert by_id["prompt"]["label"]["zh-TW"] == "描述畫面"
    assert (by_id["steps"]["default"], by_id["steps"]["min"], by_id["steps"]["max"]) == (12, 2, 30)
    assert by_id["steps"]["advanced"] is True and "sampler_name" not in by_id
    too_many = submit(client, {"workflow": "classic", "prompt": "x", "params": {"steps": 31}})
    assert too_many.status_code == 400 and too_many.get_json()["error"]["field"] == "steps"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda m: m.update(id="other"), "manifest.id"),
        (lambda m: m.pop("outputs"), "manifest"),
        (lambda m: m["slots"][0].update(node="99"), "manifest"),
        (lambda m: m.update(name="not bilingual"), "manifest"),
        (lambda m: m.update(parameters=[{"id": "x", "type": "int", "label": 5}]), "manifest"),
        (lambda m: m.update(parameters=["nonsense"]), "manifest"),
    ],
)
def test_patch_with_a_manifest_that_does_not_parse_is_400(client, change, field):
    draft = imported(client, invert_graph(), "invert.json")
    manifest = copy_of(draft["manifest"])
    change(manifest)
    resp = client.patch(f"{BASE}/invert", json={"manifest": manifest})
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"]["field"] == field
    assert_conforms("PATCH", f"{BASE}/invert", resp)
    assert client.get(f"{BASE}/invert").get_json()["tool"]["revision"] == 1  # nothing stored


@pytest.mark.parametrize("body", [{}, {"manifest": []}, {"manifest": {}, "status": "x"}])
def test_patch_needs_exactly_a_manifest_object(client, body):
    imported(client, invert_graph(), "invert.json")
    assert client.patch(f"{BASE}/invert", json=body).status_code == 400


# ---- disable, delete, export ------------------------------------------------------------
def test_disable_hides_the_tool_and_generate_refuses_it(client):
    published(client, invert_graph(), "invert.json")
    resp = client.post(f"{BASE}/invert/disable")
    assert resp.status_code == 200 and resp.get_json()["tool"]["status"] == "disabled"
    assert_conforms("POST", f"{BASE}/invert/disable", resp)
    assert "invert" not in tool_ids(client)
    refused = submit(client, {"workflow": "invert", "images": {}})
    assert refused.status_code == 400 and error_code(refused) == "unknown_tool"
    assert "disabled" in refused.get_json()["error"]["message"]
    again = client.post(f"{BASE}/invert/publish")  # publishing again brings it back
    assert again.status_code == 200 and "invert" in tool_ids(client)


def test_delete_removes_the_tool(client):
    published(client, invert_graph(), "invert.json")
    resp = client.delete(f"{BASE}/invert")
    assert resp.status_code == 204
    assert_conforms("DELETE", f"{BASE}/invert", resp)
    assert client.get(f"{BASE}/invert").status_code == 404
    assert "invert" not in tool_ids(client)
    refused = submit(client, {"workflow": "invert"})
    assert refused.status_code == 400 and error_code(refused) == "unknown_tool"


def test_export_then_import_round_trips(client):
    tool = published(client, checkpoint_lora_graph(lora=LORA), "classic.json")
    manifest = copy_of(tool["manifest"])
    manifest["name"] = {"en": "Edited", "zh-TW": "已編輯"}
    client.patch(f"{BASE}/classic", json={"manifest": manifest})
    resp = client.get(f"{BASE}/classic/export")
    assert resp.status_code == 200
    assert_conforms("GET", f"{BASE}/classic/export", resp)
    assert resp.headers["Content-Disposition"] == 'attachment; filename="classic.studio-tool.json"'
    document = json.loads(resp.data)
    assert document["format"] == "comfyui-studio-tool" and document["version"] == 1
    assert document["manifest"]["name"]["en"] == "Edited"

    copy = import_file(client, resp.data, "classic.studio-tool.json")  # id taken: renamed
    assert copy.status_code == 201
    assert copy.get_json()["tool"]["id"] == "classic_2"
    assert copy.get_json()["tool"]["manifest"]["id"] == "classic_2"
    client.delete(f"{BASE}/classic")
    back = import_file(client, resp.data, "whatever.json").get_json()["tool"]
    assert back["id"] == "classic" and back["status"] == "draft"
    assert back["manifest"] == document["manifest"]
    again = client.get(f"{BASE}/classic/export")
    assert json.loads(again.data) == document


def test_a_tool_file_with_a_broken_manifest_is_400(client):
    document = {
        "format": "comfyui-studio-tool",
        "version": 1,
        "manifest": {"id": "x", "slots": []},
        "workflow": invert_graph(),
    }
    resp = import_file(client, as_file(document), "x.studio-tool.json")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "manifest"


# ---- running it -----------------------------------------------------------------------------
def test_an_unmapped_input_cannot_be_reached_through_generate(app, client):
    tool = published(client, checkpoint_lora_graph(lora=LORA), "classic.json")
    manifest = copy_of(tool["manifest"])
    manifest["parameters"] = [p for p in manifest["parameters"] if p["id"] != "sampler_name"]
    assert client.patch(f"{BASE}/classic", json={"manifest": manifest}).status_code == 200
    for params in (
        {"sampler_name": "dpmpp_2m"},
        {"filename_prefix": "../../etc/x"},
        {"3": {"inputs": {"sampler_name": "dpmpp_2m"}}},
        {"lora_name": "evil.safetensors"},
    ):
        resp = submit(client, {"workflow": "classic", "prompt": "a fox", "params": params})
        assert resp.status_code == 400, params
        assert resp.get_json()["error"]["code"] == "invalid_input"
    for body in (
        {"workflow": "classic", "prompt": "a fox", "workflow_graph": {}},
        {"workflow": "classic", "prompt": "a fox", "prompt_graph": {"3": {}}},
    ):
        assert submit(client, body).status_code == 400
    ok = submit(client, {"workflow": "classic", "prompt": "a fox", "seed": 3})
    assert ok.status_code == 202, ok.get_json()
    job = services(app).repo.get(ok.get_json()["job_id"])
    tool = services(app).catalog.get("classic")
    params = tool.validate({k: v for k, v in job["params"].items() if k in tool.parameter_ids})
    graph = build_graph(tool, params, {}, "studio/x")
    assert graph["3"]["inputs"]["sampler_name"] == "euler"  # the template's value
    assert graph["6"]["inputs"]["text"] == "a fox" and graph["3"]["inputs"]["seed"] == 3


def test_imports_and_publishes_share_the_imports_rate_limit(make_app):
    from tests.backend.helpers import token_client

    client = token_client(make_app(RATE_LIMIT_IMPORTS="2/minute"))
    assert imported(client, invert_graph(), "a.json")["id"] == "a"
    assert import_file(client, as_file(invert_graph()), "b.json").status_code == 201
    limited = import_file(client, as_file(invert_graph()), "c.json")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert client.get(BASE).status_code == 200  # reads are not counted in it


def test_the_whole_cycle_on_each_database(db_app):
    from tests.backend.helpers import token_client

    client = token_client(db_app)
    tool = published(client, checkpoint_lora_graph(lora=LORA), "經典 classic.json")
    manifest = copy_of(tool["manifest"])
    manifest["name"] = {"en": "Lighthouse 🗼", "zh-TW": "燈塔 🗼"}
    edited = client.patch(f"{BASE}/{tool['id']}", json={"manifest": manifest})
    assert edited.status_code == 200
    shown = next(t for t in client.get("/api/tools").get_json()["tools"] if t["id"] == tool["id"])
    assert shown["name"]["zh-TW"] == "燈塔 🗼" and shown["imported"] is True
    exported = json.loads(client.get(f"{BASE}/{tool['id']}/export").data)
    assert exported["workflow"] == checkpoint_lora_graph(lora=LORA)
    assert client.delete(f"{BASE}/{tool['id']}").status_code == 204
    assert client.get(BASE).get_json()["tools"] == []


def _nested(levels: int) -> list:
    value: list = [1]
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("extra", [float("nan"), float("inf"), "\ud800", _nested(40)])
def test_values_no_database_stores_are_refused_in_manifests(client, extra):
    draft = imported(client, invert_graph(), "invert.json")
    manifest = {**draft["manifest"], "notes": extra}
    body = json.dumps({"manifest": manifest}).encode("utf-8", "surrogatepass")
    patched = client.patch(f"{BASE}/invert", data=body, content_type="application/json")
    assert patched.status_code == 400, patched.get_json()
    document = {
        "format": "comfyui-studio-tool",
        "version": 1,
        "manifest": {**draft["manifest"], "id": "other", "notes": extra},
        "workflow": invert_graph(),
    }
    data = json.dumps(document).encode("utf-8", "surrogatepass")
    resp = import_file(client, data, "other.studio-tool.json")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] in ("manifest", "file")
    assert [t["id"] for t in client.get(BASE).get_json()["tools"]] == ["invert"]
