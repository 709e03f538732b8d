"""ComfyClient against the session simulator: uploads, prompts, progress, cancel, info."""

from __future__ import annotations

import time

import pytest
import requests
import websocket

from studio_ops.processes import free_port
from tests.helpers import wait_until
from tests.worker.helpers import (
    PNG_SIGNATURE,
    image_graph,
    load_image_graph,
    new_id,
    png,
    sim_config,
    t2i_graph,
)
from worker.comfy.client import ComfyClient
from worker.comfy.errors import ComfyError, ComfyUnavailable, ComfyValidationError


def run(client: ComfyClient, graph: dict, timeout: float = 10, **watch_kw):
    prompt_id = new_id()
    watch = client.watch(prompt_id, graph, **watch_kw)
    client.submit(graph, prompt_id)
    return watch, watch.wait(timeout)


def test_upload_returns_the_loadimage_value_with_comfys_name(client):
    name = f"up-{new_id()}.png"
    assert client.upload_image(png("red", 4), name) == f"studio/{name}"
    # Identical bytes without overwrite: same name; different bytes: ComfyUI renames.
    assert client.upload_image(png("red", 4), name, overwrite=False) == f"studio/{name}"
    renamed = client.upload_image(png("blue", 4), name, overwrite=False)
    assert renamed == f"studio/{name[:-4]} (1).png"
    _, result = run(client, load_image_graph(renamed))
    assert result.status == "success"


def test_submit_runs_and_outputs_download_as_png(client):
    watch, result = run(client, image_graph(prefix="test/ok"))
    assert result.status == "success" and result.error is None
    assert watch.progress == 100
    assert set(result.executed_nodes) == {"1", "2"}
    images = result.outputs["2"]["images"]
    assert images[0]["filename"].startswith("ok_") and images[0]["subfolder"] == "test"
    files = client.download_outputs(result.outputs)
    assert len(files) == 1 and files[0][0] == images[0]
    assert files[0][1].startswith(PNG_SIGNATURE)
    assert client.get_history(result.prompt_id)["outputs"] == result.outputs


def test_validation_error_names_node_and_input(client):
    graph = t2i_graph(steps=20000)
    prompt_id = new_id()
    watch = client.watch(prompt_id, graph)
    with pytest.raises(ComfyValidationError) as info:
        client.submit(graph, prompt_id)
    assert info.value.message == "KSampler #3: steps: Value 20000 bigger than max of 10000"
    assert info.value.node_errors["3"]["class_type"] == "KSampler"
    assert info.value.status == 400
    with pytest.raises(ComfyValidationError):
        watch.wait(1)  # a waiter learns why, instead of timing out


def test_validation_error_without_node_errors(client):
    graph = {"1": {"class_type": "NoSuchNode", "inputs": {}}}
    with pytest.raises(ComfyValidationError, match="NoSuchNode does not exist") as info:
        client.submit(graph, new_id())
    assert info.value.node_errors == {}


def test_partly_valid_prompt_is_an_error_and_is_taken_back(client, sim_url):
    sim_config(sim_url, node_ms=300)
    # Fresh color (no cache hit) and an extra node: the interrupt lands between nodes.
    graph = {
        **image_graph(prefix="test/partial", color=int(time.time() * 1000) % 0xFFFFFF),
        "5": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {
            "class_type": "ImageScale",
            "inputs": {
                "image": ["1", 0],
                "upscale_method": "magic",
                "width": 8,
                "height": 8,
                "crop": "disabled",
            },
        },
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "x"}},
    }
    graph["2"]["inputs"]["images"] = ["5", 0]
    prompt_id = new_id()
    with pytest.raises(ComfyValidationError, match=r"ImageScale #3: upscale_method: Value not in"):
        client.submit(graph, prompt_id)
    entry = wait_until(
        lambda: client.get_history(prompt_id), 5, "partial prompt history", every=0.02
    )
    assert entry["status"]["status_str"] == "error"  # interrupted, not run to the end


def test_runtime_error_names_node_class_and_exception(client, sim_url):
    sim_config(sim_url, faults={"fail_at_node": "SaveImage"})
    _, result = run(client, image_graph())
    assert result.status == "error"
    assert result.error.startswith("SaveImage #2: ")
    assert result.outputs == {}


def test_cancel_deletes_pending_and_interrupts_running(client, sim_url):
    sim_config(sim_url, step_ms=100)
    graphs = {new_id(): t2i_graph(steps=100, seed=s) for s in (11, 12, 13)}
    ids = list(graphs)
    watches = {pid: client.watch(pid, g) for pid, g in graphs.items()}
    client.submit(graphs[ids[0]], ids[0])
    client.submit(graphs[ids[1]], ids[1])
    client.submit(graphs[ids[2]], ids[2], front=True)
    running, pending = client.get_queue()
    assert running == [ids[0]] and pending == [ids[2], ids[1]]  # front=True runs next
    assert client.queue_remaining() == 3
    wait_until(lambda: watches[ids[0]].step, 5, "first sampler step", every=0.02)

    assert client.cancel(ids[1]) == "deleted"
    assert client.cancel(ids[2]) == "deleted"
    assert client.get_queue() == ([ids[0]], [])  # deleting never touches the running one
    assert not watches[ids[0]].done
    assert client.cancel(ids[0]) == "interrupted"
    result = watches[ids[0]].wait(5)
    assert result.status == "interrupted" and "KSampler #3" in result.error
    for pid in ids[1:]:
        assert watches[pid].wait(1).status == "interrupted"
    assert client.cancel(ids[0]) == "not_found"
    assert client.get_queue() == ([], [])
    assert client.get_history(ids[1]) is None  # deleted prompts never reach history


def test_progress_is_monotonic_and_reaches_100(client):
    seen: list[int] = []
    steps: list[tuple[int, int]] = []

    def on_update(w):
        seen.append(w.progress)
        if w.step:
            steps.append(w.step)

    watch, result = run(client, t2i_graph(steps=20, seed=5), on_update=on_update)
    assert result.status == "success"
    assert seen == sorted(seen)
    assert seen[-1] == 100 and watch.progress == 100
    assert any(0 < p < 100 for p in seen)
    assert (20, 20) in steps


def test_fully_cached_repeat_still_completes(client):
    graph = image_graph(prefix="test/cached", color=123)
    _, first = run(client, graph)
    watch, again = run(client, graph)
    assert again.status == "success"
    assert set(again.cached_nodes) == {"1", "2"}
    assert again.executed_nodes == []
    assert again.outputs == first.outputs  # same files, re-sent by `executed`
    assert watch.progress == 100


def test_previews_reach_the_watch(client, sim_url):
    sim_config(sim_url, preview=True)
    watch, result = run(client, t2i_graph(steps=3, seed=9))
    assert result.status == "success"
    image, mime = watch.preview
    assert mime in ("image/jpeg", "image/png") and len(image) > 0


def test_slow_view_against_the_download_timeout(client, sim_url):
    _, result = run(client, image_graph(prefix="test/slow"))
    image = result.outputs["2"]["images"][0]
    sim_config(sim_url, faults={"slow_view_ms": 1500})
    started = time.monotonic()
    with pytest.raises(ComfyUnavailable, match=r"within 0\.3 s"):
        client.download(image, timeout=0.3)
    assert time.monotonic() - started < 1.2
    assert client.download(image, timeout=5).startswith(PNG_SIGNATURE)


def test_download_of_a_missing_file_is_an_error(client):
    with pytest.raises(ComfyError) as info:
        client.download({"filename": "nope.png", "subfolder": "", "type": "output"})
    assert info.value.status == 404


def test_models_object_info_and_stats(client):
    assert "checkpoints" in client.list_model_folders()
    assert "sd15-demo.safetensors" in client.list_models("checkpoints")
    assert client.list_models("no_such_folder") == []
    assert "required" in client.object_info("LoadImage")["LoadImage"]["input"]
    assert client.object_info("NoSuchNode") == {}
    assert "KSampler" in client.object_info()
    assert client.system_stats()["system"]["simulator"] is True
    assert client.ping() is True


def test_unreachable_comfyui_raises_unavailable_quickly():
    url = f"http://127.0.0.1:{free_port()}"
    with ComfyClient(url, new_id("test"), timeout=0.5) as client:
        assert client.ping() is False
        started = time.monotonic()
        with pytest.raises(ComfyUnavailable, match="unreachable"):
            client.submit(image_graph(), new_id())
        with pytest.raises(ComfyUnavailable):
            client.get_queue()
        assert time.monotonic() - started < 2


def test_http_session_and_websocket_connection_are_injectable(sim_url):
    opened: list[str] = []

    def connect_ws(url: str, timeout: float) -> websocket.WebSocket:
        opened.append(url)
        return websocket.create_connection(url, timeout=timeout)

    with requests.Session() as session:
        client_id = new_id("injected")
        with ComfyClient(
            sim_url, client_id, timeout=5, session=session, connect_ws=connect_ws
        ) as c:
            _, result = run(c, image_graph(prefix="test/injected"))
            assert result.status == "success"
        assert opened[0] == sim_url.replace("http", "ws", 1) + f"/ws?clientId={client_id}"
        assert session.get(sim_url + "/system_stats", timeout=5).ok  # ours: left open
