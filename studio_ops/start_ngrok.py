"""Put the studio on the internet through an ngrok tunnel and print its public URL.

    python -m studio_ops.start_ngrok [--port 5000]

Runs `ngrok http <port>` (the ngrok binary must be installed; this script never downloads
it), waits for ngrok's local API (http://127.0.0.1:4040/api/tunnels) to list the tunnel and
prints its public URL, then keeps the tunnel up until Ctrl-C. The page uses same-origin
relative URLs, so nothing is rewritten when the tunnel URL changes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

from studio_core.config import load_settings
from studio_ops.studio_http import EXIT_FAIL, EXIT_OK, UNREACHABLE

NGROK_API = "http://127.0.0.1:4040/api/tunnels"
DEFAULT_LOG = Path(__file__).resolve().parents[1] / "logs" / "ngrok.log"  # next to the studio's
INSTALL_HINT = """ngrok is not installed (no `ngrok` on PATH). This script does not download it.
Install it from https://ngrok.com/download (or: `brew install ngrok` on macOS,
`choco install ngrok` / `winget install ngrok.ngrok` on Windows, `snap install ngrok` on Linux),
then set your token: NGROK_AUTHTOKEN=<token from https://dashboard.ngrok.com> in the
environment (or run `ngrok config add-authtoken <token>` once)."""
PROXY_REMINDER = (
    "Behind the tunnel every visitor comes through one proxy: start the studio with "
    "TRUSTED_PROXY_COUNT=1 so rate limits and logs see the real client IPs."
)


def public_url(tunnels: dict, port: int) -> str | None:
    """The https (else http) public URL of the tunnel that forwards to `port`, if any."""
    urls = []
    for tunnel in tunnels.get("tunnels", []):
        addr = str(tunnel.get("config", {}).get("addr", ""))
        if addr.rstrip("/").endswith(f":{port}") or addr == str(port):
            urls.append(str(tunnel.get("public_url", "")))
    urls.sort(key=lambda u: not u.startswith("https://"))
    return urls[0] if urls else None


def find_tunnel(api_url: str, port: int) -> str | None:
    """Ask ngrok's local API for the tunnel to `port`; None while it is not up."""
    try:
        resp = requests.get(api_url, timeout=2)
        return public_url(resp.json(), port) if resp.ok else None
    except (*UNREACHABLE, ValueError):
        return None


def studio_answers(port: int) -> bool:
    """Whether a studio answers /livez on this machine's `port`."""
    try:
        return requests.get(f"http://127.0.0.1:{port}/livez", timeout=2).ok
    except UNREACHABLE:
        return False


def wait_for_tunnel(proc: subprocess.Popen, api_url: str, port: int, timeout: float) -> str | None:
    """Poll ngrok's API until the tunnel is listed, ngrok exits, or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        url = find_tunnel(api_url, port)
        if url:
            return url
        time.sleep(0.5)
    return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="start_ngrok",
        description="Start `ngrok http PORT` for the studio and print the public URL.",
    )
    parser.add_argument("--port", type=int, default=None, help="default PORT (5000)")
    parser.add_argument("--api-url", default=NGROK_API, help="ngrok's local API")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for the URL")
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG, help="ngrok's log file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the tunnel, print its URL and keep it up until Ctrl-C; return the exit code."""
    args = parse_args(argv)
    settings = load_settings()  # PORT and TRUSTED_PROXY_COUNT, read like the studio reads them
    args.port = args.port or settings.port
    ngrok = shutil.which("ngrok")
    if ngrok is None:
        print(INSTALL_HINT, file=sys.stderr, flush=True)
        return EXIT_FAIL
    if not os.environ.get("NGROK_AUTHTOKEN"):  # ngrok's own variable, not a studio setting
        print(
            "note: NGROK_AUTHTOKEN is not set; ngrok needs it unless its config file has a "
            "token (`ngrok config add-authtoken <token>`).",
            flush=True,
        )
    if settings.trusted_proxy_count != 1:
        print(f"reminder: {PROXY_REMINDER}", flush=True)
    if not studio_answers(args.port):
        print(
            f"warning: nothing answers http://127.0.0.1:{args.port}/livez yet; start the "
            "studio (scripts/start_all.sh or .bat) or the tunnel shows an error.",
            flush=True,
        )
    existing = find_tunnel(args.api_url, args.port)
    if existing:
        print(f"an ngrok agent already tunnels port {args.port}: {existing}", flush=True)
        return EXIT_OK
    args.log.parent.mkdir(parents=True, exist_ok=True)
    with args.log.open("ab") as log:
        proc = subprocess.Popen(
            [ngrok, "http", str(args.port), "--log", "stdout"], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            url = wait_for_tunnel(proc, args.api_url, args.port, args.timeout)
            if url is None:
                print(
                    f"ngrok did not open a tunnel (exit code {proc.poll()}); see {args.log} "
                    "(a missing or wrong NGROK_AUTHTOKEN is the usual cause)",
                    file=sys.stderr,
                )
                return EXIT_FAIL
            print(f"public URL: {url}  (forwarding to http://localhost:{args.port})", flush=True)
            print("Ctrl-C stops the tunnel.", flush=True)
            return proc.wait()
        except KeyboardInterrupt:
            return EXIT_OK
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
