"""run_stack_test against a live studio: a pass, an engine failure, and a closed port."""

from __future__ import annotations

from PIL import Image

from studio_ops.processes import free_port
from tests.ops.helpers import run_script


def test_passes_on_a_healthy_studio_and_saves_the_png(live_studio, tmp_path):
    saved = tmp_path / "out.png"
    ran = run_script(
        "run_stack_test",
        live_studio.url,
        "--token",
        live_studio.token,
        "--timeout",
        "60",
        "--save",
        str(saved),
    )
    assert ran.code == 0, ran.out
    assert "stack_test: health ok" in ran.out
    assert "stack_test: submitted job " in ran.out
    assert "stack_test: finished after " in ran.out
    assert "stack_test: timings submit=" in ran.out and "total=" in ran.out
    assert ran.out.rstrip().endswith("stack_test: PASS")
    with Image.open(saved) as image:
        assert image.format == "PNG"
        assert image.size == (1024, 1024)  # the 1:1 preset


def test_failed_job_exits_1_with_the_job_error(live_studio):
    live_studio.sim_config(faults={"fail_at_node": "KSampler"})
    try:
        ran = run_script(
            "run_stack_test",
            live_studio.url,
            "--token",
            live_studio.token,
            "--timeout",
            "60",
            "--seed",
            "7",
        )
    finally:
        live_studio.sim_config(faults={"fail_at_node": None})
    assert ran.code == 1, ran.out
    assert "stack_test: FAIL: job " in ran.out and " failed: " in ran.out


def test_invalid_request_exits_1_with_the_api_message(live_studio):
    ran = run_script(
        "run_stack_test", live_studio.url, "--token", live_studio.token, "--steps", "999"
    )
    assert ran.code == 1, ran.out
    assert "stack_test: FAIL: submit refused: HTTP 400 " in ran.out
    assert "(field steps)" in ran.out or "steps" in ran.out


def test_closed_port_exits_2():
    ran = run_script("run_stack_test", f"http://127.0.0.1:{free_port()}")
    assert ran.code == 2
    assert "unreachable (connection refused)" in ran.out
