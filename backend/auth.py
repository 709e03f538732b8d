"""Who is asking. Until accounts exist (a later issue) every request is the local user.

Everything that needs the caller's identity goes through these functions, so the accounts
work replaces this module and nothing else.
"""

from __future__ import annotations

from flask import request

from studio_core.db.tables import LOCAL_USER_ID


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
