"""The fake API's answers and accounts: sign-in, CSRF tokens, personal tokens and users.

A mixin of tests/e2e/fake_api.FakeApi (which holds the state: `users`, `session_user`,
`csrf_token`, `tokens`); held to backend/openapi.json like every other route. The answer
helpers every handler module uses live here too (Answer, error, bad_input, multipart_part).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

ERRORS = {  # status -> the real API's error code, message and Retry-After
    404: ("job_not_found", "No such job", None),
    401: ("unauthorized", "Sign in first", None),
    403: ("forbidden", "Admins only", None),
    429: ("rate_limited", "slow down", 7),
    503: ("redis_unavailable", "The queue service (Redis) is unavailable; retry shortly.", 5),
}


@dataclass
class Answer:
    """One response: a JSON body (dict), raw bytes with their Content-Type, or nothing."""

    status: int
    body: dict | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def media(self) -> str | None:
        """The media type the body is served as."""
        if isinstance(self.body, bytes):
            return self.headers["Content-Type"]
        return None if self.body is None else "application/json"


def error(status: int, code: str | None = None, message: str | None = None) -> Answer:
    """The real API's error answer for `status` (its usual code and message unless given)."""
    usual_code, usual_message, retry_after = ERRORS[status]
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    body = {"error": {"code": code or usual_code, "message": message or usual_message}}
    return Answer(status, body, headers)


def bad_input(code: str, message: str, field_name: str | None = None) -> Answer:
    """A 400 in the real API's shape (with the field it is about, when there is one)."""
    err = {"code": code, "message": message, **({"field": field_name} if field_name else {})}
    return Answer(400, {"error": err})


def multipart_part(body: bytes) -> EmailMessage | None:
    """The `file` part of a multipart/form-data body (None without one): its file name and bytes.

    The boundary is the body's first line (the fake's handlers see the body, not the headers).
    """
    boundary = body.split(b"\r\n", 1)[0][2:].decode("latin-1")
    head = f'Content-Type: multipart/form-data; boundary="{boundary}"\r\n\r\n'.encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            return part
    return None


def multipart_file(body: bytes) -> bytes | None:
    """The bytes of the `file` part of a multipart/form-data body (None without one)."""
    part = multipart_part(body)
    return None if part is None else part.get_payload(decode=True)


UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PUBLIC = {"/api/auth/login", "/api/auth/me"}  # me answers its own 401
ADMIN_ONLY = ("/api/users", "/api/metrics", "/health", "/api/admin/")


TOKEN_FIELDS = ("id", "name", "created_at", "last_used_at")  # never the secret or the owner


class AccountRoutes:
    """Handlers for /api/auth/* and /api/users/*; the state lives in FakeApi's fields."""

    def _guard(self, method: str, path: str, query: dict, headers: dict) -> Answer | None:
        """401 signed out, 403 without the session's CSRF token on a write, 403 admins only."""
        if path in PUBLIC:
            return None
        me = self._me()
        if me is None:
            return error(401)
        if method in UNSAFE:
            sent = headers.get("x-csrf-token", "")
            self.writes.append((method, path, sent))
            if sent != self.csrf_token:
                self.csrf_refused.append(f"{method} {path}")
                return error(403, "csrf_failed", "Missing or stale CSRF token; reload the page")
        if query.get("all") in ("1", "true") and me["role"] != "admin":
            refused = {"code": "invalid_input", "message": "'all' is for admins only"}
            return Answer(400, {"error": {**refused, "field": "all"}})
        if path.startswith(ADMIN_ONLY) and me["role"] != "admin":
            return error(403)
        return None

    def _session(self) -> dict:
        me = self._me()
        return {"user": self._admin_view(me), "csrf_token": self.csrf_token}

    def _login(self, params, query, body) -> Answer:
        if self.login_retry_after is not None:
            return Answer(
                429,
                {"error": {"code": "login_throttled", "message": "Too many attempts"}},
                {"Retry-After": str(self.login_retry_after)},
            )
        found = [u for u in self.users.values() if u["username"] == body["username"]]
        if not found or found[0]["password"] != body["password"] or found[0]["disabled"]:
            return error(401, "invalid_credentials", "Wrong user name or password")
        self.session_user = found[0]["id"]
        self.rotate_csrf()  # a new session, a new token
        return Answer(200, self._session())

    def _logout(self, params, query, body) -> Answer:
        self.session_user = None
        return Answer(204)

    def _auth_me(self, params, query, body) -> Answer:
        return Answer(200, self._session()) if self._me() else error(401)

    def _password(self, params, query, body) -> Answer:
        me = self._me()
        if body["current_password"] != me["password"]:
            wrong = {"code": "invalid_input", "message": "the current password is wrong"}
            return Answer(400, {"error": {**wrong, "field": "current_password"}})
        me["password"] = body["new_password"]
        return Answer(200, {"user": self._admin_view(me)})

    def _tokens(self, params, query, body) -> Answer:
        mine = [t for t in self.tokens.values() if t["owner"] == self.session_user]
        return Answer(200, {"tokens": [{k: t[k] for k in TOKEN_FIELDS} for t in mine]})

    def _new_token(self, params, query, body) -> Answer:
        tid = self._next_id()
        secret = f"cst_{tid:04d}_{'s3cr3t' * 4}"
        self.tokens[tid] = {
            "id": tid,
            "name": body["name"],
            "created_at": "2026-05-01T12:00:00+00:00",
            "last_used_at": None,
            "owner": self.session_user,
            "secret": secret,
        }
        return Answer(
            201,
            {**{k: v for k, v in self.tokens[tid].items() if k in TOKEN_FIELDS}, "token": secret},
        )

    def _revoke_token(self, params, query, body) -> Answer:
        token = self.tokens.get(int(params["token_id"]) if params["token_id"].isdigit() else -1)
        if token is None or token["owner"] != self.session_user:
            return error(404, "not_found", "No such token")
        del self.tokens[token["id"]]
        return Answer(204)

    @staticmethod
    def _admin_view(user: dict) -> dict:
        return {k: user[k] for k in ("id", "username", "role", "disabled", "created_at")}

    def _users(self, params, query, body) -> Answer:
        return Answer(200, {"users": [self._admin_view(u) for u in self.users.values()]})

    def _new_user(self, params, query, body) -> Answer:
        if any(u["username"] == body["username"] for u in self.users.values()):
            return Answer(409, {"error": {"code": "user_exists", "message": "That name is taken"}})
        uid = self._next_id()
        self.users[uid] = {
            "id": uid,
            "username": body["username"],
            "role": body["role"],
            "disabled": False,
            "created_at": "2026-05-02T09:00:00+00:00",
            "password": body["password"],
        }
        return Answer(201, self._admin_view(self.users[uid]))

    def _user(self, params) -> dict | None:
        return self.users.get(int(params["user_id"]) if params["user_id"].isdigit() else -1)

    def _patch_user(self, params, query, body) -> Answer:
        user = self._user(params)
        if user is None:
            return error(404, "not_found", "No such user")
        user.update(body)
        return Answer(200, self._admin_view(user))

    def _delete_user(self, params, query, body) -> Answer:
        user = self._user(params)
        if user is None:
            return error(404, "not_found", "No such user")
        del self.users[user["id"]]
        return Answer(204)


# (method, OpenAPI path template) -> handler name, merged into fake_api.ROUTES.
ACCOUNT_ROUTES = {
    ("POST", "/api/auth/login"): "_login",
    ("POST", "/api/auth/logout"): "_logout",
    ("GET", "/api/auth/me"): "_auth_me",
    ("POST", "/api/auth/password"): "_password",
    ("GET", "/api/auth/tokens"): "_tokens",
    ("POST", "/api/auth/tokens"): "_new_token",
    ("DELETE", "/api/auth/tokens/{token_id}"): "_revoke_token",
    ("GET", "/api/users"): "_users",
    ("POST", "/api/users"): "_new_user",
    ("PATCH", "/api/users/{user_id}"): "_patch_user",
    ("DELETE", "/api/users/{user_id}"): "_delete_user",
}
