"""Every tool end to end over HTTP: submit three ways, watch progress, fetch outputs, history."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.system.helpers import (
    TERMINAL,
    SseReader,
    data_url,
    fetch_outputs,
    generate_multipart,
    get,
    png_bytes,
    sim_output_files,
    upload,
)

# tool -> image slots to fill (required and optional alike, so every LoadImage gets a file)
TOOLS = {
    "text_to_image": [],
    "text_to_image_classic": [],
    "single_image_edit": ["input"],
    "sketch_to_image": ["sketch"],
    "face_swap": ["face", "body"],
    "multi_image_blend": ["image_a", "image_b", "image_c"],
}


def _submissions(studio, tool: str, slots: list[str], marker: str) -> list[dict]:
    """Submit the tool every way the API takes; return the 202 bodies."""
    images = {slot: png_bytes(64 + 8 * n, 48, (40 * n, 90, 200)) for n, slot in enumerate(slots)}
    fields = {"workflow": tool, "prompt": f"{marker} a lighthouse", "seed": -1}
    bodies = []
    if slots:
        by_upload = {slot: upload(studio, data) for slot, data in images.items()}
        bodies.append(studio.generate(**fields, batch_size=2, images=by_upload))
        by_url = {slot: data_url(data) for slot, data in images.items()}
        bodies.append(studio.generate(**fields, batch_size=1, images=by_url))
    else:
        bodies.append(studio.generate(**fields, batch_size=2, params={"steps": 4}))
    multipart = {**fields, "batch_size": 4 if not slots else 1, "params": {"steps": 4}}
    bodies.append(generate_multipart(studio, multipart, images))
    return bodies


def _poll_until_done(studio, job_ids: list[str], timeout: float = 60) -> dict[str, list[dict]]:
    """Poll /api/status for every job until all ended; every snapshot, per job."""
    seen: dict[str, list[dict]] = {job_id: [] for job_id in job_ids}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for job_id in job_ids:
            if not seen[job_id] or seen[job_id][-1]["status"] not in TERMINAL:
                seen[job_id].append(studio.status(job_id))
        if all(snaps[-1]["status"] in TERMINAL for snaps in seen.values()):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"jobs still running: { {k: v[-1]['status'] for k, v in seen.items()} }")


def _assert_monotonic(values: list[int], where: str) -> None:
    assert all(0 <= v <= 100 for v in values), (where, values)
    assert values == sorted(values), f"{where}: progress went backwards: {values}"


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_tool_end_to_end_over_http(studio, tool):
    marker = uuid.uuid4().hex[:8]
    sse = SseReader(studio).start()
    bodies = _submissions(studio, tool, TOOLS[tool], marker)
    job_ids = [b["job_id"] for b in bodies]
    assert all(b["status"] == "queued" and b["job"]["tool"] == tool for b in bodies)
    assert all(isinstance(b["seed"], int) and b["seed"] >= 0 for b in bodies)  # -1 resolved
    sse.expect(job_ids)

    polled = _poll_until_done(studio, job_ids)
    events = sse.wait()
    assert {e["job_id"] for e in events} >= set(job_ids)
    for body in bodies:
        job_id = body["job_id"]
        job = polled[job_id][-1]
        assert job["status"] == "finished", job
        assert job["progress"] == 100 and job["error"] is None
        assert job["seed"] == body["seed"] and job["attempts"] == 1
        assert set(job["inputs"]) == set(TOOLS[tool])
        _assert_monotonic([s["progress"] for s in polled[job_id]], f"poll {job_id}")
        streamed = sse.of(job_id)
        _assert_monotonic([e["progress"] for e in streamed], f"sse {job_id}")
        terminal = [e for e in streamed if e["status"] in TERMINAL]
        assert [e["status"] for e in terminal] == ["finished"]
        assert terminal[0]["images"] == job["images"]
        assert len(sim_output_files(studio, job_id)) == job["batch_size"]
        fetch_outputs(studio, job)
    # Progress arrived on the stream, not only the first and last values.
    in_between = {e["progress"] for e in events if e["job_id"] in job_ids} - {0, 100}
    assert in_between, "no intermediate progress event on /api/events"

    found = get(studio, "/api/history", q=marker, tool=tool, status="finished").json()
    assert found["total"] == len(job_ids)
    assert {j["job_id"] for j in found["jobs"]} == set(job_ids)


def test_history_has_real_total_filters_and_search(studio):
    marker = uuid.uuid4().hex[:8]
    ids = [
        studio.generate(prompt=f"{marker} fox {n}", params={"steps": 1})["job_id"] for n in range(3)
    ]
    for job_id in ids:
        studio.wait_status(job_id, TERMINAL)
    page = get(studio, "/api/history", q=marker, limit=2, offset=0).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert len(page["jobs"]) == 2
    rest = get(studio, "/api/history", q=marker, limit=2, offset=2).json()
    assert rest["total"] == 3 and len(rest["jobs"]) == 1
    assert {j["job_id"] for j in page["jobs"] + rest["jobs"]} == set(ids)
    # Newest first.
    assert [j["job_id"] for j in page["jobs"] + rest["jobs"]] == ids[::-1]

    fav = requests.post(
        f"{studio.url}/api/jobs/{ids[0]}/favorite",
        json={"favorite": True},
        timeout=10,
        headers=studio.headers,
    )
    assert fav.status_code == 200 and fav.json()["favorite"] is True
    favs = get(studio, "/api/history", q=marker, favorite=1).json()
    assert favs["total"] == 1 and favs["jobs"][0]["job_id"] == ids[0]
    assert get(studio, "/api/history", q=marker, status="failed").json()["total"] == 0
    assert get(studio, "/api/history", q=marker, tool="face_swap").json()["total"] == 0
    assert get(studio, "/api/history", q=f"{marker} fox 1").json()["total"] == 1
    bad = get(studio, "/api/history", status="exploded")
    assert bad.status_code == 400 and "error" in bad.json()


def test_idempotency_key_returns_the_same_job_and_runs_it_once(studio):
    key = f"sys-{uuid.uuid4().hex}"
    body = {"workflow": "text_to_image", "prompt": "same key", "seed": 7}
    answers = [
        requests.post(
            studio.url + "/api/generate",
            json=body,
            headers={**studio.headers, "Idempotency-Key": key},
            timeout=10,
        )
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [202, 202, 202]
    job_ids = {a.json()["job_id"] for a in answers}
    assert len(job_ids) == 1
    job_id = job_ids.pop()
    job = studio.wait_status(job_id, TERMINAL)
    assert job["status"] == "finished" and job["attempts"] == 1
    assert len(sim_output_files(studio, job_id)) == 1
    history = get(studio, "/api/history", q="same key").json()
    assert [j["job_id"] for j in history["jobs"] if j["seed"] == 7].count(job_id) == 1
