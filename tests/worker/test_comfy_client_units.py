"""Pure logic of the ComfyUI client: progress model, messages, routing, errors (no server)."""

from __future__ import annotations

import json
import struct
import threading
import time

import pytest

from worker.comfy.errors import (
    ComfyPromptLost,
    ComfyTimeout,
    ComfyUnavailable,
    describe_execution_error,
    describe_validation,
)
from worker.comfy.progress import GraphProgress, node_weight
from worker.comfy.watch import PromptWatch
from worker.comfy.ws import WsRouter, backoff_delay, parse_preview

T2I = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "x.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "b", "clip": ["4", 1]}},
    "3": {"class_type": "KSampler", "inputs": {"steps": 10, "model": ["4", 0], "seed": 1}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "t"}},
}


def _watch(graph=T2I, reconcile=None, **kw) -> PromptWatch:
    return PromptWatch("P", graph, reconcile=reconcile or (lambda w: None), **kw)


@pytest.mark.parametrize(
    ("node", "weight"),
    [
        ({"class_type": "KSampler", "inputs": {"steps": 30}}, 30.0),
        ({"class_type": "KSamplerAdvanced", "inputs": {"steps": 8}}, 8.0),
        ({"class_type": "KSampler", "inputs": {"steps": ["12", 0]}}, 1.0),  # linked: unknown yet
        ({"class_type": "BasicScheduler", "inputs": {"steps": 30}}, 1.0),  # not a sampler
        ({"class_type": "SaveImage", "inputs": {}}, 1.0),
        ({"class_type": "KSampler", "inputs": {"steps": True}}, 1.0),
    ],
)
def test_node_weight(node, weight):
    assert node_weight(node) == weight


def test_progress_is_weighted_by_sampler_steps_and_monotonic():
    progress = GraphProgress(T2I)  # 6 plain nodes + 10 steps = 16
    progress.cached(["4", "5"])
    assert progress.percent == 12  # 2/16
    progress.running("6")
    progress.running("7")  # 6 finished
    progress.running("3")  # 7 finished
    assert progress.percent == 25
    for k in range(1, 11):
        progress.step("3", k, 10)
    assert progress.percent == 87  # 14/16
    progress.state({"3": {"value": 2, "max": 10, "state": "running"}})  # stale frame
    assert progress.percent == 87
    progress.running("8")
    progress.done("8")
    progress.done("9")
    assert progress.percent == 99  # all done, but no terminal message yet
    progress.finish()
    assert progress.percent == 100


def test_progress_learns_step_count_late_and_never_goes_back():
    graph = {
        "1": {"class_type": "SamplerCustom", "inputs": {}},
        "2": {"class_type": "SaveImage", "inputs": {}},
    }
    progress = GraphProgress(graph)
    progress.state({"1": {"value": 0.0, "max": 1.0, "state": "running"}})
    progress.running("1")
    seen = []
    for k in range(1, 21):
        progress.step("1", k, 20)
        seen.append(progress.percent)
    assert seen == sorted(seen)
    assert seen[-1] == 95  # weights now 20 + 1


def test_progress_of_empty_graph_does_not_divide_by_zero():
    progress = GraphProgress({})
    progress.done("1")
    progress.step("1", 1, 0)
    assert progress.percent == 0
    progress.finish()
    assert progress.percent == 100


def test_watch_follows_the_documented_message_order():
    updates = []
    watch = _watch(on_update=lambda w: updates.append(w.progress))
    seq = [
        ("execution_start", {"prompt_id": "P"}),
        ("execution_cached", {"nodes": ["4"], "prompt_id": "P"}),
        ("executing", {"node": "5", "prompt_id": "P"}),
        ("executing", {"node": "6", "prompt_id": "P"}),
        ("executing", {"node": "7", "prompt_id": "P"}),
        ("executing", {"node": "3", "prompt_id": "P"}),
        *[("progress", {"value": k, "max": 10, "node": "3", "prompt_id": "P"}) for k in (1, 5)],
    ]
    for msg_type, data in seq:
        watch.handle(msg_type, data)
    assert watch.current_node == "3"
    assert watch.step == (5, 10)
    assert 0 < watch.progress < 100
    out = {"images": [{"filename": "t_00001_.png", "subfolder": "", "type": "output"}]}
    watch.handle("executing", {"node": "9", "prompt_id": "P"})
    watch.handle("executed", {"node": "9", "output": out, "prompt_id": "P"})
    watch.handle("execution_success", {"prompt_id": "P"})
    watch.handle("executing", {"node": None, "prompt_id": "P"})
    result = watch.wait(1)
    assert result.status == "success"
    assert result.outputs == {"9": out}
    assert result.executed_nodes == ["5", "6", "7", "3", "9"]
    assert result.cached_nodes == ["4"]
    assert updates == sorted(updates) and updates[-1] == 100


def test_watch_error_message_names_node_class_and_exception():
    watch = _watch()
    watch.handle(
        "execution_error",
        {
            "prompt_id": "P",
            "node_id": "9",
            "node_type": "SaveImage",
            "executed": ["8"],
            "exception_type": "ValueError",
            "exception_message": "Unsupported blend mode: nope\n",
        },
    )
    result = watch.wait(1)
    assert result.status == "error"
    assert result.error == "SaveImage #9: ValueError: Unsupported blend mode: nope"
    assert result.executed_nodes == ["8"]
    assert watch.progress < 100


def test_apply_history_interrupted_and_success():
    watch = _watch()
    watch.apply_history(
        {
            "outputs": {},
            "status": {
                "status_str": "error",
                "completed": False,
                "messages": [
                    ["execution_start", {}],
                    [
                        "execution_interrupted",
                        {"node_id": "3", "node_type": "KSampler", "executed": ["5"]},
                    ],
                ],
            },
        }
    )
    assert watch.wait(1).status == "interrupted"
    assert "KSampler #3" in watch.result.error

    ok = _watch()
    ok.apply_history(
        {
            "outputs": {"9": {"images": [{"filename": "a.png"}]}},
            "status": {
                "status_str": "success",
                "completed": True,
                "messages": [["execution_cached", {"nodes": ["4", "5"]}]],
            },
        }
    )
    assert ok.progress == 100
    assert ok.result.outputs == {"9": {"images": [{"filename": "a.png"}]}}
    assert ok.result.cached_nodes == ["4", "5"]


def test_wait_polls_history_when_the_end_marker_comes_without_terminal_message():
    calls = []

    def reconcile(w):
        calls.append(time.monotonic())
        w.apply_history({"outputs": {}, "status": {"status_str": "success", "completed": True}})

    watch = _watch(reconcile=reconcile, poll_interval=30)
    watch.handle("executing", {"node": None, "prompt_id": "P"})
    started = time.monotonic()
    assert watch.wait(5).status == "success"
    assert len(calls) == 1 and calls[0] - started < 1


def test_wait_times_out_with_comfy_timeout():
    watch = _watch(poll_interval=0.05)
    started = time.monotonic()
    with pytest.raises(ComfyTimeout, match=r"did not start within 0\.3 s") as caught:
        watch.wait(0.3)  # never started: the queue limit defaults to the run limit
    assert caught.value.phase == "queue"
    assert 0.25 < time.monotonic() - started < 1.5


def test_wait_raises_unavailable_when_unreachable_too_long():
    def reconcile(w):
        raise ComfyUnavailable("refused")

    watch = _watch(reconcile=reconcile, poll_interval=0.05)
    with pytest.raises(ComfyUnavailable, match=r"unreachable for 0\.2 s"):
        watch.wait(5, unreachable_timeout=0.2)


def test_wait_raises_prompt_lost_at_once():
    watch = _watch(reconcile=lambda w: w.fail(ComfyPromptLost("gone")), poll_interval=0.05)
    with pytest.raises(ComfyPromptLost):
        watch.wait(5)


def test_wait_wakes_up_when_another_thread_ends_the_prompt():
    watch = _watch(poll_interval=30)
    threading.Timer(0.1, watch.handle, ("execution_success", {"prompt_id": "P"})).start()
    assert watch.wait(5).status == "success"


def test_on_update_errors_do_not_break_the_watch(caplog):
    def boom(w):
        raise RuntimeError("callback bug")

    watch = _watch(on_update=boom)
    watch.handle("execution_success", {"prompt_id": "P"})
    assert watch.result.status == "success"
    assert "on_update callback failed" in caplog.text


def test_validation_message_names_node_and_input():
    node_errors = {
        "3": {
            "class_type": "KSampler",
            "dependent_outputs": ["9"],
            "errors": [
                {
                    "type": "value_bigger_than_max",
                    "message": "Value 200 bigger than max of 100",
                    "details": "steps",
                    "extra_info": {"input_name": "steps"},
                }
            ],
        },
        "10": {
            "class_type": "ImageScale",
            "dependent_outputs": ["9"],
            "errors": [
                {
                    "type": "value_not_in_list",
                    "message": "Value not in list",
                    "details": "upscale_method: 'magic' not in ['nearest-exact']",
                    "extra_info": {"input_name": "upscale_method"},
                }
            ],
        },
    }
    message = describe_validation({"message": "Prompt outputs failed validation"}, node_errors)
    assert message == (
        "KSampler #3: steps: Value 200 bigger than max of 100; "
        "ImageScale #10: upscale_method: Value not in list "
        "('magic' not in ['nearest-exact'])"
    )


def test_validation_message_without_node_errors_uses_top_error():
    error = {
        "type": "invalid_prompt",
        "details": "Node ID '#1'",
        "message": "Cannot execute because node NoSuchNode does not exist.",
    }
    assert describe_validation(error, {}) == (
        "Cannot execute because node NoSuchNode does not exist. (Node ID '#1')"
    )


def test_execution_error_without_message():
    assert describe_execution_error({"node_id": "2"}) == "node #2: Error: no message"


def test_parse_preview_frames():
    jpeg = b"\xff\xd8\xff\xe0data"
    assert parse_preview(struct.pack(">II", 1, 1) + jpeg) == (None, jpeg, "image/jpeg")
    assert parse_preview(struct.pack(">II", 1, 2) + jpeg)[2] == "image/png"
    meta = json.dumps({"prompt_id": "P", "node_id": "3", "image_type": "image/jpeg"}).encode()
    frame = struct.pack(">II", 4, len(meta)) + meta + jpeg
    assert parse_preview(frame) == ("P", jpeg, "image/jpeg")
    assert parse_preview(struct.pack(">I", 3) + b"xxxx") is None
    assert parse_preview(b"\x00") is None


def test_backoff_is_jittered_and_capped():
    delays = [backoff_delay(n, 0.2, 5.0) for n in range(1, 12)]
    assert 0.1 <= delays[0] <= 0.2
    assert all(d <= 5.0 for d in delays)
    assert max(delays) >= 2.5


def test_router_routes_by_prompt_id_and_running_prompt():
    watches = {"A": _watch(), "B": _watch()}
    router = WsRouter("ws://unused/ws", lookup=watches.get, on_connect=lambda: None)
    send = lambda t, d: router._dispatch_text(json.dumps({"type": t, "data": d}).encode())  # noqa: E731
    send("status", {"status": {"exec_info": {"queue_remaining": 2}}, "sid": "c"})
    assert router.connected.is_set()
    send("execution_start", {"prompt_id": "A"})
    send("executing", {"node": "3"})  # reconnect frame: no prompt_id, goes to the running one
    router._dispatch_binary(struct.pack(">II", 1, 1) + b"jpg")
    send("progress", {"value": 1, "max": 10, "node": "3", "prompt_id": "B"})
    send("execution_success", {"prompt_id": "Z"})  # someone else's prompt: ignored
    router._dispatch_text(b"{not json")
    assert watches["A"].current_node == "3"
    assert watches["A"].preview == (b"jpg", "image/jpeg")
    assert watches["B"].step == (1, 10) and watches["B"].current_node is None
    send("executing", {"node": None, "prompt_id": "A"})
    assert router._running_prompt is None
