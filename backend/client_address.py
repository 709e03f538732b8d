"""The client's address for a request: one rule for the WSGI app and the event-stream server.

`X-Forwarded-For` is believed only when the direct peer is a trusted proxy
(TRUSTED_PROXY_IPS, addresses or CIDRs) and TRUSTED_PROXY_COUNT > 0; then the entry that many
hops from the right is the client, as werkzeug's ProxyFix reads it. A client that reaches
the backend's port directly keeps its own address, whatever headers it sends, so it cannot
pick its rate-limit bucket.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from studio_core.config import Settings

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


@dataclass(frozen=True)
class ProxyTrust:
    """How many proxies stand in front of the backend, and which peers they are."""

    count: int = 0
    networks: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> ProxyTrust:
        """TRUSTED_PROXY_COUNT and TRUSTED_PROXY_IPS as one object."""
        networks = tuple(ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxy_ips)
        return cls(settings.trusted_proxy_count, networks)

    def trusts(self, peer: str | None) -> bool:
        """Whether forwarded headers from this direct peer are believed."""
        if not self.count or not peer:
            return False
        try:
            address = ipaddress.ip_address(peer.split("%", 1)[0])  # drop an IPv6 zone
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def forwarded_for(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> str | None:
    """Every X-Forwarded-For value of raw headers (any case), joined as one list."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    values = [value for name, value in pairs if name.lower() == "x-forwarded-for"]
    return ",".join(values) if values else None


def client_address(peer: str | None, forwarded: str | None, trust: ProxyTrust) -> str:
    """The client's address: the peer, or the forwarded entry when the peer is trusted."""
    peer = peer or "unknown"
    if not forwarded or not trust.trusts(peer):
        return peer
    hops = [hop.strip() for hop in forwarded.split(",")]
    if len(hops) < trust.count:
        return peer  # fewer hops than proxies: the header did not come through all of them
    candidate = hops[-trust.count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


def scope_address(scope: dict, trust: ProxyTrust) -> str:
    """The client's address for an ASGI request scope: the same rule as the WSGI app's."""
    peer = (scope.get("client") or (None, None))[0]
    pairs = ((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", ()))
    return client_address(peer, forwarded_for(pairs), trust)


class TrustedProxyMiddleware:
    """WSGI: REMOTE_ADDR from `client_address`; scheme/host/port from ProxyFix, and both
    only for requests whose direct peer is a trusted proxy."""

    def __init__(self, app: Any, trust: ProxyTrust):
        self.app = app
        self.trust = trust
        n = trust.count
        self.proxied = ProxyFix(app, x_for=0, x_proto=n, x_host=n, x_port=n)

    def __call__(self, environ: dict, start_response: Any):
        """Rewrite the client's address and forward to the app."""
        peer = environ.get("REMOTE_ADDR")
        if not self.trust.trusts(peer):
            return self.app(environ, start_response)
        environ["studio.peer_addr"] = peer
        environ["REMOTE_ADDR"] = client_address(
            peer, environ.get("HTTP_X_FORWARDED_FOR"), self.trust
        )
        return self.proxied(environ, start_response)


def warn_if_exposed(settings: Settings) -> bool:
    """Log one WARNING when proxies are trusted but the backend listens beyond loopback."""
    if settings.trusted_proxy_count and settings.host not in _LOOPBACK_HOSTS:
        logger.warning(
            "TRUSTED_PROXY_COUNT=%s with HOST=%s: the backend's own port must not be reachable "
            "directly (bind HOST=127.0.0.1 when ngrok or the proxy runs on this box); only "
            "peers in TRUSTED_PROXY_IPS=%s have their X-Forwarded-For believed",
            settings.trusted_proxy_count,
            settings.host,
            ",".join(settings.trusted_proxy_ips),
        )
        return True
    return False
