"""start_ngrok: the install hint without a binary, and reading ngrok's local API."""

from __future__ import annotations

import os

from studio_ops.start_ngrok import public_url
from tests.ops.helpers import run_script


def test_without_ngrok_on_path_exits_1_with_install_hint(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # an empty directory: no ngrok anywhere
    ran = run_script("start_ngrok", "--port", "5999", env=env)
    assert ran.code == 1
    assert "ngrok is not installed" in ran.out
    assert "https://ngrok.com/download" in ran.out
    assert "NGROK_AUTHTOKEN" in ran.out


def test_public_url_picks_the_https_tunnel_for_the_port():
    tunnels = {
        "tunnels": [
            {
                "public_url": "https://other.ngrok-free.app",
                "config": {"addr": "http://localhost:8080"},
            },
            {
                "public_url": "http://abc.ngrok-free.app",
                "config": {"addr": "http://localhost:5000"},
            },
            {
                "public_url": "https://abc.ngrok-free.app",
                "config": {"addr": "http://localhost:5000"},
            },
        ]
    }
    assert public_url(tunnels, 5000) == "https://abc.ngrok-free.app"
    assert public_url(tunnels, 5001) is None
    assert public_url({"tunnels": []}, 5000) is None
