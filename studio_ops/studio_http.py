"""How the operator commands talk to a running studio: URL and token arguments, errors,
loopback checks.

Every route but the probes needs a login: a command sends an API token (made in the app, or
`POST /api/auth/tokens`) from `--token` or the STUDIO_TOKEN variable as `Authorization: Bearer`.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
from urllib.parse import urlsplit

import requests

DEFAULT_URL = "http://localhost:5000"

# Exit codes shared by the scripts: a script that cannot reach the studio says so distinctly.
EXIT_OK = 0
EXIT_FAIL = 1
EXIT_UNREACHABLE = 2

# What "the studio did not answer" looks like to requests (refused, DNS, timeout, reset).
UNREACHABLE = (requests.ConnectionError, requests.Timeout)


def command_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A command line whose first argument is the studio's URL (optional, default local)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("url", nargs="?", default=DEFAULT_URL, help=f"default {DEFAULT_URL}")
    parser.add_argument(
        "--token",
        default=os.environ.get("STUDIO_TOKEN", ""),
        help="an API token of the studio (default: the STUDIO_TOKEN variable)",
    )
    return parser


def session_for(token: str) -> requests.Session:
    """A requests session that sends the API token, if one is given."""
    session = requests.Session()
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


def base_url(url: str) -> str:
    """The studio's base URL without a trailing slash (http:// added when no scheme is given)."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    return url.rstrip("/")


def api_error(resp: requests.Response) -> str:
    """The API's error as "HTTP <status> <code>: <message>", or the start of a non-JSON body."""
    try:
        body = resp.json()
    except ValueError:
        return f"HTTP {resp.status_code}: {resp.text[:200]!r}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        field = f" (field {error['field']})" if error.get("field") else ""
        return f"HTTP {resp.status_code} {error.get('code')}: {error.get('message')}{field}"
    return f"HTTP {resp.status_code}: {str(body)[:200]}"


def retry_after(resp: requests.Response) -> int | None:
    """The Retry-After header in seconds, or None when absent or not a number."""
    value = resp.headers.get("Retry-After", "")
    return int(value) if value.strip().isdigit() else None


def describe(exc: Exception) -> str:
    """A short reason for an unreachable studio (requests' own messages run to lines)."""
    text = str(exc)
    if isinstance(exc, requests.Timeout):
        return "timed out"
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("NameResolutionError", "host name not resolved"),
        ("Name or service not known", "host name not resolved"),
        ("Connection reset", "connection reset"),
    ):
        if needle in text:
            return reason
    return text[:160]


def is_loopback(url: str) -> bool:
    """True when every address the URL's host resolves to is a loopback address."""
    host = urlsplit(base_url(url)).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)
