"""X-Forwarded-For is believed only from a trusted proxy peer (TRUSTED_PROXY_IPS)."""

from __future__ import annotations

import ipaddress
import logging

import pytest

from backend.client_address import (
    ProxyTrust,
    client_address,
    forwarded_for,
    scope_address,
    warn_if_exposed,
)
from studio_core.config import ConfigError, load_settings
from tests.backend.helpers import ADMIN_PASSWORD, token_client

PROXY, STRANGER = "127.0.0.1", "203.0.113.50"


def _trust(count=1, ips=("127.0.0.1", "::1", "172.16.0.0/12")) -> ProxyTrust:
    return ProxyTrust.from_settings(
        load_settings({"TRUSTED_PROXY_COUNT": count, "TRUSTED_PROXY_IPS": ",".join(ips)}, env={})
    )


@pytest.mark.parametrize(
    ("peer", "forwarded", "count", "expected"),
    [
        (PROXY, "198.51.100.7", 1, "198.51.100.7"),  # through the proxy
        ("172.18.0.5", "198.51.100.7", 1, "198.51.100.7"),  # docker's network, a CIDR
        ("::1", "2001:db8::1", 1, "2001:db8::1"),
        ("::ffff:127.0.0.1", "198.51.100.7", 1, "198.51.100.7"),  # v4-mapped loopback
        (STRANGER, "198.51.100.7", 1, STRANGER),  # direct to our port: the header is a lie
        (PROXY, "10.0.0.1, 198.51.100.7", 1, "198.51.100.7"),  # client-sent entry ignored
        (PROXY, "10.0.0.1, 198.51.100.7, 127.0.0.1", 2, "198.51.100.7"),  # two hops
        (PROXY, "198.51.100.7", 2, PROXY),  # fewer hops than proxies
        (PROXY, "not-an-ip", 1, PROXY),
        (PROXY, None, 1, PROXY),
        (PROXY, "198.51.100.7", 0, PROXY),  # no proxies configured
        (None, "198.51.100.7", 1, "unknown"),
    ],
)
def test_client_address(peer, forwarded, count, expected):
    assert client_address(peer, forwarded, _trust(count)) == expected


def test_forwarded_for_from_raw_headers_of_any_case():
    headers = [("Host", "x"), ("x-forwarded-for", "1.1.1.1"), ("X-Forwarded-For", "2.2.2.2")]
    assert forwarded_for(headers) == "1.1.1.1,2.2.2.2"
    assert forwarded_for({"Host": "x"}) is None


def test_trusted_proxy_ips_must_be_addresses_or_cidrs():
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_IPS"):
        load_settings({"TRUSTED_PROXY_IPS": "127.0.0.1,proxy.local"}, env={})
    assert load_settings({}, env={}).trusted_proxy_ips == ("127.0.0.1", "::1")


def test_a_direct_peer_cannot_pick_its_bucket_but_the_proxy_can(make_app):
    """Two direct peers, the login limit (per client address): only the trusted proxy's
    header counts."""
    app = make_app(RATE_LIMIT_LOGIN="1/minute", TRUSTED_PROXY_COUNT=1)
    client = app.test_client()

    def login(peer: str, forwarded: str):
        environ = {"REMOTE_ADDR": peer}
        headers = {"X-Forwarded-For": forwarded}
        body = {"username": "admin", "password": ADMIN_PASSWORD}
        return client.post(
            "/api/auth/login", json=body, headers=headers, environ_base=environ
        ).status_code

    assert login(STRANGER, "198.51.100.1") == 200
    # Another forged address from the same stranger: still the stranger's own bucket.
    assert login(STRANGER, "198.51.100.2") == 429
    # Through the proxy each client has its own bucket, forged or not by the stranger.
    assert login(PROXY, "198.51.100.1") == 200
    assert login(PROXY, "198.51.100.2") == 200
    assert login(PROXY, "198.51.100.2") == 429


def test_after_login_no_forwarded_address_leaves_the_users_bucket(make_app):
    """Logged in, the bucket is the user's: a new X-Forwarded-For, even through the trusted
    proxy, does not buy more requests."""
    app = make_app(RATE_LIMIT_READS="1/minute", TRUSTED_PROXY_COUNT=1)
    client = token_client(app)

    def get(peer: str, forwarded: str):
        environ = {"REMOTE_ADDR": peer}
        headers = {"X-Forwarded-For": forwarded}
        return client.get("/api/jobs", headers=headers, environ_base=environ).status_code

    assert get(PROXY, "198.51.100.1") == 200
    assert get(PROXY, "198.51.100.2") == 429
    assert get(STRANGER, "198.51.100.3") == 429


def test_a_warning_when_proxies_are_trusted_on_a_public_bind(caplog):
    exposed = load_settings({"TRUSTED_PROXY_COUNT": 1, "HOST": "0.0.0.0"}, env={})
    with caplog.at_level(logging.WARNING, logger="backend.client_address"):
        assert warn_if_exposed(exposed)
        assert not warn_if_exposed(load_settings({"TRUSTED_PROXY_COUNT": 1}, env={}))
        assert not warn_if_exposed(load_settings({"HOST": "0.0.0.0"}, env={}))
    [record] = caplog.records
    assert "must not be reachable directly" in record.getMessage()
    assert "127.0.0.1" in record.getMessage()


def test_an_asgi_scope_follows_the_same_rule():
    trust = ProxyTrust(1, (ipaddress.ip_network("127.0.0.1/32"),))
    headers = [(b"x-forwarded-for", b"6.6.6.6"), (b"X-Forwarded-For", b"203.0.113.9")]
    proxied = {"client": ("127.0.0.1", 5000), "headers": headers}
    direct = {"client": ("198.51.100.7", 5000), "headers": headers}
    assert scope_address(proxied, trust) == "203.0.113.9"  # every value, last hop believed
    assert scope_address(direct, trust) == "198.51.100.7"  # not from the proxy: ignored
    assert scope_address({"headers": []}, trust) == "unknown"
