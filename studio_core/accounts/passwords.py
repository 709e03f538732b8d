"""argon2id password hashing, verification with rehash, and the password / user-name rules.

The cost is RFC 9106's second recommended option (t=3, 64 MiB, p=4); tests lower it with the
code-only ARGON2_* settings, and a hash made with other parameters is redone at the next
successful login (`Verified.new_hash`).

At most MAX_CONCURRENT hashes run at once in a process: each holds 64 MiB and a core for
~0.1 s, so a burst of logins from many addresses (each under its own throttle) would
otherwise take every thread and gigabytes. A login that cannot get a slot within SLOT_WAIT_S
is a 429 with Retry-After, and the server's other requests go on.
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from studio_core.errors import InvalidInput, TooManyRequests

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
NO_PASSWORD = "!"  # a stored hash that matches nothing (the admin before first start)
MAX_CONCURRENT = 2  # one per core of the target machine
SLOT_WAIT_S = 5.0


@dataclass(frozen=True)
class Verified:
    """A password check: whether it matched, and a fresh hash to store when it should change."""

    ok: bool
    new_hash: str | None = None


class Passwords:
    """argon2id with one set of parameters; a dummy hash keeps unknown users as slow as known."""

    def __init__(
        self,
        time_cost: int = 3,
        memory_kib: int = 65536,
        parallelism: int = 4,
        max_concurrent: int = MAX_CONCURRENT,
    ):
        self.hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._dummy = self.hasher.hash("not a password of anyone")

    @contextmanager
    def _slot(self):
        if not self._slots.acquire(timeout=SLOT_WAIT_S):
            raise TooManyRequests("too many sign-ins at once; try again", retry_after=2)
        try:
            yield
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        """The argon2id hash of a password (validate it first with `check_password`)."""
        with self._slot():
            return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> Verified:
        """Check a password; an unknown user (stored None) costs the same time and fails."""
        if not stored or stored == NO_PASSWORD:
            self._verify(self._dummy, password)
            return Verified(False)
        if not self._verify(stored, password):
            return Verified(False)
        return Verified(True, self.hash(password) if self._needs_rehash(stored) else None)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            with self._slot():
                return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _needs_rehash(self, stored: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True


def check_password(password: object, field: str = "password") -> str:
    """The password if it follows the rules (a string of 10 to 1024 characters); else 400."""
    if not isinstance(password, str):
        raise InvalidInput(f"'{field}' must be a string", field=field)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"'{field}' must be at least {MIN_PASSWORD} characters", field=field)
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"'{field}' must be at most {MAX_PASSWORD} characters", field=field)
    return password


def check_username(username: object) -> str:
    """The user name if it is 3-64 of A-Z a-z 0-9 _ . -; else 400."""
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise InvalidInput(
            "'username' must be 3-64 characters of letters, digits, '_', '.' and '-'",
            field="username",
        )
    return username
