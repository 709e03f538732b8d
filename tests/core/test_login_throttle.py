"""Failed logins per account and per address (Redis): free attempts, then a doubling lockout."""

from __future__ import annotations

from studio_core.accounts.throttle import (
    ACCOUNT_FREE,
    ADDRESS_FREE,
    BASE_LOCK_S,
    LoginThrottle,
)


def test_an_account_locks_after_its_free_failures_and_doubles(redis_client):
    throttle = LoginThrottle(redis_client)
    for n in range(ACCOUNT_FREE):
        assert throttle.failed("Alice", f"10.0.0.{n}") is None
    assert throttle.retry_after("alice", "10.0.1.1") is None
    assert throttle.failed("alice", "10.0.0.9") == BASE_LOCK_S
    assert 0 < throttle.retry_after("ALICE", "10.0.1.1") <= BASE_LOCK_S  # any address
    assert throttle.failed("alice", "10.0.0.9") == 2 * BASE_LOCK_S
    assert throttle.retry_after("bob", "10.0.1.1") is None  # other accounts are free


def test_an_address_locks_across_user_names(redis_client):
    throttle = LoginThrottle(redis_client)
    for n in range(ADDRESS_FREE):
        throttle.failed(f"name{n}", "192.0.2.7")
    assert throttle.retry_after("someone-new", "192.0.2.7") is None
    assert throttle.failed("someone-new", "192.0.2.7") == BASE_LOCK_S
    assert throttle.retry_after("another", "192.0.2.7") > 0
    assert throttle.retry_after("another", "192.0.2.8") is None


def test_success_clears_the_account_not_the_address(redis_client):
    throttle = LoginThrottle(redis_client)
    for _ in range(ACCOUNT_FREE + 1):
        throttle.failed("carol", "198.51.100.3")
    throttle.succeeded("carol")
    assert throttle.retry_after("carol", "198.51.100.4") is None
    assert redis_client.get("studio:login:fail:ip:198.51.100.3") == b"6" or redis_client.get(
        "studio:login:fail:ip:198.51.100.3"
    ) in ("6", 6)
