"""Who is asking: a session cookie or `Authorization: Bearer <token>`, checked on every request.

Everything that needs the caller's identity goes through these functions. `identify` needs
no Flask request context: the event-stream server (outside Flask) authenticates a stream
with it too. It costs one indexed SQL read (studio_core.accounts.credentials) and no cache,
so a logout, a revoked token or a disabled user takes effect on the next request everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import request
from werkzeug.http import parse_cookie

from studio_core.accounts.credentials import from_session, from_token
from studio_core.errors import Unauthorized

SESSION_COOKIE = "studio_session"


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: whose data it may touch, and how it proved it."""

    user_id: int
    role: str  # "admin" | "user"
    via: str  # "session" | "token"
    username: str = ""
    session_id: str | None = None  # the sessions row (sha256 of the cookie value)
    csrf_token: str | None = None  # what a cookie-authenticated write must echo
    token_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    return value if value is not None else headers.get(name.lower())


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header, or None."""
    scheme, _, secret = (_header(headers, "Authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


def session_cookie(headers: Mapping[str, str]) -> str | None:
    """The session cookie's value from a Cookie header, or None."""
    cookie = _header(headers, "Cookie")
    return parse_cookie(cookie).get(SESSION_COOKIE) if cookie else None


def identify(studio, headers: Mapping[str, str], remote_addr: str | None = None) -> Identity | None:
    """The identity proved by a request's headers (Cookie, Authorization), or None.

    A Bearer header is the credential when present (a wrong token is no identity, even with a
    good cookie beside it); otherwise the session cookie.
    """
    secret = bearer_token(headers)
    if secret is not None:
        found = from_token(studio.db, secret)
    else:
        cookie = session_cookie(headers)
        found = from_session(studio.db, cookie) if cookie else None
    if found is None:
        return None
    return Identity(
        user_id=found.user_id,
        role=found.role,
        via=found.via,
        username=found.username,
        session_id=found.session_id,
        csrf_token=found.csrf_token,
        token_id=found.token_id,
    )


ENVIRON_KEY = "studio.identity"  # also set by the ASGI server when it identified the caller


def current_identity() -> Identity | None:
    """This request's identity (computed once per request).

    Kept in the WSGI environ, not `g`: `g` lives on the app context, which a request may
    share with a still-open stream of another request (the test client does that).
    """
    environ = request.environ
    if ENVIRON_KEY not in environ:
        from backend.services import studio

        environ[ENVIRON_KEY] = identify(studio(), request.headers, request.remote_addr)
    return environ[ENVIRON_KEY]


def forget_identity() -> None:
    """Drop this request's cached identity (after a login or logout changed it)."""
    request.environ.pop(ENVIRON_KEY, None)


def require_identity() -> Identity:
    """This request's identity; 401 when there is none (the gate normally answered already)."""
    identity = current_identity()
    if identity is None:
        raise Unauthorized("log in, or send Authorization: Bearer <token>")
    return identity


def current_user_id() -> int:
    """The id of the user making this request."""
    return require_identity().user_id


def owner_scope() -> int | None:
    """Whose objects this caller may reach: None (everyone's) for an admin, else their own id."""
    identity = require_identity()
    return None if identity.is_admin else identity.user_id


def is_authenticated() -> bool:
    """Whether the request carries a valid session cookie or token."""
    return current_identity() is not None


def is_admin() -> bool:
    """Whether the caller is an admin (sees everyone's jobs)."""
    identity = current_identity()
    return identity is not None and identity.is_admin


def rate_limit_key() -> str:
    """The Flask-Limiter bucket: the user when logged in, else the client IP (after ProxyFix)."""
    if is_authenticated():
        return f"user:{current_user_id()}"
    return f"ip:{request.remote_addr or 'unknown'}"
