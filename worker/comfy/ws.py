"""The one WebSocket per client: a background thread that routes ComfyUI's messages by prompt_id.

It reconnects with jittered exponential backoff, and after every (re)connection calls
`on_connect` so the client can reconcile watched prompts from /history (a prompt that ended
while the socket was down would otherwise never be heard of again). The connection comes from
an injectable `connect` (websocket-client's `create_connection` by default), the way the
HTTP side takes a `requests.Session`.
"""

from __future__ import annotations

import json
import logging
import random
import struct
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

import websocket

from worker.comfy.watch import PromptWatch

logger = logging.getLogger(__name__)

# Binary frame event types (ComfyUI server.py BinaryEventTypes).
PREVIEW_IMAGE = 1
UNENCODED_PREVIEW_IMAGE = 2
TEXT = 3
PREVIEW_IMAGE_WITH_METADATA = 4
_IMAGE_TYPES = {1: "image/jpeg", 2: "image/png"}
_END_TYPES = frozenset({"execution_success", "execution_error", "execution_interrupted"})
# Asking for event 4 previews: they carry the prompt_id, so routing needs no guessing.
FEATURE_FLAGS = {"type": "feature_flags", "data": {"supports_preview_metadata": True}}

# Opens a socket: called as connect(url, timeout=seconds); returns a websocket-client WebSocket.
WsConnect = Callable[..., websocket.WebSocket]


def ws_url_for(base_url: str, client_id: str) -> str:
    """The WebSocket URL for an HTTP base URL (http -> ws, https -> wss), with our clientId."""
    scheme, sep, rest = base_url.partition("://")
    ws_scheme = {"http": "ws", "https": "wss"}.get(scheme.lower(), scheme)
    return f"{ws_scheme}{sep}{rest}/ws?clientId={quote(client_id, safe='')}"


def parse_preview(frame: bytes) -> tuple[str | None, bytes, str] | None:
    """Decode a binary preview frame into (prompt_id or None, image bytes, mime); None if not one."""
    if len(frame) < 8:
        return None
    (event,) = struct.unpack(">I", frame[:4])
    if event == PREVIEW_IMAGE:
        (image_type,) = struct.unpack(">I", frame[4:8])
        return None, frame[8:], _IMAGE_TYPES.get(image_type, "image/jpeg")
    if event == PREVIEW_IMAGE_WITH_METADATA:
        (meta_len,) = struct.unpack(">I", frame[4:8])
        try:
            meta = json.loads(frame[8 : 8 + meta_len])
        except ValueError:
            return None
        if not isinstance(meta, dict):
            return None
        return meta.get("prompt_id"), frame[8 + meta_len :], meta.get("image_type") or "image/jpeg"
    return None


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Full-jitter exponential backoff: uniform in [d/2, d], d = min(cap, base * 2**(attempt-1))."""
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return random.uniform(delay / 2, delay)


class WsRouter:
    """Owns the client's WebSocket on a daemon thread and routes messages to PromptWatches."""

    def __init__(
        self,
        ws_url: str,
        *,
        lookup: Callable[[str], PromptWatch | None],
        on_connect: Callable[[], None],
        connect: WsConnect | None = None,
        connect_timeout: float = 10.0,
        recv_timeout: float = 1.0,
        ping_interval: float = 20.0,
        backoff_base: float = 0.2,
        backoff_cap: float = 5.0,
    ):
        self.ws_url = ws_url
        self._lookup = lookup
        self._on_connect = on_connect
        self._connect = connect or websocket.create_connection
        self._connect_timeout = connect_timeout
        self._recv_timeout = recv_timeout
        self._ping_interval = ping_interval
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._stop = threading.Event()
        self.connected = threading.Event()
        self.connections = 0  # successful (re)connections so far, for logs and tests
        self._ws: websocket.WebSocket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._running_prompt: str | None = None

    def start(self) -> None:
        """Start the background thread (idempotent)."""
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._run, name="comfy-ws", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and close the socket."""
        self._stop.set()
        ws = self._ws
        if ws is not None:
            ws.abort()  # wakes the thread blocked in recv
        if self._thread is not None:
            self._thread.join(timeout)
        self.connected.clear()

    def set_running(self, prompt_id: str | None) -> None:
        """Hint which prompt runs (for frames without prompt_id), e.g. learned from GET /queue."""
        with self._lock:
            self._running_prompt = prompt_id

    # ---- thread ----------------------------------------------------------------------
    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                ws = self._connect(self.ws_url, timeout=self._connect_timeout)
            except (websocket.WebSocketException, OSError) as exc:
                attempt += 1
                delay = backoff_delay(attempt, self._backoff_base, self._backoff_cap)
                logger.warning(
                    "comfy ws connect failed url=%s attempt=%d retry_in=%.2fs error=%s",
                    self.ws_url,
                    attempt,
                    delay,
                    exc,
                )
                self._stop.wait(delay)
                continue
            self._ws = ws
            try:
                ws.send(json.dumps(FEATURE_FLAGS))
                ws.settimeout(self._recv_timeout)
                self._pump(ws)
                attempt = 0
            except (websocket.WebSocketException, OSError) as exc:
                if not self._stop.is_set():
                    logger.warning("comfy ws lost url=%s error=%s", self.ws_url, exc or type(exc))
            finally:
                self.connected.clear()
                self._ws = None
                ws.shutdown()  # a dropped or aborted socket has no close handshake to do
            if not self._stop.is_set():
                attempt += 1
                self._stop.wait(backoff_delay(attempt, self._backoff_base, self._backoff_cap))

    def _pump(self, ws: websocket.WebSocket) -> None:
        last_seen = time.monotonic()
        ping_sent = False
        while not self._stop.is_set():
            try:
                opcode, payload = ws.recv_data(control_frame=True)
            except websocket.WebSocketTimeoutException:
                idle = time.monotonic() - last_seen
                if idle > 2 * self._ping_interval:
                    raise websocket.WebSocketException(
                        f"no frame or pong for {idle:.0f}s"
                    ) from None
                if idle > self._ping_interval and not ping_sent:
                    ws.ping()
                    ping_sent = True
                continue
            last_seen, ping_sent = time.monotonic(), False
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise websocket.WebSocketConnectionClosedException("server closed the socket")
            try:
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    self._dispatch_text(payload)
                elif opcode == websocket.ABNF.OPCODE_BINARY:
                    self._dispatch_binary(payload)
            except (ValueError, TypeError, KeyError, AttributeError):
                # One malformed frame must not take the socket (and every watch) down.
                logger.exception("comfy ws could not handle a frame: %.120r", payload)

    def _dispatch_text(self, raw: bytes) -> None:
        try:
            msg = json.loads(raw)
        except ValueError:
            logger.warning("comfy ws dropped a frame that is not JSON: %.80r", raw)
            return
        if not isinstance(msg, dict):
            return
        msg_type = msg.get("type")
        data = msg.get("data") if isinstance(msg.get("data"), dict) else {}
        if msg_type == "status":
            if data.get("sid") is not None and not self.connected.is_set():
                self._connected_now()
            return
        prompt_id = data.get("prompt_id")
        with self._lock:
            if msg_type == "execution_start":
                self._running_prompt = prompt_id
            # A reconnect's `executing {"node": "3"}` has no prompt_id: it is the running one.
            if prompt_id is None:
                prompt_id = self._running_prompt
            ends = msg_type in _END_TYPES or (msg_type == "executing" and data.get("node") is None)
            if ends and prompt_id == self._running_prompt:
                self._running_prompt = None
        watch = self._lookup(prompt_id) if prompt_id else None
        if watch is not None:
            watch.handle(msg_type, data)

    def _dispatch_binary(self, frame: bytes) -> None:
        parsed = parse_preview(frame)
        if parsed is None:
            return
        prompt_id, image, mime = parsed
        if prompt_id is None:
            with self._lock:
                prompt_id = self._running_prompt
        watch = self._lookup(prompt_id) if prompt_id else None
        if watch is not None:
            watch.set_preview(image, mime)

    def _connected_now(self) -> None:
        # The first status frame proves the server registered our clientId: only now are
        # execution messages for our prompts sure to reach this socket.
        self.connections += 1
        logger.info("comfy ws connected url=%s connections=%d", self.ws_url, self.connections)
        self.connected.set()
        self._on_connect()
