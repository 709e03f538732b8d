"""uvicorn's HTTP protocol with Nagle's algorithm off and a deadline for each request head.

Nagle: uvicorn's worker processes share a listening socket made with `socket.socket(family)`
(protocol number 0), and asyncio only sets TCP_NODELAY on sockets whose protocol reads
IPPROTO_TCP, so a response's headers and body went out as two small writes and the second
waited for the client's delayed ACK: ~40 ms added to one request in ten (measured on
`/livez`). Setting it here holds whatever made the socket.

Request heads: uvicorn times out an idle keep-alive connection, but not a connection that
sends nothing or trickles its header lines: those were held for ever, and 9,000 idle sockets
from one client made a 2-process backend answer 503 (uvicorn's limit_concurrency, 4,096
connections a process). A head must now arrive whole within the app's `head_timeout_s`
(HEAD_TIMEOUT_S) of its first byte, or of the connect for a new connection; else the
connection is closed. Bodies have timeouts of their own (backend.serving.body); a response
in progress (an event stream) and an idle keep-alive connection are not heads.
"""

from __future__ import annotations

import contextlib
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol  # httptools if installed, else h11

DEFAULT_HEAD_TIMEOUT_S = 30.0  # when the app does not say (the app: backend.serving.asgi)


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """AutoHTTPProtocol, TCP_NODELAY set and the request-head deadline armed per connection."""

    def connection_made(self, transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._head_timeout = float(getattr(self.app, "head_timeout_s", DEFAULT_HEAD_TIMEOUT_S))
        # The head being waited for: since when, and the request cycle before it (a new
        # cycle object means uvicorn parsed a whole head).
        self._head_since: float | None = self.loop.time()
        self._head_cycle = self.cycle
        self._head_timer = self.loop.call_later(self._head_timeout, self._check_head)

    def data_received(self, data: bytes) -> None:
        if self._head_since is None and (self.cycle is None or self.cycle.response_complete):
            self._head_since, self._head_cycle = self.loop.time(), self.cycle
        super().data_received(data)
        if self.cycle is not self._head_cycle:
            self._head_since = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_timer.cancel()
        super().connection_lost(exc)

    def _check_head(self) -> None:
        if self.transport.is_closing():
            return
        delay = self._head_timeout
        if self._head_since is not None and self.cycle is self._head_cycle:
            waited = self.loop.time() - self._head_since
            if waited >= self._head_timeout:
                self.transport.close()
                return
            delay -= waited
        self._head_timer = self.loop.call_later(delay, self._check_head)
