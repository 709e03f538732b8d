"""The shipped docker-compose.yml and Dockerfile, unmodified, with the demo profile: up with
the README's commands, healthy, one published port, logs written, migrations once, a job end
to end, workers restarted mid-job without loss, and `down` + `up` keeping history and images.

The tests share one stack and run in file order (the last one takes it down and up again).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from datetime import datetime

import pytest

from studio_core.db.migrate import head_revision

pytestmark = [pytest.mark.compose, pytest.mark.timeout(1500)]

SERVICES = {"redis", "mysql", "backend", "worker", "comfyui-sim", "worker-demo"}
PNG = b"\x89PNG\r\n\x1a\n"


def _started(stack, service: str, *, all_states: bool = False) -> dict:
    (container,) = [c for c in stack.project.ps(all_states=all_states) if c["Service"] == service]
    return container


def _inspect_time(stack, container: str, key: str) -> datetime:
    raw = subprocess.run(
        ["docker", "inspect", "--format", "{{.State." + key + "}}", container],
        capture_output=True,
        text=True,
        check=True,
        env=stack.project.env,
    ).stdout.strip()
    # Docker prints nanoseconds; datetime takes microseconds.
    raw = re.sub(r"\.(\d{6})\d*", r".\1", raw).replace("Z", "+00:00")
    return datetime.fromisoformat(raw)


def test_every_service_is_healthy_and_only_the_studio_port_is_published(compose_stack):
    running = compose_stack.project.ps()
    assert {c["Service"] for c in running} == SERVICES
    for container in running:
        assert container["State"] == "running", container
        assert container["Health"] == "healthy", container
    published = [
        (c["Service"], p["URL"], p["PublishedPort"], p["TargetPort"])
        for c in running
        for p in c.get("Publishers") or []
        if p.get("PublishedPort")
    ]
    assert published == [("backend", "127.0.0.1", compose_stack.port, 5000)]


def test_the_page_loads_and_logs_are_written(compose_stack):
    page = compose_stack.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "<title>" in page.text and "ComfyUI Studio" in page.text
    assert compose_stack.get("/livez").status_code == 200
    assert compose_stack.get("/readyz").status_code == 200
    listing = compose_stack.project.exec(
        "backend", "sh", "-c", "for f in /app/logs/*.log; do echo $(wc -c < $f) $f; done"
    )
    sizes = {line.split()[1]: int(line.split()[0]) for line in listing.splitlines()}
    for name in ("backend", "worker", "migrate"):
        assert sizes.get(f"/app/logs/{name}.log", 0) > 0, listing
    readme_logs = compose_stack.readme("logs").stdout
    assert "service=backend" in readme_logs and "service=worker" in readme_logs
    said = compose_stack.project.logs()
    for bad in ("PermissionError", "Logging error", "file logs are off", "Traceback"):
        assert bad not in said, f"{bad!r} in docker compose logs"


def test_migrations_ran_once_before_the_backend_served(compose_stack):
    migrate = _started(compose_stack, "migrate", all_states=True)
    assert migrate["State"] == "exited" and migrate["ExitCode"] == 0, migrate
    logs = compose_stack.project.exec(
        "backend", "cat", "/app/logs/migrate.log", "/app/logs/backend.log"
    )
    applied = [line for line in logs.splitlines() if "migrations applied" in line]
    assert len(applied) == 1, applied
    assert f"from=empty to={head_revision()}" in applied[0] and "service=migrate" in applied[0]
    backend = _started(compose_stack, "backend")
    assert _inspect_time(compose_stack, migrate["Name"], "FinishedAt") <= _inspect_time(
        compose_stack, backend["Name"], "StartedAt"
    )


def _finished_job(stack, prompt: str, **params) -> dict:
    body = stack.generate(workflow="text_to_image", prompt=prompt, seed=-1, params=params)
    return stack.wait_job(body["job_id"], {"finished", "failed", "cancelled"})


def test_a_job_runs_end_to_end_on_the_demo_engine(compose_stack):
    job = _finished_job(compose_stack, "a lighthouse in docker")
    assert job["status"] == "finished", job
    assert job["progress"] == 100 and job["error"] is None
    image = compose_stack.get(job["images"][0])
    assert image.status_code == 200 and image.content.startswith(PNG)
    thumb = compose_stack.get(job["outputs"][0]["thumb_url"])
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/webp"
    compose_stack.finished = [job["job_id"]]


def test_restarting_the_workers_mid_job_loses_nothing(compose_stack):
    compose_stack.sim_config(step_ms=600)
    try:
        jobs = [
            compose_stack.generate(
                workflow="text_to_image", prompt=f"restart {n}", seed=n + 1, params={"steps": 30}
            )["job_id"]
            for n in range(3)
        ]
        compose_stack.wait_job(jobs[0], {"processing"}, timeout=60, stage="running")
        compose_stack.readme("restart", timeout=300)
        ended = [compose_stack.wait_job(j, {"finished", "failed", "cancelled"}, 300) for j in jobs]
    finally:
        compose_stack.sim_config(step_ms=100)
    assert [job["status"] for job in ended] == ["finished"] * 3, ended
    # The restart hit work in progress: the stopping worker held the running job, handed it
    # back after its grace, and the restarted worker picked up ComfyUI's prompt again.
    said = compose_stack.project.logs("worker-demo")
    assert re.search(rf"worker stopping id=demo-worker in_flight=\[[^]]*'{jobs[0]}'", said), said
    assert f"job={jobs[0]} reusing ComfyUI prompt" in said, said
    for job in ended:
        assert len(job["images"]) == job["batch_size"]
        assert compose_stack.get(job["images"][0]).status_code == 200
    compose_stack.finished += jobs


def test_the_monitoring_profiles_prometheus_scrapes_the_backend_with_the_token(compose_stack):
    """The shipped `prometheus` service beside the running stack: its token arrives as the
    compose `configs:` file and the backend's /metrics answers it (Grafana has no stand-in)."""
    project = compose_stack.project
    project.run("--profile", "monitoring", "up", "-d", "--wait", "prometheus", timeout=300)
    try:
        deadline = time.monotonic() + 90
        answer = ""
        while time.monotonic() < deadline:
            answer = project.exec(
                "prometheus",
                "promtool",
                "query",
                "instant",
                "http://127.0.0.1:9090",
                'up{job="comfyui-studio"} * on() group_left() max(studio_workers_online)',
            )
            if "=>" in answer:
                break
            time.sleep(2)
        # up (1) times the workers the backend reported: both the scrape and its content.
        assert re.search(r"=> 2 @", answer), answer
    finally:
        project.run("--profile", "monitoring", "rm", "--stop", "--force", "prometheus")


def test_down_and_up_keep_history_and_images(compose_stack):
    job_ids = compose_stack.finished
    before = {}
    for job_id in job_ids:
        job = compose_stack.get(f"/api/status/{job_id}").json()
        before[job_id] = hashlib.sha256(compose_stack.get(job["images"][0]).content).hexdigest()
    compose_stack.readme("down", timeout=300)
    assert compose_stack.project.ps() == []
    compose_stack.readme("up")
    for job_id, digest in before.items():
        job = compose_stack.get(f"/api/status/{job_id}").json()  # the same token: sessions kept
        assert job["status"] == "finished", job
        image = compose_stack.get(job["images"][0])
        assert hashlib.sha256(image.content).hexdigest() == digest
    history = compose_stack.get("/api/history", params={"limit": 50}).json()
    assert set(job_ids) <= {j["job_id"] for j in history["jobs"]}
    # The second `up` found the schema current: still one "migrations applied" in all.
    logs = compose_stack.project.exec("backend", "cat", "/app/logs/migrate.log")
    assert logs.count("migrations applied") == 1 and "schema current" in logs
