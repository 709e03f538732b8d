"""Users (admins only, checked by backend.gate): list, create, change, delete."""

from __future__ import annotations

import logging

from flask import Blueprint, Response

from backend.accounts import accounts
from backend.api.common import json_object
from backend.auth import require_identity
from backend.services import studio
from studio_core.accounts import users
from studio_core.accounts.passwords import check_password, check_username
from studio_core.errors import InvalidInput

logger = logging.getLogger(__name__)

bp = Blueprint("users", __name__, url_prefix="/api/users")

_PATCH_FIELDS = {"role", "disabled", "password"}


@bp.get("")
def list_users():
    """Every user."""
    return {"users": users.list_users(studio().db)}


@bp.post("")
def create_user():
    """{username, password, role} -> 201 with the user."""
    body = json_object()
    username = check_username(body.get("username"))
    password = check_password(body.get("password"))
    role = users.check_role(body.get("role", "user"))
    user = users.create_user(studio().db, username, accounts().passwords.hash(password), role)
    logger.info("admin created user admin=%s user=%s", require_identity().user_id, user["id"])
    return user, 201


@bp.patch("/<row_id:user_id>")
def update_user(user_id: int):
    """Change role, disabled, or reset the password (their sessions end)."""
    body = json_object()
    unknown = sorted(set(body) - _PATCH_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field '{unknown[0]}'", field=unknown[0])
    role = users.check_role(body["role"]) if "role" in body else None
    disabled = body.get("disabled")
    if disabled is not None and not isinstance(disabled, bool):
        raise InvalidInput("'disabled' must be true or false", field="disabled")
    password_hash = None
    if "password" in body:
        password_hash = accounts().passwords.hash(check_password(body["password"]))
    me = require_identity()
    return users.update_user(
        studio().db,
        user_id,
        role=role,
        disabled=disabled,
        password_hash=password_hash,
        # An admin resetting their own password stays logged in here.
        keep_session=me.session_id if user_id == me.user_id else None,
    )


@bp.delete("/<row_id:user_id>")
def delete_user(user_id: int):
    """Delete a user with their jobs, uploads and files; 409 while one of their jobs runs."""
    s = studio()
    files = users.delete_user(s.db, user_id)
    removed = s.paths.remove(files)
    logger.info(
        "admin deleted user admin=%s user=%s files=%s", require_identity().user_id, user_id, removed
    )
    return Response(status=204)
