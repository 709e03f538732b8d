"""Who is asking. Until accounts exist (issue 9) every request is the local user.

Everything that needs the caller's identity goes through these functions, so the accounts
work replaces their bodies and nothing else. `identify` needs no Flask request context: the
event-stream server (outside Flask) authenticates a stream with it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import g, request

from studio_core.db.tables import LOCAL_USER_ID


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: whose data it may touch, and how it proved it."""

    user_id: int
    role: str  # "admin" | "user"
    via: str  # "session" | "token" | "local"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def identify(studio, headers: Mapping[str, str], remote_addr: str | None = None) -> Identity | None:
    """The identity proved by a request's headers (Cookie, Authorization), or None."""
    return Identity(LOCAL_USER_ID, "user", "local")


def current_identity() -> Identity | None:
    """This request's identity (computed once per request)."""
    if "studio_identity" not in g:
        from backend.services import studio

        g.studio_identity = identify(studio(), request.headers, request.remote_addr)
    return g.studio_identity


def current_user_id() -> int:
    """The id of the user making this request."""
    return LOCAL_USER_ID


def is_authenticated() -> bool:
    """Whether the request carries a logged-in identity (never, before accounts exist)."""
    return False


def is_admin() -> bool:
    """Whether the caller may see everyone's jobs (the local user owns everything anyway)."""
    return False


def rate_limit_key() -> str:
    """The Flask-Limiter bucket: the user when logged in, else the client IP (after ProxyFix)."""
    if is_authenticated():
        return f"user:{current_user_id()}"
    return f"ip:{request.remote_addr or 'unknown'}"
