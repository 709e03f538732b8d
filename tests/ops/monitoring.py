"""The shipped monitoring files, and a private Prometheus (Debian's binary) that tests start.

`private_prometheus` runs /usr/bin/prometheus on a free loopback port with its own storage
directory, and always stops it. `live_config` turns the shipped prometheus.yml into the
config that scrapes a live studio: only the target, the token file and the scrape interval
change, plus a copy of the job that sends a wrong token.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml

from studio_ops.processes import ROOT, free_port, wait_for
from tests.helpers import IN_CI

MONITORING = ROOT / "monitoring"
PROMETHEUS_YML = MONITORING / "prometheus" / "prometheus.yml"
DASHBOARD_JSON = MONITORING / "grafana" / "dashboards" / "comfyui-studio.json"
DATASOURCES_DIR = MONITORING / "grafana" / "provisioning" / "datasources"
DASHBOARD_PROVIDERS_DIR = MONITORING / "grafana" / "provisioning" / "dashboards"
COMPOSE_YML = ROOT / "docker-compose.yml"
STUDIO_JOB = "comfyui-studio"
WRONG_TOKEN_JOB = "comfyui-studio-wrong-token"

# PromQL words that look like identifiers but name no metric.
_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "inf", "nan"}
    | {"group_left", "group_right"}
)
_STRINGS = re.compile(r'"(?:\\.|[^"\\])*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_OFFSETS = re.compile(r"\boffset\s+-?[0-9a-z]+")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def require_tool(name: str) -> str:
    """The tool's path; a missing tool skips the test locally and fails it in CI."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} not installed (Debian package prometheus; .ci/run installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def load_yaml(path: Path) -> dict:
    """A YAML file as a dict."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not functions, labels or keywords)."""
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _OFFSETS.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for match in _IDENT.finditer(text):
        rest = text[match.end() :].lstrip()
        if match.group() in _KEYWORDS or rest.startswith("("):
            continue  # a function or an aggregation
        names.add(match.group())
    return names


def dashboard_exprs(dashboard: dict) -> list[tuple[str, str]]:
    """(panel title, expr) for every target of every panel."""
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def live_config(
    shipped: dict, target: str, token_file: Path, wrong_token_file: Path, interval: str = "1s"
) -> dict:
    """The shipped config aimed at `target`, plus a job that sends the wrong token."""
    config = copy.deepcopy(shipped)
    config["global"]["scrape_interval"] = interval  # samples for rate() within seconds
    (job,) = config["scrape_configs"]
    assert job["job_name"] == STUDIO_JOB
    job["static_configs"] = [{"targets": [target]}]
    job["authorization"]["credentials_file"] = str(token_file)
    wrong = copy.deepcopy(job)
    wrong["job_name"] = WRONG_TOKEN_JOB
    wrong["authorization"]["credentials_file"] = str(wrong_token_file)
    config["scrape_configs"].append(wrong)
    return config


@dataclass
class PrometheusServer:
    """A running private Prometheus and its HTTP API."""

    url: str
    popen: subprocess.Popen

    def api(self, path: str, **params) -> dict:
        """GET /api/v1/<path>; the `data` of a success, AssertionError with the error else."""
        resp = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = resp.json()
        assert body.get("status") == "success", f"{path} {params}: {body}"
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        """The instant vector (or scalar as one sample) `expr` evaluates to now."""
        data = self.api("query", query=expr)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        return data["result"]

    def value(self, expr: str) -> float | None:
        """The single value of `expr` now, None when it has no sample."""
        result = self.query(expr)
        assert len(result) <= 1, f"{expr} has {len(result)} series"
        return float(result[0]["value"][1]) if result else None

    def metric_names(self) -> set[str]:
        """Every metric name Prometheus has stored (scraped plus its own `up` and friends)."""
        return set(self.api("label/__name__/values"))

    def target(self, job: str) -> dict:
        """The active target of a scrape job."""
        targets = [t for t in self.api("targets")["activeTargets"] if t["labels"]["job"] == job]
        assert len(targets) == 1, targets
        return targets[0]


@contextlib.contextmanager
def private_prometheus(config: dict, root: Path) -> Iterator[PrometheusServer]:
    """Run Prometheus with `config` under `root` on a free port; always stopped on exit."""
    binary = require_tool("prometheus")
    root.mkdir(parents=True, exist_ok=True)
    config_file = root / "prometheus.yml"
    # JSON is YAML: what Prometheus reads is exactly the dict the test built.
    config_file.write_text(json.dumps(config), encoding="utf-8")
    port = free_port()
    with open(root / "prometheus.out", "ab") as log:
        popen = subprocess.Popen(
            [
                binary,
                f"--config.file={config_file}",
                f"--storage.tsdb.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = PrometheusServer(url=f"http://127.0.0.1:{port}", popen=popen)
    try:
        wait_for(
            lambda: requests.get(server.url + "/-/ready", timeout=1).ok,
            30,
            f"prometheus (see {root / 'prometheus.out'})",
            popen,
        )
        yield server
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout=10)
