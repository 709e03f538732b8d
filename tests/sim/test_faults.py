"""Injected faults: fail, die, drop WebSocket, stall, slow /view (by flag and via /sim/config)."""

from __future__ import annotations

import time

import pytest
import requests
import websocket

from studio_ops.processes import start_simulator
from tests.graphs import empty_save
from tests.sim.helpers import WsClient, blur_chain, is_event, of_prompt, tag


@pytest.mark.parametrize("target", ["3", "ImageBlur"])
def test_fail_at_node(sim, target):
    sim.configure(faults={"fail_at_node": target})
    client_id = f"fail-{tag()}"
    client = sim.ws(client_id)
    prompt_id = sim.submit(blur_chain(f"f{tag()}", count=2), client_id)
    frames = of_prompt(client.until_done(prompt_id), prompt_id)
    error = next(d for k, d in frames if k == "execution_error")
    assert error["exception_type"] == "RuntimeError"
    expected_node = "3" if target == "3" else "2"  # a class matches its first node
    assert error["node_id"] == expected_node and expected_node in error["exception_message"]
    assert sim.history(prompt_id)["status"]["status_str"] == "error"
    sim.post("/sim/reset")
    assert sim.history(sim.submit(blur_chain(f"ok{tag()}", count=2)))["status"]["completed"] is True
    client.close()


def test_drop_ws_at_node_keeps_executing(sim):
    sim.configure(node_ms=100, faults={"drop_ws_at_node": "3"})
    client_id = f"drop-{tag()}"
    client = sim.ws(client_id)
    prompt_id = sim.submit(blur_chain(f"d{tag()}", count=3), client_id)
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        client.until(lambda f: False, timeout=3)
    assert any(is_event(f, "executing") and f["data"]["node"] == "3" for f in client.frames)
    sim.post("/sim/config", json={"faults": {"drop_ws_at_node": None}})
    again = WsClient(sim.url, client_id)
    first = again.recv()
    assert is_event(first, "status")
    again.until_done(prompt_id)
    assert sim.history(prompt_id)["status"]["status_str"] == "success"
    again.close()


def test_stall_until_reset_and_until_interrupt(sim):
    sim.configure(faults={"stall_at_node": "SaveImage"})
    client_id = f"stall-{tag()}"
    client = sim.ws(client_id)
    prompt_id = sim.submit(empty_save(f"st{tag()}"), client_id)
    client.until(lambda f: is_event(f, "executing") and f["data"]["node"] == "2")
    time.sleep(0.3)
    assert sim.get("/system_stats").status_code == 200  # HTTP keeps answering
    assert sim.get("/queue").json()["queue_running"][0][1] == prompt_id
    sim.post("/sim/reset")
    client.until_done(prompt_id)
    assert sim.history(prompt_id)["status"]["status_str"] == "success"

    sim.configure(faults={"stall_at_node": "2"})
    stuck = sim.submit(empty_save(f"st2{tag()}"), client_id)
    client.until(lambda f: is_event(f, "executing") and f["data"].get("node") == "2")
    sim.post("/interrupt")
    frames = of_prompt(client.until_done(stuck), stuck)
    assert next(d for k, d in frames if k == "execution_interrupted")["node_id"] == "2"
    client.close()


def test_slow_view(sim):
    prefix = f"sv{tag()}/x"
    ref = sim.history(sim.submit(empty_save(prefix)))["outputs"]["2"]["images"][0]
    sim.configure(faults={"slow_view_ms": 300})
    started = time.monotonic()
    assert sim.get("/view", params=ref).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_die_at_node_loses_memory_state(tmp_path):
    proc = start_simulator(
        tmp_path / "die", "--node-ms", "0", "--step-ms", "1", "--die-at-node", "2"
    )
    try:
        client = WsClient(proc.url, "dier")
        client.recv()
        prompt = empty_save("die/x")
        response = requests.post(
            proc.url + "/prompt", json={"prompt": prompt, "client_id": "dier"}, timeout=5
        )
        prompt_id = response.json()["prompt_id"]
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            client.until(lambda f: False, timeout=5)
        assert any(is_event(f, "executing") and f["data"]["node"] == "2" for f in client.frames)
        assert proc.popen.wait(timeout=5) != 0
    finally:
        proc.stop()
    restarted = start_simulator(tmp_path / "die", "--node-ms", "0")
    try:
        assert requests.get(f"{restarted.url}/history/{prompt_id}", timeout=5).json() == {}
        assert requests.get(restarted.url + "/history", timeout=5).json() == {}
        entry = requests.post(restarted.url + "/prompt", json={"prompt": prompt}, timeout=5).json()
        assert entry["number"] == 0  # the counter restarted too
    finally:
        restarted.stop()
