"""The browser tests' fake API against the OpenAPI document, without a browser.

Every route the fake implements must be documented, and every answer it can give (success
and error alike) must fit the document; the browser tests also fail on any violation.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.fake_api import ROUTES, FakeApi
from tests.e2e.fake_data import CLASSIC_GRAPH, png_bytes, proposed_manifest, workflow_png
from tests.openapi_contract import DOC, match_path


def multipart(data: bytes, filename: str = "a.png") -> bytes:
    """A multipart/form-data body (boundary "b") with `data` as its `file` part."""
    head = f'--b\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n\r\n'
    return head.encode() + data + b"\r\n--b--"


MULTIPART = multipart(png_bytes(8, 6, (1, 2, 3)))
NOT_AN_IMAGE = multipart(b"x")
CLASSIC_JSON = json.dumps(CLASSIC_GRAPH).encode()
UI_FORMAT = json.dumps({"nodes": [{"id": 1, "type": "KSampler"}], "links": []}).encode()
TOOL_EXPORT = {"format": "comfyui-studio-tool", "version": 1, "workflow": CLASSIC_GRAPH}
ERROR_PROBLEM = {"code": "unknown_node", "severity": "error", "message": "gone", "fix": "install"}
# multipart bodies of the cases that send a file (the others send MULTIPART to /api/uploads)
FILES = {
    "upload-not-an-image": NOT_AN_IMAGE,
    "admin-import": multipart(CLASSIC_JSON, "classic.json"),
    "admin-import-png": multipart(workflow_png(CLASSIC_GRAPH), "ComfyUI_00001_.png"),
    "admin-import-ui": multipart(UI_FORMAT, "workflow.json"),
    "admin-import-exported": multipart(
        json.dumps({**TOOL_EXPORT, "manifest": proposed_manifest("classic")}).encode(), "x.json"
    ),
    "admin-import-plain": multipart(CLASSIC_JSON, "classic.json"),
}
GENERATE = {
    "workflow": "single_image_edit",
    "prompt": "make it blue",
    "seed": 0,
    "aspect_ratio": "16:9",
    "batch_size": 2,
    "model": None,
    "params": {"steps": 12},
    "images": {"input": "up1"},
}
GRAPH = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "a.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blur", "clip": ["4", 1]}},
    "3": {
        "class_type": "KSampler",
        "inputs": {"seed": 5, "steps": 20, "cfg": 7.0, "positive": ["6", 0], "negative": ["7", 0]},
    },
}
LOGIN = {"username": "admin", "password": "admin-password-1"}
PASSWORD = {"current_password": "admin-password-1", "new_password": "a-new-password"}
NEW_USER = {"username": "bob", "password": "bob-password-1", "role": "user"}
# (method, path, query, JSON body, fake settings, expected status)
CASES = {
    "output": ("GET", "/outputs/job0001_0.png", {}, None, {}, 200),
    "output-download": ("GET", "/outputs/job0001_0.png", {"download": "1"}, None, {}, 200),
    "thumb": ("GET", "/outputs/thumbs/job0001_0.webp", {}, None, {}, 200),
    "events": ("GET", "/api/events", {}, None, {}, 200),
    "events-off": ("GET", "/api/events", {}, None, {"sse_enabled": False}, 503),
    "metrics": ("GET", "/api/metrics", {}, None, {}, 200),
    "metrics-429": ("GET", "/api/metrics", {}, None, {"metrics_status": 429}, 429),
    "metrics-503": ("GET", "/api/metrics", {}, None, {"metrics_status": 503}, 503),
    "engine": ("GET", "/api/engine", {}, None, {}, 200),
    "engine-down": ("GET", "/api/engine", {}, None, {"backends_online": False}, 200),
    "health": ("GET", "/health", {}, None, {}, 200),
    "tools": ("GET", "/api/tools", {"lang": "zh-TW"}, None, {}, 200),
    "models": ("GET", "/api/models", {}, None, {}, 200),
    "upload": ("POST", "/api/uploads", {}, None, {}, 201),
    "upload-not-an-image": ("POST", "/api/uploads", {}, None, {}, 400),
    "uploaded": ("GET", "/api/uploads/up1", {}, None, {}, 200),
    "generate": ("POST", "/api/generate", {}, GENERATE, {}, 202),
    "generate-mask": (
        "POST",
        "/api/generate",
        {},
        {**GENERATE, "masks": {"input": "up2"}},
        {},
        202,
    ),
    "generate-mask-refused": (
        "POST",
        "/api/generate",
        {},
        {**GENERATE, "workflow": "text_to_image", "masks": {"input": "up2"}},
        {},
        400,
    ),
    "graph-params": (
        "POST",
        "/api/graph/params",
        {},
        {"graph": GRAPH, "tool": "face_swap"},
        {},
        200,
    ),
    "graph-params-no-tool": ("POST", "/api/graph/params", {}, {"graph": GRAPH}, {}, 200),
    "graph-params-unknown-tool": (
        "POST",
        "/api/graph/params",
        {},
        {"graph": GRAPH, "tool": "nope"},
        {},
        400,
    ),
    "jobs": ("GET", "/api/jobs", {"limit": "30", "offset": "0", "q": "fox"}, None, {}, 200),
    "jobs-filtered": (
        "GET",
        "/api/jobs",
        {"status": "finished", "tool": "text_to_image", "favorite": "1"},
        None,
        {},
        200,
    ),
    "active": ("GET", "/api/jobs", {"active": "1", "limit": "100"}, None, {}, 200),
    "history": ("GET", "/api/history", {"limit": "5"}, None, {}, 200),
    "status": ("GET", "/api/status/job0002", {}, None, {}, 200),
    "status-404": ("GET", "/api/status/nope", {}, None, {}, 404),
    "job": ("GET", "/api/jobs/job0001", {}, None, {}, 200),
    "delete": ("DELETE", "/api/jobs/job0001", {}, None, {}, 204),
    "delete-404": ("DELETE", "/api/jobs/nope", {}, None, {}, 404),
    "favorite": ("POST", "/api/jobs/job0001/favorite", {}, {"favorite": True}, {}, 200),
    "favorite-404": ("POST", "/api/jobs/nope/favorite", {}, {"favorite": True}, {}, 404),
    "cancel": ("POST", "/api/cancel/job0003", {}, None, {}, 200),
    "cancel-404": ("POST", "/api/cancel/nope", {}, None, {}, 404),
    "everyone": ("GET", "/api/jobs", {"all": "1", "active": "1"}, None, {}, 200),
    "cancel-all": ("POST", "/api/jobs/cancel-all", {}, None, {}, 200),
    "cancel-all-everyone": ("POST", "/api/jobs/cancel-all", {"all": "1"}, None, {}, 200),
    "cancel-all-plain": (
        "POST",
        "/api/jobs/cancel-all",
        {"all": "1"},
        None,
        {"session_user": 2},
        400,
    ),
    "signed-out": ("GET", "/api/jobs", {}, None, {"session_user": None}, 401),
    "csrf-stale": ("POST", "/api/cancel/job0003", {}, None, {"csrf_token": "csrf-stale"}, 403),
    "metrics-plain": ("GET", "/api/metrics", {}, None, {"session_user": 2}, 403),
    "everyone-plain": ("GET", "/api/jobs", {"all": "1"}, None, {"session_user": 2}, 400),
    "login": ("POST", "/api/auth/login", {}, LOGIN, {"session_user": None}, 200),
    "login-wrong": ("POST", "/api/auth/login", {}, {**LOGIN, "password": "x"}, {}, 401),
    "login-throttled": ("POST", "/api/auth/login", {}, LOGIN, {"login_retry_after": 30}, 429),
    "logout": ("POST", "/api/auth/logout", {}, {"everywhere": True}, {}, 204),
    "me": ("GET", "/api/auth/me", {}, None, {}, 200),
    "me-signed-out": ("GET", "/api/auth/me", {}, None, {"session_user": None}, 401),
    "password": ("POST", "/api/auth/password", {}, PASSWORD, {}, 200),
    "password-wrong": (
        "POST",
        "/api/auth/password",
        {},
        {**PASSWORD, "current_password": "nope"},
        {},
        400,
    ),
    "tokens": ("GET", "/api/auth/tokens", {}, None, {}, 200),
    "token-new": ("POST", "/api/auth/tokens", {}, {"name": "laptop"}, {}, 201),
    "token-revoke-404": ("DELETE", "/api/auth/tokens/77", {}, None, {}, 404),
    "users": ("GET", "/api/users", {}, None, {}, 200),
    "users-plain": ("GET", "/api/users", {}, None, {"session_user": 2}, 403),
    "user-new": ("POST", "/api/users", {}, NEW_USER, {}, 201),
    "user-taken": ("POST", "/api/users", {}, {**NEW_USER, "username": "alice"}, {}, 409),
    "user-patch": ("PATCH", "/api/users/2", {}, {"disabled": True, "role": "admin"}, {}, 200),
    "user-patch-404": ("PATCH", "/api/users/99", {}, {"password": "new-password-9"}, {}, 404),
    "user-delete": ("DELETE", "/api/users/2", {}, None, {}, 204),
    "user-delete-404": ("DELETE", "/api/users/99", {}, None, {}, 404),
    "admin-tools": ("GET", "/api/admin/tools", {}, None, {}, 200),
    "admin-tools-plain": ("GET", "/api/admin/tools", {}, None, {"session_user": 2}, 403),
    "admin-import": ("POST", "/api/admin/tools/import", {}, None, {}, 201),
    "admin-import-png": ("POST", "/api/admin/tools/import", {}, None, {}, 201),
    "admin-import-exported": ("POST", "/api/admin/tools/import", {}, None, {}, 201),
    "admin-import-ui": ("POST", "/api/admin/tools/import", {}, None, {}, 400),
    "admin-import-plain": ("POST", "/api/admin/tools/import", {}, None, {"session_user": 2}, 403),
    "admin-tool": ("GET", "/api/admin/tools/classic", {}, None, {}, 200),
    "admin-tool-404": ("GET", "/api/admin/tools/nope", {}, None, {}, 404),
    "admin-patch": (
        "PATCH",
        "/api/admin/tools/classic",
        {},
        {"manifest": proposed_manifest("classic")},
        {},
        200,
    ),
    "admin-patch-404": ("PATCH", "/api/admin/tools/nope", {}, {"manifest": {}}, {}, 404),
    "admin-patch-unparsable": (
        "PATCH",
        "/api/admin/tools/classic",
        {},
        {"manifest": {**proposed_manifest("classic"), "name": {"en": "No Chinese"}}},
        {},
        400,
    ),
    "admin-publish": ("POST", "/api/admin/tools/classic/publish", {}, None, {}, 200),
    "admin-publish-invalid": (
        "POST",
        "/api/admin/tools/classic/publish",
        {},
        None,
        {"tool_problems": [ERROR_PROBLEM]},
        409,
    ),
    "admin-publish-404": ("POST", "/api/admin/tools/nope/publish", {}, None, {}, 404),
    "admin-disable": ("POST", "/api/admin/tools/classic/disable", {}, None, {}, 200),
    "admin-disable-404": ("POST", "/api/admin/tools/nope/disable", {}, None, {}, 404),
    "admin-delete": ("DELETE", "/api/admin/tools/classic", {}, None, {}, 204),
    "admin-delete-404": ("DELETE", "/api/admin/tools/nope", {}, None, {}, 404),
    "admin-export": ("GET", "/api/admin/tools/classic/export", {}, None, {}, 200),
    "admin-export-404": ("GET", "/api/admin/tools/nope/export", {}, None, {}, 404),
}


def _serve(api: FakeApi, method, path, query=None, body=None, raw=b""):
    data = json.dumps(body).encode() if body is not None else raw
    content_type = "application/json" if body is not None else "multipart/form-data; boundary=b"
    headers = {"x-csrf-token": "csrf-0000000000000001"}  # the page's copy of the token
    return api.serve(method, path, query or {}, data, content_type if data else "", headers)


def test_the_fake_implements_only_documented_routes():
    for method, template in ROUTES:
        assert method.lower() in DOC["paths"].get(template, {}), f"{method} {template}"


def test_every_route_of_the_fake_is_exercised_here():
    exercised = {(method, match_path(path)[0]) for method, path, *_ in CASES.values()}
    assert exercised == set(ROUTES)


@pytest.mark.parametrize("case", CASES)
def test_every_answer_of_the_fake_fits_the_document(fake, case):
    method, path, query, body, settings, status = CASES[case]
    _serve(fake, "POST", "/api/admin/tools/import", raw=FILES["admin-import"])  # tool "classic"
    for name, value in settings.items():
        setattr(fake, name, value)
    multipart_sent = path in ("/api/uploads", "/api/admin/tools/import")
    raw = FILES.get(case, MULTIPART) if multipart_sent else b""
    answer = _serve(fake, method, path, query, body, raw)
    assert answer.status == status
    assert fake.violations == []


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "problem"),
    [
        ("GET", "/api/status/job0002", {}, None, "['progress']: 'half' is not of type 'integer'"),
        ("GET", "/api/jobs", {"limit": "1000"}, None, "?limit=1000 []: 1000 is greater than"),
        ("GET", "/api/jobs", {"page": "2"}, None, "undocumented query parameter page"),
        ("POST", "/api/generate", {}, {**GENERATE, "steps": 9}, "body []: Additional properties"),
        ("GET", "/api/unknown", {}, None, "GET /api/unknown is not documented"),
        ("PUT", "/api/jobs/job0001", {}, None, "the fake does not implement PUT /api/jobs/job0001"),
        ("GET", "/api/jobs", {"all": "yes"}, None, "?all=yes []: 'yes' is not one of"),
        ("POST", "/api/auth/login", {}, {"username": "a"}, "'password' is a required property"),
        ("POST", "/api/users", {}, {**NEW_USER, "role": "root"}, "'root' is not one of"),
        ("POST", "/api/auth/tokens", {}, {"name": ""}, "body ['name']: ''"),
        ("PATCH", "/api/users/2", {}, {"password": "short"}, "body ['password']: 'short'"),
    ],
)
def test_leaving_the_document_is_recorded(fake, method, path, query, body, problem):
    fake.jobs["job0002"]["progress"] = "half"
    _serve(fake, method, path, query, body)
    assert any(problem in v for v in fake.violations), fake.violations


def test_a_published_tool_is_in_the_catalog_and_an_export_imports_again(fake):
    tool_id = _serve(fake, "POST", "/api/admin/tools/import", raw=FILES["admin-import"]).body
    tool_id = tool_id["tool"]["id"]
    assert not [t for t in _serve(fake, "GET", "/api/tools").body["tools"] if t.get("imported")]
    assert _serve(fake, "POST", f"/api/admin/tools/{tool_id}/publish").status == 200
    listed = [t for t in _serve(fake, "GET", "/api/tools").body["tools"] if t["id"] == tool_id]
    assert listed[0]["imported"] is True
    assert {p["id"] for p in listed[0]["parameters"]} >= {"prompt", "seed", "steps"}
    exported = _serve(fake, "GET", f"/api/admin/tools/{tool_id}/export")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    again = _serve(
        fake,
        "POST",
        "/api/admin/tools/import",
        raw=multipart(json.dumps(exported.body).encode(), "classic.tool.json"),
    )
    assert again.status == 201
    assert again.body["tool"]["id"] == f"{tool_id}_2"  # an id is never taken twice
    assert again.body["tool"]["manifest"]["parameters"] == exported.body["manifest"]["parameters"]
    _serve(fake, "POST", f"/api/admin/tools/{tool_id}/disable")
    assert not [t for t in _serve(fake, "GET", "/api/tools").body["tools"] if t["id"] == tool_id]
    assert fake.violations == []
