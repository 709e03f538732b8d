"""Login, logout, who am I, my password, and my API tokens (the contract of issue 9)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from backend import accounts as flows
from backend.api.common import json_object
from backend.auth import SESSION_COOKIE, forget_identity, require_identity, session_cookie
from backend.gate import CsrfFailed, same_site_request
from backend.services import studio
from studio_core.accounts import tokens, users
from studio_core.errors import InvalidInput

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


def _flag(body: dict, name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"'{name}' must be true or false", field=name)
    return value


@bp.post("/login")
def login():
    """Check user name and password; 200 {user, csrf_token} and a new session cookie."""
    if not same_site_request():
        raise CsrfFailed("cross-site login refused")
    s = studio()
    user, new = flows.login(
        s, flows.accounts(), json_object(), request.remote_addr, session_cookie(request.headers)
    )
    forget_identity()
    response = jsonify({"user": user, "csrf_token": new.csrf_token})
    response.set_cookie(
        SESSION_COOKIE,
        new.cookie_value,
        max_age=new.max_age_s,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,  # https as seen after ProxyFix
    )
    return response


@bp.post("/logout")
def logout():
    """End this session; `{"everywhere": true}` ends all of them (`"tokens": true` revokes
    the API tokens too). 204 and the cookie cleared."""
    body = json_object(required=False)
    flows.logout(studio(), require_identity(), _flag(body, "everywhere"), _flag(body, "tokens"))
    forget_identity()
    response = Response(status=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax")
    return response


@bp.get("/me")
def me():
    """The logged-in user and the session's CSRF token (null for a Bearer token)."""
    identity = require_identity()
    return {
        "user": users.get_user(studio().db, identity.user_id),
        "csrf_token": identity.csrf_token,
    }


@bp.post("/password")
def password():
    """Change my password (needs the current one); my other sessions end."""
    identity = require_identity()
    user = flows.change_password(
        studio(), flows.accounts(), identity, json_object(), request.remote_addr
    )
    return {"user": user}


@bp.post("/tokens")
def create_token():
    """A new API token; 201 {id, name, token}: the token is shown only here."""
    name = tokens.check_token_name(json_object().get("name"))
    return tokens.create_token(studio().db, require_identity().user_id, name), 201


@bp.get("/tokens")
def list_tokens():
    """My live tokens with their last use (never the secret)."""
    return {"tokens": tokens.list_tokens(studio().db, require_identity().user_id)}


@bp.delete("/tokens/<row_id:token_id>")
def revoke_token(token_id: int):
    """Revoke one of my tokens; 204."""
    tokens.revoke_token(studio().db, require_identity().user_id, token_id)
    return Response(status=204)
