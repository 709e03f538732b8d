"""A real end-to-end check of a running studio: one small job from submit to a PNG on disk.

    python -m studio_ops.run_stack_test [URL] [--timeout 120]

Checks /health, submits one text_to_image job (fixed seed, few steps, batch 1), follows
`/api/status/<id>` until it ends, downloads the first output and checks it is a PNG of the
size the job reports. Prints timings. Exit code: 0 pass, 1 any failure (with the API's
error message), 2 studio unreachable. One job only: this is a check, not a load test.
"""

from __future__ import annotations

import argparse
import struct
import sys
import time
import uuid
from pathlib import Path

import requests

from studio_ops.studio_http import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_UNREACHABLE,
    UNREACHABLE,
    api_error,
    base_url,
    command_parser,
    describe,
    retry_after,
    session_for,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TERMINAL = {"finished", "failed", "cancelled"}
POLL_S = 0.25


class CheckFailed(Exception):
    """A step of the check failed; the message says which and why."""


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; raises CheckFailed when it is not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise CheckFailed(f"output is not a PNG (starts with {data[:16]!r})")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


class StackTest:
    """The steps of the check against one studio, with their timings."""

    def __init__(self, base: str, session: requests.Session, timeout: float):
        self.base = base
        self.session = session
        self.timeout = timeout
        self.timings: dict[str, float] = {}

    def _say(self, message: str) -> None:
        print(f"stack_test: {message}", flush=True)

    def check_health(self) -> None:
        """Fail early, naming the component, when /health is not ok (a job would only wait)."""
        resp = self.session.get(self.base + "/health", timeout=10)
        body = (
            resp.json()
            if resp.headers.get("Content-Type", "").startswith("application/json")
            else {}
        )
        if resp.status_code != 200:
            down = [k for k, v in body.get("components", {}).items() if v != "ok"]
            detail = f"components not ok: {', '.join(down)}" if down else api_error(resp)
            raise CheckFailed(f"studio not healthy (HTTP {resp.status_code}): {detail}")
        demo = " (demo mode: the engine is the simulator)" if body.get("demo_mode") else ""
        self._say(f"health ok{demo}")

    def submit(self, prompt: str, seed: int, steps: int) -> str:
        """POST /api/generate; return the job id."""
        body = {
            "workflow": "text_to_image",
            "prompt": prompt,
            "seed": seed,
            "aspect_ratio": "1:1",
            "batch_size": 1,
            "params": {"steps": steps},
        }
        started = time.perf_counter()
        resp = self.session.post(
            self.base + "/api/generate",
            json=body,
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=30,
        )
        self.timings["submit"] = time.perf_counter() - started
        if resp.status_code != 202:
            raise CheckFailed(f"submit refused: {api_error(resp)}")
        job_id = resp.json()["job_id"]
        self._say(f"submitted job {job_id} seed={seed} steps={steps}")
        return job_id

    def follow(self, job_id: str) -> dict:
        """Poll /api/status/<id> until the job ends or the timeout passes (then cancel it)."""
        started = time.perf_counter()
        deadline = time.monotonic() + self.timeout
        status, job = "", {}
        while time.monotonic() < deadline:
            resp = self.session.get(f"{self.base}/api/status/{job_id}", timeout=10)
            if resp.status_code == 429:  # polling too fast for this studio's read limit
                time.sleep(retry_after(resp) or 1)
                continue
            if resp.status_code != 200:
                raise CheckFailed(f"status of {job_id}: {api_error(resp)}")
            job = resp.json()
            if job["status"] != status:
                status = job["status"]
                elapsed = time.perf_counter() - started
                self._say(f"{status} after {elapsed:.2f}s (progress {job.get('progress')})")
                if status == "processing":
                    self.timings["queued"] = elapsed
            if status in TERMINAL:
                self.timings["run"] = time.perf_counter() - started - self.timings.get("queued", 0)
                return job
            time.sleep(POLL_S)
        self.session.post(f"{self.base}/api/cancel/{job_id}", timeout=10)
        raise CheckFailed(f"job {job_id} still {status} after {self.timeout:.0f}s (cancelled)")

    def download(self, job: dict, save_to: Path | None) -> None:
        """Fetch the first output and check it is a PNG of the size the job reports."""
        if job["status"] != "finished":
            raise CheckFailed(f"job {job['job_id']} {job['status']}: {job.get('error')}")
        outputs = job.get("outputs") or []
        if not outputs:
            raise CheckFailed(f"job {job['job_id']} finished without outputs")
        started = time.perf_counter()
        resp = self.session.get(self.base + outputs[0]["url"], timeout=30)
        self.timings["download"] = time.perf_counter() - started
        if resp.status_code != 200:
            raise CheckFailed(f"download {outputs[0]['url']}: {api_error(resp)}")
        width, height = png_size(resp.content)
        expected = (outputs[0].get("width"), outputs[0].get("height"))
        if None not in expected and expected != (width, height):
            raise CheckFailed(f"PNG is {width}x{height}, the job says {expected[0]}x{expected[1]}")
        if save_to is not None:
            save_to.write_bytes(resp.content)
        self._say(
            f"output {outputs[0]['url']} is a {width}x{height} PNG ({len(resp.content)} bytes)"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = command_parser(
        prog="run_stack_test",
        description="Submit one small text_to_image job to a running studio, follow it to the "
        "end, download the PNG. Exit code: 0 pass, 1 failure, 2 unreachable.",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for the job")
    parser.add_argument("--seed", type=int, default=20240607, help="fixed seed (reproducible)")
    parser.add_argument("--steps", type=int, default=4, help="sampler steps (small: fast)")
    parser.add_argument("--prompt", default="stack test: a lighthouse at dusk")
    parser.add_argument("--save", type=Path, metavar="FILE", help="keep the PNG here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the check; print each step and the timings; return the exit code."""
    args = parse_args(argv)
    started = time.perf_counter()
    with session_for(args.token) as session:
        test = StackTest(base_url(args.url), session, args.timeout)
        try:
            test.check_health()
            job = test.follow(test.submit(args.prompt, args.seed, args.steps))
            test.download(job, args.save)
        except UNREACHABLE as exc:
            print(f"stack_test: FAIL: {test.base} unreachable ({describe(exc)})", flush=True)
            return EXIT_UNREACHABLE
        except CheckFailed as exc:
            print(f"stack_test: FAIL: {exc}", flush=True)
            return EXIT_FAIL
    test.timings["total"] = time.perf_counter() - started
    timings = "  ".join(f"{k}={v:.2f}s" for k, v in test.timings.items())
    print(f"stack_test: timings {timings}", flush=True)
    print("stack_test: PASS", flush=True)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
