"""uvicorn's HTTP protocol with Nagle's algorithm off on every connection.

uvicorn's worker processes share a listening socket made with `socket.socket(family)`
(protocol number 0), and asyncio only sets TCP_NODELAY on sockets whose protocol reads
IPPROTO_TCP, so a response's headers and body went out as two small writes and the second
waited for the client's delayed ACK: ~40 ms added to one request in ten (measured on
`/livez`). Setting it here holds whatever made the socket.
"""

from __future__ import annotations

import contextlib
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol  # httptools if installed, else h11


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """AutoHTTPProtocol, TCP_NODELAY set when the connection is made."""

    def connection_made(self, transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
