"""Schemathesis against backend/openapi.json, through the real server (uvicorn and
backend.serving, as `python -m backend` serves it, on a free port): every operation, every
check, positive and negative examples. 0 server errors and 0 schema violations (issue 9).

Bounded and repeatable: MAX_EXAMPLES per operation and mode, derandomized, no deadline.
`GET /api/events` is left out: it is an endless Server-Sent Events stream, so a request to
it never ends (tests/backend/test_events_openapi_spa.py covers it).

One check is off for three operations, because their documents cannot say what a valid
request is: `positive_data_acceptance` for `POST /api/generate` (the body is checked against
the chosen tool's parameters and slots from `GET /api/tools`) and `POST /api/uploads` (a
binary part must also decode as a PNG/JPEG/WebP within the size limits), and `POST
/api/graph/params` (a schema-valid graph may name a tool that does not exist or resemble
none). Their refusals are
still checked: JSON 4xx errors in the documented shape, and no 5xx. The same check is off
for `POST /api/auth/password`: a schema-valid body with the wrong current password is a 400,
for `POST /api/admin/tools/import` (the file must be a ComfyUI workflow) and for `PATCH
/api/admin/tools/{tool_id}` (the manifest must parse against the tool's graph).

`ignored_auth` is off everywhere: the calls carry the admin's Bearer token as a plain header
(schemathesis cannot log in by itself), so its "invalid credentials" variant still holds that
valid token and is rightly let in. Credentials are checked by tests/backend/test_auth_gate.py
instead: every route of the URL map without credentials is a 401 unless it is public.

Each operation drives Hypothesis itself (`operation.as_strategy`): schemathesis' own pytest
plugin (`schemathesis.pytest.from_fixture`) fails on pytest 9 (`Function._nodeid`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from tests.backend.helpers import bearer, publish_engine, services
from tests.backend.live_asgi import serve_in_thread

MAX_EXAMPLES = 15
DOCUMENT = Path(__file__).resolve().parents[2] / "backend" / "openapi.json"
EXCLUDED = {("GET", "/api/events")}  # endless stream, see the module docstring
VALIDATED_BEYOND_THE_DOCUMENT = {
    "POST /api/generate",
    "POST /api/uploads",
    "POST /api/auth/password",
    "POST /api/graph/params",
    "POST /api/admin/tools/import",
    "PATCH /api/admin/tools/{tool_id}",
}


def _operations() -> list[str]:
    paths = json.loads(DOCUMENT.read_text(encoding="utf-8"))["paths"]
    return [
        f"{method.upper()} {path}"
        for path, item in paths.items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
        and (method.upper(), path) not in EXCLUDED
    ]


@pytest.fixture
def schema_app(make_app, sim_url):
    """A healthy studio (a worker's heartbeat, an engine that answers), so that /health and
    /readyz answer 200 and generate gets past "no engine" to its validation."""
    app = make_app(
        RATE_LIMIT_READS="100000/second",
        RATE_LIMIT_GENERATE="100000/second",
        RATE_LIMIT_IMPORTS="100000/second",
    )
    services(app).queue.heartbeat("w1", {})
    publish_engine(app, simulator=False, url=sim_url)
    return app


@pytest.fixture
def api_headers(schema_app) -> dict[str, str]:
    """Credentials every request carries: the admin's API token, so every route is reached."""
    return bearer(schema_app, name="schemathesis")


@pytest.fixture
def api_schema(schema_app, api_headers):
    """The app's own OpenAPI document, loaded from the served app; calls go over HTTP, so the
    server's body reading, head parsing and thread hand-over are under test too."""
    with serve_in_thread(schema_app, threads=4) as url:
        yield schemathesis.openapi.from_url(
            url + "/api/openapi.json", headers=api_headers, timeout=30
        )


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", _operations())
def test_api_conforms_to_its_openapi_document(api_schema, api_headers, label, mode):
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    excluded = [ignored_auth]
    if label in VALIDATED_BEYOND_THE_DOCUMENT:
        excluded.append(positive_data_acceptance)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.call_and_validate(headers=api_headers, excluded_checks=excluded)

    try:
        check()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        pytest.skip(f"{label}: no input can be made invalid (path strings, no parameters)")
