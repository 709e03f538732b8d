"""test_rate_limit (rate_limit_check) against live studios, with and without tight limits."""

from __future__ import annotations

import requests

from tests.ops.helpers import run_script


def test_generous_limits_answer_everything_200(live_studio):
    ran = run_script(
        "rate_limit_check", live_studio.url, "--token", live_studio.token, "--count", "20"
    )
    assert ran.code == 0, ran.out
    assert "rate_limit: answers   200: 20" in ran.out
    assert "rate_limit: limited   0 (429)" in ran.out


def test_tight_read_limit_gives_json_429_with_retry_after(limited_studio):
    ran = run_script(
        "rate_limit_check",
        limited_studio.url,
        "--token",
        limited_studio.token,
        "--count",
        "30",
        "--expect-limited",
    )
    assert ran.code == 0, ran.out
    lines = dict(line.split(None, 2)[1:] for line in ran.out.splitlines()[1:] if "  " in line)
    assert int(lines["limited"].split()[0]) >= 10, ran.out  # at most 5 per 1 s window pass
    assert "rate_limit: Retry-After seen: 1 (seconds)" in ran.out
    assert 'rate_limit: 429 body: JSON {"error": {"code": "rate_limited", ...}}' in ran.out


def test_generate_probe_is_limited_and_creates_no_job(limited_studio):
    ran = run_script(
        "rate_limit_check",
        limited_studio.url,
        "--token",
        limited_studio.token,
        "--generate",
        "--count",
        "6",
        "--expect-limited",
    )
    assert ran.code == 0, ran.out
    assert "rate_limit: answers   400: 3, 429: 3" in ran.out
    jobs = requests.get(
        limited_studio.url + "/api/jobs", timeout=5, headers=limited_studio.headers
    ).json()
    assert jobs["total"] == 0


def test_expect_limited_fails_when_nothing_is_limited(live_studio):
    ran = run_script(
        "rate_limit_check",
        live_studio.url,
        "--token",
        live_studio.token,
        "--count",
        "5",
        "--expect-limited",
    )
    assert ran.code == 1
    assert "PROBLEM: no request was rate limited" in ran.out


def test_remote_url_is_refused_without_allow_remote():
    ran = run_script("rate_limit_check", "http://192.0.2.1:5000", "--count", "1")
    assert ran.code == 1
    assert "is not a loopback address" in ran.out
