"""Helpers for the simulator conformance suite: an HTTP + WebSocket client and graph builders."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import requests
import websocket

TIMEOUT = 5


def tag() -> str:
    """A short unique token, so graphs and file prefixes never collide between tests."""
    return uuid.uuid4().hex[:10]


class WsClient:
    """A /ws connection that records every frame it receives."""

    def __init__(self, base_url: str, client_id: str | None = None, flags: dict | None = None):
        query = f"?clientId={client_id}" if client_id else ""
        self.ws = websocket.create_connection(
            base_url.replace("http", "ws", 1) + "/ws" + query, timeout=TIMEOUT
        )
        if flags is not None:
            self.ws.send(json.dumps({"type": "feature_flags", "data": flags}))
        self.frames: list[Any] = []

    def recv(self, timeout: float = TIMEOUT) -> Any:
        """Next frame: a dict for text, bytes for binary."""
        self.ws.settimeout(timeout)
        opcode, data = self.ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise websocket.WebSocketConnectionClosedException("closed by the server")
        frame = json.loads(data) if opcode == websocket.ABNF.OPCODE_TEXT else bytes(data)
        self.frames.append(frame)
        return frame

    def until(self, predicate, timeout: float = TIMEOUT) -> list[Any]:
        """Receive until a frame matches; returns the frames received by this call."""
        start = len(self.frames)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching frame; got {self.frames[start:]}")
            if predicate(self.recv(remaining)):
                return self.frames[start:]

    def until_done(self, prompt_id: str, timeout: float = TIMEOUT) -> list[Any]:
        """Frames up to and including `executing {node: null}` of this prompt."""
        return self.until(
            lambda f: (
                is_event(f, "executing") and f["data"] == {"node": None, "prompt_id": prompt_id}
            ),
            timeout,
        )

    def close(self) -> None:
        self.ws.close()


def is_event(frame: Any, kind: str) -> bool:
    """True for a text frame of this type."""
    return isinstance(frame, dict) and frame.get("type") == kind


def of_prompt(frames: list[Any], prompt_id: str) -> list[tuple[str, dict]]:
    """(type, data) of the text frames about this prompt, status frames kept in place."""
    out = []
    for f in frames:
        if isinstance(f, dict) and (
            f["type"] == "status" or f["data"].get("prompt_id") == prompt_id
        ):
            out.append((f["type"], f["data"]))
    return out


@dataclass
class Sim:
    """The session simulator, idle and reset, with small helpers."""

    url: str

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.url + path, timeout=TIMEOUT, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=TIMEOUT, **kwargs)

    def submit(self, prompt: dict, client_id: str | None = None, **body) -> str:
        """POST /prompt expecting 200; returns the prompt_id."""
        payload = {"prompt": prompt, **body}
        if client_id:
            payload["client_id"] = client_id
        response = self.post("/prompt", json=payload)
        assert response.status_code == 200, response.text
        return response.json()["prompt_id"]

    def history(self, prompt_id: str, timeout: float = TIMEOUT) -> dict:
        """Wait for the prompt's history entry."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entry = self.get(f"/history/{prompt_id}").json()
            if entry:
                return entry[prompt_id]
            time.sleep(0.02)
        raise AssertionError(f"prompt {prompt_id} did not finish")

    def configure(self, **patch) -> None:
        self.post("/sim/config", json=patch).raise_for_status()

    def ws(self, client_id: str | None = None, flags: dict | None = None) -> WsClient:
        client = WsClient(self.url, client_id, flags)
        assert is_event(client.recv(), "status")
        return client

    def upload(self, name: str, data: bytes, **fields) -> requests.Response:
        return self.post("/upload/image", files={"image": (name, data, "image/png")}, data=fields)

    def wait_idle(self, timeout: float = TIMEOUT) -> None:
        """Clear pending work, interrupt what runs, and wait until nothing is left."""
        self.post("/queue", json={"clear": True})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get("/prompt").json()["exec_info"]["queue_remaining"] == 0:
                return
            self.post("/interrupt")
            time.sleep(0.02)
        raise AssertionError("simulator did not go idle")


def blur_chain(prefix: str, count: int = 3) -> dict:
    """EmptyImage(1) -> ImageBlur(2..) -> SaveImage(99): plain nodes, a random colour so never cached."""
    color = int(tag(), 16) % 0xFFFFFF
    graph = {
        "1": {
            "class_type": "EmptyImage",
            "inputs": {"width": 32, "height": 32, "batch_size": 1, "color": color},
        }
    }
    for i in range(2, count + 2):
        graph[str(i)] = {
            "class_type": "ImageBlur",
            "inputs": {"image": [str(i - 1), 0], "blur_radius": i, "sigma": 1.0},
        }
    graph["99"] = {
        "class_type": "SaveImage",
        "inputs": {"images": [str(count + 1), 0], "filename_prefix": prefix},
    }
    return graph
