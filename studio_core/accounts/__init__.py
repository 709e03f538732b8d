"""Accounts: users and their passwords, login sessions, personal API tokens, login throttling
and the first admin. Plain functions over an Engine (and Redis for the throttle), no Flask.

passwords   argon2id hashing, verification with rehash, the password and user-name rules
users       the users table: create, list, change role / disabled / password, delete
sessions    server-side login sessions (cookie value -> sha256 row) with their CSRF token
tokens      personal API tokens (shown once, stored as sha256), revocable
credentials who a session cookie or token belongs to, in one indexed read
throttle    failed logins per account and per address, with a growing lockout (Redis)
bootstrap   the first admin's password on first start, race-safe across processes
"""
