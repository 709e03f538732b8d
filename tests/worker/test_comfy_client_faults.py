"""ComfyClient under injected faults: dropped WebSocket, stall, ComfyUI killed and restarted."""

from __future__ import annotations

import time

import pytest

from studio_ops.processes import start_simulator
from tests.worker.helpers import PNG_SIGNATURE, image_graph, new_id, sim_config, t2i_graph
from worker.comfy.client import ComfyClient
from worker.comfy.errors import ComfyPromptLost, ComfyTimeout, ComfyUnavailable

FAST = ("--node-ms", "0", "--step-ms", "5")


def test_ws_dropped_mid_run_reconnects_and_follows_the_rest(slow_poll_client, sim_url):
    sim_config(sim_url, step_ms=40, faults={"drop_ws_at_node": "3"})
    client = slow_poll_client
    graph = t2i_graph(steps=20, seed=21)
    prompt_id = new_id()
    seen: list[int] = []
    watch = client.watch(prompt_id, graph, on_update=lambda w: seen.append(w.progress))
    client.submit(graph, prompt_id)
    result = watch.wait(8)
    assert result.status == "success"
    assert client.ws_connections >= 2
    assert seen == sorted(seen) and watch.progress == 100
    assert client.download_outputs(result.outputs)[0][1].startswith(PNG_SIGNATURE)


def test_prompt_that_ends_while_the_socket_is_down_ends_via_history(slow_poll_client, sim_url):
    sim_config(sim_url, faults={"drop_ws_at_node": "SaveImage"})
    client = slow_poll_client
    graph = image_graph(prefix="test/dropped")
    prompt_id = new_id()
    watch = client.watch(prompt_id, graph)
    client.submit(graph, prompt_id)
    result = watch.wait(5)
    assert result.status == "success"
    assert result.outputs["2"]["images"][0]["filename"].startswith("dropped_")
    # It may have ended before the reconnect (history read at once when the socket was
    # down at submit time); the socket still comes back.
    deadline = time.monotonic() + 3
    while client.ws_connections < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.ws_connections >= 2 and client.ws_connected


def test_stalled_prompt_raises_comfy_timeout(tmp_path):
    sim = start_simulator(tmp_path / "sim", *FAST, "--stall-at-node", "2")
    try:
        with ComfyClient(sim.url, new_id("test"), timeout=5, poll_interval=0.2) as client:
            graph = image_graph(prefix="test/stall")
            prompt_id = new_id()
            watch = client.watch(prompt_id, graph)
            client.submit(graph, prompt_id)
            started = time.monotonic()
            with pytest.raises(ComfyTimeout, match=r"did not finish within 0\.8 s"):
                watch.wait(0.8)
            assert time.monotonic() - started < 2
            assert watch.current_node == "2"
    finally:
        sim.stop(sig_kill=True)


def test_comfyui_killed_mid_run_then_restarted(tmp_path):
    sim = start_simulator(tmp_path / "a", *FAST, "--die-at-node", "SaveImage")
    client = ComfyClient(sim.url, new_id("test"), timeout=2, poll_interval=0.2, backoff_cap=0.3)
    restarted = None
    try:
        graph = image_graph(prefix="test/die")
        prompt_id = new_id()
        watch = client.watch(prompt_id, graph)
        client.submit(graph, prompt_id)
        with pytest.raises(ComfyUnavailable, match=r"unreachable for 0\.5 s"):
            watch.wait(10, unreachable_timeout=0.5)
        sim.popen.wait(5)
        assert client.ping() is False
        assert not client.ws_connected

        # ComfyUI comes back on the same port with empty memory: the prompt is lost.
        restarted = start_simulator(tmp_path / "b", *FAST, port=sim.port)
        deadline = time.monotonic() + 5
        while not client.ws_connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.ws_connected
        with pytest.raises(ComfyPromptLost):
            watch.wait(5)
        again = new_id()
        watch = client.watch(again, graph)
        client.submit(graph, again)
        assert watch.wait(5).status == "success"
    finally:
        client.close()
        sim.stop(sig_kill=True)
        if restarted:
            restarted.stop()
