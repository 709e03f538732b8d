"""Every request input that reaches code is validated: inputs that answered 500 (or were
silently taken) on main, one row each, now a JSON 400 (issue 9)."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from tests.backend.helpers import png_bytes, publish_engine

# An EXIF block whose IFD entry has a corrupt type and count: Pillow's TIFF parser raises
# TypeError from getexif()/exif_transpose (found by fuzzing a valid EXIF block).
CORRUPT_EXIF = bytes.fromhex(
    "4578696600004d4d002a000000080003010f00020000000443616d000112000300000001000600008825"
    "0004000000010000003200000000005200010002000000024e0000000002000500000003000000500000"
    "0000000000010000000100000002000000010000000300000001"
)
# The same, with a truncated IFD: struct.error and "Corrupt EXIF data" warnings.
TRUNCATED_EXIF = bytes.fromhex("4578696600004d4d002a00000008000301120003000000010006")


def _jpeg_with_exif(exif: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _json(client, path: str, text: str):
    return client.post(path, data=text, content_type="application/json")


def _multipart(client, path: str, fields: dict, files: dict | None = None):
    data = dict(fields)
    for name, payload in (files or {}).items():
        data[name] = (io.BytesIO(payload), f"{name}.jpg")
    return client.post(path, data=data, content_type="multipart/form-data")


CASES = {
    "seed superscript two": lambda c: c.post("/api/generate", json={"prompt": "a", "seed": "²"}),
    "seed double minus": lambda c: c.post("/api/generate", json={"prompt": "a", "seed": "--5"}),
    "seed arabic digit": lambda c: c.post("/api/generate", json={"prompt": "a", "seed": "٣"}),
    "seed in params": lambda c: c.post(
        "/api/generate", json={"params": {"prompt": "a", "seed": "²"}}
    ),
    "seed multipart": lambda c: _multipart(c, "/api/generate", {"prompt": "a", "seed": "--5"}),
    "offset past bigint": lambda c: c.get("/api/jobs?offset=9223372036854775808"),
    "limit past bigint": lambda c: c.get("/api/history?limit=9223372036854775808"),
    "offset unicode digit": lambda c: c.get("/api/jobs?offset=%D9%A3"),
    "json 10000 deep": lambda c: _json(c, "/api/generate", "[" * 10000 + "]" * 10000),
    "json 10000 deep in params": lambda c: _json(
        c, "/api/generate", '{"params": ' + '{"a": ' * 10000 + "1" + "}" * 10001
    ),
    "json 100 deep parses but is refused": lambda c: _json(
        c, "/api/jobs/x/favorite", '{"favorite": ' + "[" * 100 + "]" * 100 + "}"
    ),
    "multipart params 10000 deep": lambda c: _multipart(
        c, "/api/generate", {"params": "[" * 10000 + "]" * 10000}
    ),
    "lone surrogate in prompt": lambda c: _json(c, "/api/generate", '{"prompt": "\\ud800"}'),
    "lone surrogate in a key": lambda c: _json(c, "/api/generate", '{"params": {"\\udfff": 1}}'),
    "lone surrogate in multipart params": lambda c: _multipart(
        c, "/api/generate", {"params": '{"prompt": "a\\ud800"}'}
    ),
    "corrupt exif upload": lambda c: _multipart(
        c, "/api/uploads", {}, {"file": _jpeg_with_exif(CORRUPT_EXIF)}
    ),
    "truncated exif upload": lambda c: _multipart(
        c, "/api/uploads", {}, {"file": _jpeg_with_exif(TRUNCATED_EXIF)}
    ),
    "corrupt exif multipart generate": lambda c: _multipart(
        c,
        "/api/generate",
        {"workflow": "single_image_edit", "prompt": "a"},
        {"input": _jpeg_with_exif(CORRUPT_EXIF)},
    ),
    "params null": lambda c: c.post("/api/generate", json={"prompt": "a", "params": None}),
    "images null": lambda c: c.post("/api/generate", json={"prompt": "a", "images": None}),
    "image slot null": lambda c: c.post("/api/generate", json={"images": {"image": None}}),
    "seed null": lambda c: c.post("/api/generate", json={"prompt": "a", "seed": None}),
    "repeated limit": lambda c: c.get("/api/jobs?limit=5&limit=x"),
    "empty limit": lambda c: c.get("/api/jobs?limit=&q=x"),  # found by schemathesis in CI
    "empty flag": lambda c: c.get("/api/history?active="),
    "empty status": lambda c: c.get("/api/jobs?status="),
    "repeated offset": lambda c: c.get("/api/history?offset=x&offset=0"),
    "repeated status": lambda c: c.get("/api/jobs?status=queued&status=nope"),
    "repeated favorite": lambda c: c.get("/api/jobs?favorite=1&favorite=maybe"),
    # Flags are the document's enum, nothing near it (the server took these before).
    "flag yes": lambda c: c.get("/api/jobs?favorite=yes"),
    "flag TRUE": lambda c: c.get("/api/history?active=TRUE"),
    "flag with a space": lambda c: c.get("/api/jobs?all=%201"),
    "repeated lang": lambda c: c.get("/api/tools?lang=en&lang=xx"),
    "repeated form field": lambda c: c.post(
        "/api/generate",
        data={"prompt": ["a", "b"]},
        content_type="multipart/form-data",
    ),
    "repeated upload part": lambda c: c.post(
        "/api/uploads",
        data={"file": [(io.BytesIO(png_bytes()), "a.png"), (io.BytesIO(png_bytes()), "b.png")]},
        content_type="multipart/form-data",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_a_json_400(app, client, case):
    publish_engine(app)  # so a valid request would be accepted: the input alone decides
    response = CASES[case](client)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] in {"invalid_input", "invalid_image"} and error["message"]


def test_the_same_requests_with_good_values_are_accepted(app, client):
    """The rows above fail for the value they name, not for something else in the request."""
    publish_engine(app)
    assert client.post("/api/generate", json={"prompt": "a", "seed": "-5"}).status_code == 400
    assert client.post("/api/generate", json={"prompt": "a", "seed": "5"}).status_code == 202
    ok = _multipart(client, "/api/generate", {"prompt": "a", "seed": "7"})
    assert ok.status_code == 202 and ok.get_json()["seed"] == 7
    assert client.post("/api/generate", json={"prompt": "a", "model": None}).status_code == 202
    assert client.get("/api/jobs?offset=2147483647&limit=200").status_code == 200
    assert client.get("/api/jobs?limit=5&limit=5").get_json()["limit"] == 5
    for flag in ("1", "0", "true", "false"):
        assert client.get(f"/api/jobs?favorite={flag}&active={flag}").status_code == 200
    deep_enough = {"prompt": "a", "params": {"prompt": "b"}}
    assert _json(client, "/api/generate", json.dumps(deep_enough)).status_code == 202
    upload = _multipart(client, "/api/uploads", {}, {"file": png_bytes(fmt="JPEG")})
    assert upload.status_code == 201


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/generate", {"POST", "OPTIONS"}),
        ("/api/jobs", {"GET", "HEAD", "OPTIONS"}),
        ("/api/jobs/abc", {"GET", "HEAD", "DELETE", "OPTIONS"}),
        ("/api/cancel/abc", {"POST", "OPTIONS"}),
        ("/api/uploads", {"POST", "OPTIONS"}),
        ("/api/uploads/abc", {"GET", "HEAD", "OPTIONS"}),
        ("/api/jobs/abc/favorite", {"POST", "OPTIONS"}),
    ],
)
def test_options_lists_only_the_methods_the_route_serves(client, path, allowed):
    response = client.open(path, method="OPTIONS")
    assert response.status_code == 200
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    wrong = client.put(path)
    assert wrong.status_code == 405 and wrong.get_json()["error"]["code"] == "method_not_allowed"
    assert {m.strip() for m in wrong.headers["Allow"].split(",")} == allowed


def test_an_unknown_api_path_is_a_json_404_for_every_method(client):
    for method in ("GET", "POST", "OPTIONS"):
        response = client.open("/api/nope", method=method)
        assert response.status_code == 404 and response.is_json, method
