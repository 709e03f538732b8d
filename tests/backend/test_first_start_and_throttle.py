"""First start of the backend (the admin's password from the setting, or generated and
shown once) and login throttling over HTTP (429 JSON with Retry-After)."""

from __future__ import annotations

import logging

from studio_core.accounts.throttle import ACCOUNT_FREE
from tests.backend.helpers import ADMIN_PASSWORD


def _login(client, username="admin", password=ADMIN_PASSWORD, address="203.0.113.5"):
    return client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_admin_password_from_the_setting_is_not_printed(make_app, capsys):
    app = make_app()
    assert _login(app.test_client()).status_code == 200
    assert "Password:" not in capsys.readouterr().out


def test_generated_admin_password_is_shown_once(make_app, capsys, caplog):
    with caplog.at_level(logging.WARNING, logger="backend.accounts"):
        app = make_app(STUDIO_ADMIN_PASSWORD="")
    out = capsys.readouterr().out
    password = out.split("Password: ", 1)[1].split()[0]
    assert any(password in r.getMessage() for r in caplog.records)
    assert _login(app.test_client(), password=password).status_code == 200
    make_app(STUDIO_ADMIN_PASSWORD="")  # a second start (same database): nothing new
    assert "Password:" not in capsys.readouterr().out
    assert _login(app.test_client(), password=password).status_code == 200


def test_login_throttle_locks_the_account_with_retry_after(app):
    client = app.test_client()
    for n in range(ACCOUNT_FREE):
        assert _login(client, password="wrong password", address=f"10.1.0.{n}").status_code == 401
    locked = _login(client, password="wrong password", address="10.1.0.99")
    assert locked.status_code == 401  # this failure starts the lockout
    resp = _login(client, address="10.1.0.100")  # even the right password, from elsewhere
    assert resp.status_code == 429 and resp.get_json()["error"]["code"] == "rate_limited"
    assert int(resp.headers["Retry-After"]) >= 1


def test_unknown_users_are_throttled_like_known_ones(app):
    client = app.test_client()
    for _ in range(ACCOUNT_FREE + 1):
        _login(client, username="ghost", password="wrong password", address="10.2.0.1")
    resp = _login(client, username="ghost", password="wrong password", address="10.2.0.2")
    assert resp.status_code == 429


def test_login_per_address_limit_is_json_429(make_app):
    client = make_app(RATE_LIMIT_LOGIN="2/minute").test_client()
    codes = [_login(client, password="wrong password").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    resp = _login(client)
    assert resp.is_json and int(resp.headers["Retry-After"]) >= 1
