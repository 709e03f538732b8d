"""The gate in front of every route: who may call what, and CSRF for cookie-authenticated writes.

Public: the SPA shell and its assets (the login page is part of the SPA), /livez, /readyz,
POST /api/auth/login and CORS preflights. /metrics and /health: an admin, or
`Authorization: Bearer <METRICS_TOKEN>`; /api/metrics, /api/users* and /api/admin/tools*:
admins. Everything
else: any logged-in user. Anonymous -> 401; a user on an admin route -> 403 (the route is
documented, there is no object whose existence a 404 would hide; another user's *object*
answers 404 in the views).

CSRF: a write (POST/PUT/PATCH/DELETE) proved by the session cookie must send the session's
`X-CSRF-Token`, and its `Origin` / `Sec-Fetch-Site`, when present, must be this site (or a
configured CORS origin). Bearer requests carry no ambient credential and need neither.
"""

from __future__ import annotations

import hmac

from flask import Flask, request

from backend.auth import current_identity
from backend.services import studio
from studio_core.errors import Forbidden, Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_ENDPOINTS = frozenset({"system.livez", "system.readyz", "auth.login", "spa.index"})
METRICS_TOKEN_ENDPOINTS = frozenset({"system.health", "system.prometheus"})
ADMIN_ENDPOINTS = frozenset({"system.metrics", "system.health", "system.prometheus"})
ADMIN_BLUEPRINTS = frozenset({"users", "admin_tools"})
# What the login page needs before anyone is logged in (frontend/).
PUBLIC_ASSET_DIRS = frozenset({"js", "css", "i18n", "vendor"})
PUBLIC_ASSET_FILES = frozenset({"index.html", "favicon.svg"})


class CsrfFailed(Forbidden):
    code = "csrf_failed"


def is_public_asset(path: str) -> bool:
    """A SPA file the login page may load, or an app route (which serves index.html)."""
    path = path.lstrip("/")
    first, _, _rest = path.partition("/")
    if path in PUBLIC_ASSET_FILES or (first in PUBLIC_ASSET_DIRS and _rest):
        return True
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return first != "api" and "." not in last


def _metrics_token_ok() -> bool:
    expected = studio().settings.metrics_token
    sent = request.headers.get("Authorization", "")
    return bool(expected) and hmac.compare_digest(
        sent.encode("utf-8", "surrogateescape"), f"Bearer {expected}".encode()
    )


def same_site_request() -> bool:
    """Origin and Sec-Fetch-Site, when sent, say this site (or a configured CORS origin)."""
    allowed = {f"{request.scheme}://{request.host}", *studio().settings.cors_origins}
    origin = request.headers.get("Origin")
    if origin is not None and origin not in allowed:
        return False
    site = request.headers.get("Sec-Fetch-Site")
    if site is None or site in ("same-origin", "none"):
        return True
    return origin is not None and origin in studio().settings.cors_origins


def check_csrf(identity) -> None:
    """403 csrf_failed for a cookie-authenticated write without the session's token."""
    if request.method in SAFE_METHODS or identity.via != "session":
        return
    sent = request.headers.get("X-CSRF-Token", "")
    expected = identity.csrf_token or ""
    if not expected or not hmac.compare_digest(
        sent.encode("utf-8", "surrogateescape"), expected.encode()
    ):
        raise CsrfFailed("missing or wrong X-CSRF-Token")
    if not same_site_request():
        raise CsrfFailed("cross-site request refused")


def gate() -> None:
    """before_request: let public routes through, else require (and check) an identity."""
    endpoint = request.endpoint
    if request.method == "OPTIONS" or endpoint in PUBLIC_ENDPOINTS:
        return
    if endpoint == "spa.asset" and is_public_asset(request.path):
        return
    if endpoint in METRICS_TOKEN_ENDPOINTS and _metrics_token_ok():
        return
    identity = current_identity()
    if identity is None:
        raise Unauthorized("log in, or send Authorization: Bearer <token>")
    if (
        endpoint in ADMIN_ENDPOINTS or request.blueprint in ADMIN_BLUEPRINTS
    ) and not identity.is_admin:
        raise Forbidden("admins only")
    check_csrf(identity)


def init_app(app: Flask) -> None:
    """Put the gate in front of every route (call before the other before_request hooks)."""
    app.before_request(gate)
