"""The `monitoring` compose profile: the shipped Prometheus config, a real Prometheus scraping a
live studio with the metrics token, and the Grafana dashboard against what it scraped."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from studio_ops.live_stack import start_live_studio
from tests.compose.compose_cli import ComposeUnavailable, compose_env
from tests.helpers import IN_CI, wait_until
from tests.ops.monitoring import (
    COMPOSE_YML,
    DASHBOARD_JSON,
    DASHBOARD_PROVIDERS_DIR,
    DATASOURCES_DIR,
    PROMETHEUS_YML,
    STUDIO_JOB,
    WRONG_TOKEN_JOB,
    dashboard_exprs,
    live_config,
    load_yaml,
    metric_names,
    private_prometheus,
    require_tool,
)

METRICS_TOKEN = "monitoring-test-token-0123456789"
SHIPPED_TOKEN_PATH = "/etc/prometheus/metrics_token"
# What the dashboard is about (issue 12): if a panel loses one of these, a test says so.
DASHBOARD_METRICS = {
    "studio_queue_depth",
    "studio_jobs",
    "studio_recent_job_duration_seconds_bucket",
    "studio_engine_busy",
    "studio_workers_online",
    "studio_engines_online",
    "studio_http_request_duration_seconds_bucket",
    "studio_http_requests_total",
}


def _compose_service(name: str) -> dict:
    return load_yaml(COMPOSE_YML)["services"][name]


def _provisioned_datasource() -> dict:
    (path,) = DATASOURCES_DIR.glob("*.yml")
    (source,) = load_yaml(path)["datasources"]
    return source


# -- (a) promtool ------------------------------------------------------------------------------


def test_promtool_accepts_the_shipped_config(tmp_path):
    promtool = require_tool("promtool")
    text = PROMETHEUS_YML.read_text(encoding="utf-8")
    # promtool opens the token file: the copy differs from the shipped file in that path only.
    assert text.count(SHIPPED_TOKEN_PATH) == 1
    token_file = tmp_path / "metrics_token"
    token_file.write_text(METRICS_TOKEN)
    checked = tmp_path / "prometheus.yml"
    checked.write_text(text.replace(SHIPPED_TOKEN_PATH, str(token_file)), encoding="utf-8")
    ran = subprocess.run(
        [promtool, "check", "config", str(checked)], capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "SUCCESS" in ran.stdout + ran.stderr


def test_shipped_config_scrapes_the_backend_with_the_token_compose_mounts():
    (job,) = load_yaml(PROMETHEUS_YML)["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"] == [{"targets": ["backend:5000"]}]
    assert job["authorization"] == {"type": "Bearer", "credentials_file": SHIPPED_TOKEN_PATH}
    service = _compose_service("prometheus")
    assert service["profiles"] == ["monitoring"]
    assert "ports" not in service  # reached by Grafana on compose's network only
    assert service["configs"] == [{"source": "metrics_token", "target": SHIPPED_TOKEN_PATH}]
    assert load_yaml(COMPOSE_YML)["configs"]["metrics_token"] == {"environment": "METRICS_TOKEN"}
    assert (
        "./monitoring/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro"
        in service["volumes"]
    )
    assert "--config.file=/etc/prometheus/prometheus.yml" in service["command"]


# -- (b) a real Prometheus scraping a live studio ---------------------------------------------


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    """(studio, prometheus): a live studio with METRICS_TOKEN that ran jobs, scraped by the
    shipped config (target, token file and interval replaced) and by a wrong-token copy."""
    require_tool("prometheus")  # before the studio starts, not after
    root = tmp_path_factory.mktemp("monitoring")
    studio = start_live_studio(root / "studio", METRICS_TOKEN=METRICS_TOKEN)
    try:
        for n in range(2):
            body = {
                "workflow": "text_to_image",
                "prompt": f"monitoring {n}",
                "params": {"steps": 4},
            }
            job_id = studio.generate(**body)["job_id"]
            studio.wait_status(job_id, {"finished"}, timeout=60)
        token_file, wrong_file = root / "metrics_token", root / "wrong_token"
        token_file.write_text(METRICS_TOKEN)
        wrong_file.write_text("not-the-metrics-token")
        target = studio.url.removeprefix("http://")
        config = live_config(load_yaml(PROMETHEUS_YML), target, token_file, wrong_file)
        with private_prometheus(config, root / "prometheus") as prom:
            wait_until(
                lambda: (
                    prom.value(f'up{{job="{STUDIO_JOB}"}}') is not None
                    and prom.value(f'up{{job="{WRONG_TOKEN_JOB}"}}') is not None
                ),
                timeout=30,
                what="both targets scraped",
                every=0.5,
            )
            yield studio, prom
    finally:
        studio.stop()


def test_prometheus_scrapes_the_studio_with_the_token(scraped):
    _studio, prom = scraped
    assert prom.value(f'up{{job="{STUDIO_JOB}"}}') == 1
    assert prom.target(STUDIO_JOB)["health"] == "up"
    assert prom.value('studio_jobs{status="finished"}') >= 2
    assert prom.value("studio_recent_job_duration_seconds_count") >= 2
    assert prom.value("studio_workers_online") == 1
    assert prom.value("studio_engines_online") == 1


def test_a_wrong_token_is_refused(scraped):
    _studio, prom = scraped
    assert prom.value(f'up{{job="{WRONG_TOKEN_JOB}"}}') == 0
    target = prom.target(WRONG_TOKEN_JOB)
    assert target["health"] == "down"
    assert "401" in target["lastError"], target


# -- (c) the Grafana dashboard ----------------------------------------------------------------


def test_dashboard_is_grafana_json_on_the_provisioned_datasource():
    dashboard = json.loads(DASHBOARD_JSON.read_text(encoding="utf-8"))
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    assert dashboard["uid"] and dashboard["title"]
    panels = dashboard["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids)
    source = _provisioned_datasource()
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    expected = {"type": "prometheus", "uid": source["uid"]}
    for panel in panels:
        assert panel["type"] in {"stat", "timeseries"}, panel["title"]
        assert panel["datasource"] == expected, panel["title"]
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}, panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert ref_ids and len(ref_ids) == len(set(ref_ids)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == expected and target["expr"].strip(), panel["title"]


def test_grafana_provisioning_points_at_what_compose_mounts():
    service = _compose_service("grafana")
    assert service["profiles"] == ["monitoring"]
    assert service["ports"] == ["${STUDIO_BIND:-127.0.0.1}:${GRAFANA_PORT:-3000}:3000"]
    env = service["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_SECURITY_ADMIN_PASSWORD"] == "${GRAFANA_ADMIN_PASSWORD:-}"
    (providers,) = (load_yaml(p)["providers"] for p in DASHBOARD_PROVIDERS_DIR.glob("*.yml"))
    (provider,) = providers
    mounts = dict(v.removesuffix(":ro").split(":", 1) for v in service["volumes"])
    assert mounts["./monitoring/grafana/provisioning"] == "/etc/grafana/provisioning"
    assert mounts["./monitoring/grafana/dashboards"] == provider["options"]["path"]
    home = env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/{DASHBOARD_JSON.name}"


@pytest.mark.parametrize(("password", "code"), [("", 1), ("a-grafana-password", 0)])
def test_grafana_refuses_to_start_without_a_password(password, code):
    """The entrypoint guard, run by /bin/sh with Grafana's /run.sh replaced by `true`."""
    shell, flag, script = _compose_service("grafana")["entrypoint"]
    assert script.endswith("exec /run.sh")
    script = script.replace("$$", "$").removesuffix("/run.sh") + "true"  # compose's $$ is $
    ran = subprocess.run(
        [shell, flag, script],
        env={"PATH": os.environ["PATH"], "GF_SECURITY_ADMIN_PASSWORD": password},
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert ran.returncode == code
    assert ("set GRAFANA_ADMIN_PASSWORD in .env" in ran.stderr) == (code == 1)


def test_metric_names_reads_selectors_not_functions_or_labels():
    expr = (
        'histogram_quantile(0.95, sum by (le, endpoint) (rate(a_bucket{endpoint!="x y"}[5m])))'
        " / on (job) group_left max without (instance) (b) or vector(0) and c:rule offset 5m"
    )
    assert metric_names(expr) == {"a_bucket", "b", "c:rule"}


def test_every_dashboard_metric_was_scraped(scraped):
    _studio, prom = scraped
    dashboard = json.loads(DASHBOARD_JSON.read_text(encoding="utf-8"))
    used = set().union(*(metric_names(expr) for _title, expr in dashboard_exprs(dashboard)))
    assert used >= DASHBOARD_METRICS, DASHBOARD_METRICS - used
    missing = used - prom.metric_names()
    assert not missing, f"dashboard names metrics the studio does not export: {missing}"


def test_every_panel_query_evaluates_with_data(scraped):
    """Every expr runs without error; with the jobs run and a few scrapes, each has data."""
    _studio, prom = scraped
    dashboard = json.loads(DASHBOARD_JSON.read_text(encoding="utf-8"))
    exprs = dashboard_exprs(dashboard)
    empty: list[str] = []
    deadline = time.monotonic() + 30
    while True:
        # prom.query raises on any evaluation error, naming the expression.
        empty = [f"{title}: {expr}" for title, expr in exprs if not prom.query(expr)]
        if not empty or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not empty, "panels without data:\n" + "\n".join(empty)


# -- (d) docker compose config ----------------------------------------------------------------


def _compose_config(command: list[str], env: dict[str, str], *profiles: str) -> dict:
    # No .env: a developer's file (COMPOSE_PROFILES, passwords) must not change the answer.
    args = [*command, "--env-file", os.devnull, "-f", str(COMPOSE_YML)]
    args += [a for p in profiles for a in ("--profile", p)]
    ran = subprocess.run(
        [*args, "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=COMPOSE_YML.parent,
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


def test_compose_monitoring_profile_config(tmp_path):
    try:
        found = compose_env(tmp_path / "docker-config")
    except ComposeUnavailable as exc:
        if IN_CI:
            raise
        pytest.skip(str(exc))
    command = ["docker", "compose"]
    # Without NGROK_AUTHTOKEN or any monitoring variable: profiles not asked for must not
    # make the others fail.
    env = {
        "PATH": found["PATH"],
        "HOME": found.get("HOME", "/root"),
        "SECRET_KEY": "compose-config-secret-key-0123",
        "MYSQL_PASSWORD": "m",
        "MYSQL_ROOT_PASSWORD": "r",
        **({"DOCKER_CONFIG": found["DOCKER_CONFIG"]} if "DOCKER_CONFIG" in found else {}),
    }
    plain = _compose_config(command, env)
    assert not {"prometheus", "grafana"} & set(plain["services"])
    config = _compose_config(
        command,
        {**env, "METRICS_TOKEN": METRICS_TOKEN, "GRAFANA_ADMIN_PASSWORD": "g"},
        "monitoring",
    )
    grafana, prometheus = config["services"]["grafana"], config["services"]["prometheus"]
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == "g"
    assert [(p["host_ip"], p["published"], p["target"]) for p in grafana["ports"]] == [
        ("127.0.0.1", "3000", 3000)
    ]
    assert not prometheus.get("ports")
    assert config["configs"]["metrics_token"]["environment"] == "METRICS_TOKEN"
    assert {"prometheus-data", "grafana-data"} <= set(config["volumes"])
