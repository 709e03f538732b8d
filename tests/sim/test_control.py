"""Queue, interrupt, history and WebSocket routing (protocol §2, §3, §3.3, §3.4, §5, §7)."""

from __future__ import annotations

import json
import struct
import time

import pytest
import websocket

from tests.graphs import empty_save, t2i
from tests.sim.helpers import blur_chain, is_event, of_prompt, tag


def _wait_running(sim, prompt_id: str, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = sim.get("/queue").json()["queue_running"]
        if running and running[0][1] == prompt_id:
            return
        time.sleep(0.01)
    raise AssertionError(f"{prompt_id} never ran")


def _remaining(frame) -> int | None:
    return (
        frame["data"]["status"]["exec_info"]["queue_remaining"]
        if is_event(frame, "status")
        else None
    )


def test_global_interrupt_stops_at_next_node(sim):
    sim.configure(node_ms=150)
    client_id = f"int-{tag()}"
    client = sim.ws(client_id)
    prompt_id = sim.submit(blur_chain(f"i{tag()}", count=4), client_id)
    client.until(lambda f: is_event(f, "executing") and f["data"]["node"] == "2")
    assert sim.get(f"/history/{prompt_id}").json() == {}  # running: not in history yet
    assert sim.post("/interrupt").status_code == 200
    frames = of_prompt(client.until_done(prompt_id), prompt_id)
    kinds = [k for k, _ in frames]
    assert kinds[-4:] == ["executing", "execution_interrupted", "status", "executing"]
    interrupted = frames[-3][1]
    assert (
        interrupted["node_id"] == "3" and interrupted["node_type"] == "ImageBlur"
    )  # node 2 finished
    assert interrupted["executed"] == ["1", "2"]
    entry = sim.history(prompt_id)
    assert entry["status"]["status_str"] == "error" and entry["status"]["completed"] is False
    assert entry["status"]["messages"][-1][0] == "execution_interrupted" and entry["outputs"] == {}
    client.close()


def test_interrupt_in_sampler_and_next_prompt_runs(sim):
    sim.configure(step_ms=20)
    client_id = f"ks-{tag()}"
    client = sim.ws(client_id)
    slow = sim.submit(t2i(f"slow {tag()}", steps=200, prefix=f"k{tag()}"), client_id)
    after = sim.submit(empty_save(f"after{tag()}"), client_id)
    client.until(lambda f: is_event(f, "progress") and f["data"]["value"] == 2)
    started = time.monotonic()
    sim.post("/interrupt", json={"prompt_id": slow})
    frames = of_prompt(client.until_done(slow), slow)
    assert time.monotonic() - started < 1.0
    interrupted = next(d for k, d in frames if k == "execution_interrupted")
    assert interrupted["node_id"] == "3" and interrupted["node_type"] == "KSampler"
    assert "3" not in interrupted["executed"]
    assert max(d["value"] for k, d in frames if k == "progress") < 200
    done = of_prompt(client.until_done(after), after)
    assert any(k == "execution_success" for k, _ in done)  # pending prompts start normally
    client.close()


def test_targeted_interrupt_only_hits_running_prompt(sim):
    sim.configure(node_ms=100)
    running = sim.submit(blur_chain(f"tr{tag()}", count=2))
    pending = sim.submit(empty_save(f"tp{tag()}"))
    _wait_running(sim, running)
    assert sim.post("/interrupt", json={"prompt_id": pending}).status_code == 200
    assert sim.post("/interrupt", json={"prompt_id": "not-running"}).status_code == 200
    assert sim.history(running)["status"]["status_str"] == "success"
    assert sim.history(pending)["status"]["status_str"] == "success"
    victim = sim.submit(blur_chain(f"tv{tag()}", count=3))
    _wait_running(sim, victim)
    sim.post("/interrupt", json={"prompt_id": victim})
    assert sim.history(victim)["status"]["messages"][-1][0] == "execution_interrupted"


def test_interrupt_while_idle_does_not_hit_next_prompt(sim):
    sim.post("/interrupt")
    entry = sim.history(sim.submit(empty_save(f"idle{tag()}")))
    assert entry["status"]["status_str"] == "success"


def test_queue_numbers_delete_and_clear(sim):
    sim.configure(node_ms=100)
    watcher = sim.ws()
    blocker = sim.submit(blur_chain(f"q{tag()}", count=3))
    _wait_running(sim, blocker)
    normal = sim.post("/prompt", json={"prompt": empty_save(f"n{tag()}")}).json()
    front = sim.post("/prompt", json={"prompt": empty_save(f"f{tag()}"), "front": True}).json()
    explicit = sim.post("/prompt", json={"prompt": empty_save(f"e{tag()}"), "number": -100}).json()
    own = sim.post(
        "/prompt", json={"prompt": empty_save(f"o{tag()}"), "prompt_id": f"my-own-id-{tag()}"}
    ).json()
    assert front["number"] == -(normal["number"] + 1) and explicit["number"] == -100.0
    assert own["prompt_id"].startswith("my-own-id-")
    queue = sim.get("/queue").json()
    assert queue["queue_running"][0][1] == blocker and len(queue["queue_running"][0]) == 5
    pending = sorted(queue["queue_pending"], key=lambda item: item[0])
    assert [item[1] for item in pending] == [
        explicit["prompt_id"],
        front["prompt_id"],
        normal["prompt_id"],
        own["prompt_id"],
    ]
    assert sim.get("/prompt").json() == {"exec_info": {"queue_remaining": 5}}
    assert sim.get(f"/history/{normal['prompt_id']}").json() == {}  # queued: not in history
    watcher.until(lambda f: _remaining(f) == 5)
    sim.post("/queue", json={"delete": [front["prompt_id"], "unknown"]})
    watcher.until(lambda f: _remaining(f) == 4)
    sim.post("/queue", json={"clear": True})
    assert [
        _remaining(f) for f in watcher.until(lambda f: _remaining(f) == 1) if is_event(f, "status")
    ] == [1]
    assert sim.history(blocker)["status"]["status_str"] == "success"  # the running one continues
    for gone in (front, normal, explicit, own):
        assert sim.get(f"/history/{gone['prompt_id']}").json() == {}
    watcher.close()


def test_history_listing_and_deletion(sim):
    ids = [sim.submit(empty_save(f"h{tag()}")) for _ in range(3)]
    sim.history(ids[-1])
    everything = list(sim.get("/history").json())
    assert everything[-3:] == ids
    assert list(sim.get("/history", params={"max_items": 2}).json()) == ids[1:]
    start = len(everything) - 3
    assert list(sim.get("/history", params={"offset": start, "max_items": 2}).json()) == ids[:2]
    sim.post("/history", json={"delete": [ids[0]]})
    assert sim.get(f"/history/{ids[0]}").json() == {}
    assert sim.get(f"/api/history/{ids[1]}").json()[ids[1]]["status"]["completed"] is True
    sim.post("/history", json={"clear": True})
    assert sim.get("/history").json() == {}


def test_routing_by_client_id(sim):
    mine, other = f"mine-{tag()}", f"other-{tag()}"
    me, them = sim.ws(mine), sim.ws(other)
    prompt_id = sim.submit(empty_save(f"rt{tag()}"), mine)
    me.until_done(prompt_id)
    them.until(
        lambda f: is_event(f, "status") and f["data"]["status"]["exec_info"]["queue_remaining"] == 0
    )
    assert {f["type"] for f in them.frames} == {"status"}
    me.close()
    them.close()


def test_prompt_without_client_id_only_broadcasts_status_and_progress_state(sim):
    watcher = sim.ws(f"watch-{tag()}")
    prompt_id = sim.submit(empty_save(f"nc{tag()}"))
    watcher.until(
        lambda f: is_event(f, "status") and f["data"]["status"]["exec_info"]["queue_remaining"] == 0
    )
    assert {f["type"] for f in watcher.frames} == {"status", "progress_state"}
    assert sim.history(prompt_id)["status"]["status_str"] == "success"
    watcher.close()


def test_ws_handshake_reconnect_and_feature_flags(sim):
    sim.configure(node_ms=200)
    client_id = f"re-{tag()}"
    first = sim.ws(client_id)
    prompt_id = sim.submit(blur_chain(f"rc{tag()}", count=3), client_id)
    first.until(lambda f: is_event(f, "executing") and f["data"]["node"] == "2")
    second = websocket.create_connection(
        sim.url.replace("http", "ws") + f"/ws?clientId={client_id}", timeout=5
    )
    assert json.loads(second.recv()) == {
        "type": "status",
        "data": {"status": {"exec_info": {"queue_remaining": 1}}, "sid": client_id},
    }
    assert json.loads(second.recv()) == {"type": "executing", "data": {"node": "2"}}
    frames = []
    while not frames or frames[-1].get("data") != {"node": None, "prompt_id": prompt_id}:
        frames.append(json.loads(second.recv()))
    first.ws.settimeout(0.2)  # the replaced socket stays open but hears nothing more
    with pytest.raises(websocket.WebSocketTimeoutException):
        first.ws.recv()
    second.close()
    first.close()
    anonymous = websocket.create_connection(sim.url.replace("http", "ws") + "/ws", timeout=5)
    assert len(json.loads(anonymous.recv())["data"]["sid"]) == 32
    anonymous.send(
        json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}})
    )
    assert json.loads(anonymous.recv()) == {
        "type": "feature_flags",
        "data": {"supports_preview_metadata": True, "max_upload_size": 104857600},
    }
    anonymous.send(json.dumps({"type": "feature_flags", "data": {}}))  # not first: ignored
    anonymous.settimeout(0.2)
    with pytest.raises(websocket.WebSocketTimeoutException):
        anonymous.recv()
    anonymous.close()


@pytest.mark.parametrize("with_metadata", [False, True])
def test_binary_previews(sim, with_metadata):
    sim.configure(preview=True)
    client_id = f"pv-{tag()}"
    client = sim.ws(client_id, flags={"supports_preview_metadata": True} if with_metadata else None)
    if with_metadata:
        assert client.recv()["type"] == "feature_flags"
    prompt_id = sim.submit(t2i(f"preview {tag()}", steps=2, prefix=f"pv{tag()}"), client_id)
    frames = client.until_done(prompt_id)
    binaries = [i for i, f in enumerate(frames) if isinstance(f, bytes)]
    assert len(binaries) == 2
    for index in binaries:
        frame = frames[index]
        if with_metadata:
            assert frame[:4] == b"\x00\x00\x00\x04" and is_event(frames[index + 1], "progress")
            length = struct.unpack(">I", frame[4:8])[0]
            meta = json.loads(frame[8 : 8 + length])
            assert meta == {
                "node_id": "3",
                "prompt_id": prompt_id,
                "display_node_id": "3",
                "parent_node_id": None,
                "real_node_id": "3",
                "image_type": "image/jpeg",
            }
            assert frame[8 + length : 8 + length + 2] == b"\xff\xd8"
        else:
            assert frame[:8] == b"\x00\x00\x00\x01\x00\x00\x00\x01" and frame[8:10] == b"\xff\xd8"
            assert is_event(frames[index - 1], "progress")
    client.close()
