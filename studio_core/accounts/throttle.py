"""Failed logins counted per account and per address in Redis, with a growing lockout.

After ACCOUNT_FREE failures of one user name (ADDRESS_FREE from one address) within WINDOW_S,
each further failure locks that name (address) for BASE_LOCK_S doubled per failure, at most
MAX_LOCK_S. A success clears the account's count (not the address's: a guesser who knows
one password must not reset their budget for the others). Unknown user names are counted
like known ones, so the answer never tells which names exist.

Keys: studio:login:fail:<kind>:<id> (count, expires after WINDOW_S),
      studio:login:lock:<kind>:<id> (present while locked; its TTL is the Retry-After).
"""

from __future__ import annotations

import hashlib

ACCOUNT_FREE = 5
ADDRESS_FREE = 20
WINDOW_S = 900
BASE_LOCK_S = 15
MAX_LOCK_S = 900


def _ids(username: str, address: str | None) -> list[tuple[str, str, int]]:
    # Names are hashed: the key space must not be fed arbitrary client text.
    name = hashlib.sha256(username.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()
    return [("user", name[:32], ACCOUNT_FREE), ("ip", address or "unknown", ADDRESS_FREE)]


class LoginThrottle:
    """Failed-login bookkeeping on an explicit Redis connection."""

    def __init__(self, redis):
        self.redis = redis

    def retry_after(self, username: str, address: str | None) -> int | None:
        """Seconds until this name and address may try again, or None when they may now."""
        pipe = self.redis.pipeline(transaction=False)
        for kind, ident, _free in _ids(username, address):
            pipe.ttl(f"studio:login:lock:{kind}:{ident}")
        waits = [t for t in pipe.execute() if t and t > 0]
        return max(waits) if waits else None

    def failed(self, username: str, address: str | None) -> int | None:
        """Count a failure; returns the lockout it starts (seconds), or None."""
        longest = None
        for kind, ident, free in _ids(username, address):
            key = f"studio:login:fail:{kind}:{ident}"
            pipe = self.redis.pipeline()
            pipe.set(key, 0, ex=WINDOW_S, nx=True)  # the window starts at the first failure
            pipe.incr(key)
            count = pipe.execute()[1]
            if count > free:
                lock = min(MAX_LOCK_S, BASE_LOCK_S * 2 ** (count - free - 1))
                self.redis.set(f"studio:login:lock:{kind}:{ident}", 1, ex=lock)
                longest = max(longest or 0, lock)
        return longest

    def succeeded(self, username: str) -> None:
        """Clear the account's failures after a good password."""
        kind, ident, _free = _ids(username, None)[0]
        self.redis.delete(f"studio:login:fail:{kind}:{ident}", f"studio:login:lock:{kind}:{ident}")
