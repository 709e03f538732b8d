"""Settings precedence and validation, and the logging set-up."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from studio_core.config import ENVIRONMENT_FIELDS, ConfigError, Settings, load_settings
from studio_core.logging_setup import configure_logging


def test_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.comfyui_urls == ["http://127.0.0.1:8188"]
    assert settings.redis_url is None and settings.port == 5000 and settings.host == "127.0.0.1"
    assert settings.storage_dir == tmp_path / "storage" and settings.storage_dir.is_absolute()
    assert settings.database_url == f"sqlite:///{tmp_path / 'storage' / 'studio.db'}"
    assert settings.studio_env == "production" and settings.demo_mode == "auto"
    assert (settings.max_batch, settings.max_upload_bytes, settings.thumb_px) == (4, 20 << 20, 384)
    assert settings.rate_limit_reads == "20/second" and settings.cors_origins == ()
    assert settings.worker_id  # host-pid


def test_precedence_dotenv_then_environment_then_overrides(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=6000\nHOST=0.0.0.0\nMAX_BATCH=2\nSECRET_KEY=from-dotenv\n")
    env = {"PORT": "7000", "MAX_BATCH": "3", "UNRELATED": "x"}
    settings = load_settings({"max_batch": 1}, env=env, env_file=env_file)
    assert (settings.host, settings.port, settings.max_batch) == ("0.0.0.0", 7000, 1)
    assert settings.secret_key == "from-dotenv"


def test_dotenv_is_read_from_the_working_directory_by_default(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("MAX_PROMPT_CHARS=99\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAX_PROMPT_CHARS", raising=False)
    assert load_settings().max_prompt_chars == 99
    monkeypatch.setenv("MAX_PROMPT_CHARS", "77")  # the real environment wins over .env
    assert load_settings().max_prompt_chars == 77
    assert load_settings(env={}).max_prompt_chars == 2000  # explicit env: .env is not read


def test_overrides_accept_variable_names_and_typed_values(tmp_path):
    settings = load_settings(
        {"STORAGE_DIR": tmp_path, "CORS_ORIGINS": ["https://a.example"], "SSE_PING_S": "0.2"},
        env={},
    )
    assert settings.storage_dir == tmp_path
    assert settings.database_url == f"sqlite:///{tmp_path / 'studio.db'}"
    assert settings.cors_origins == ("https://a.example",)
    assert settings.sse_ping_s == 0.2


def test_code_only_fields_come_from_overrides_alone(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SSE_PING_S=1\nCATALOG_DIR=/elsewhere\n")
    env = {"ENGINES_CACHE_S": "60", "METRICS_MULTIPROCESS_DIR": "/tmp/x"}
    settings = load_settings(env=env, env_file=env_file)
    assert (settings.sse_ping_s, settings.engines_cache_s) == (15.0, 2.0)
    assert settings.catalog_dir is None and settings.metrics_multiprocess_dir is None
    settings = load_settings({"catalog_dir": tmp_path, "METRICS_CACHE_S": 0}, env={})
    assert (settings.catalog_dir, settings.metrics_cache_s) == (tmp_path, 0.0)


def test_unknown_override_keys_are_refused():
    with pytest.raises(ConfigError, match="MAX_BACTH"):
        load_settings({"MAX_BACTH": 2}, env={})


def test_lists_and_urls_are_parsed(tmp_path):
    settings = load_settings(
        env={
            "COMFYUI_URL": "http://gpu1:8188/, http://gpu2:8188",
            "CORS_ORIGINS": "https://a.example, https://b.example/",
            "REDIS_URL": "redis://127.0.0.1:6390/0",
            "DATABASE_URL": "mysql+mysqlconnector://studio:pw@db:3306/studio",
            "STUDIO_ENV": "Development",
            "DEMO_MODE": "ON",
        }
    )
    assert settings.comfyui_urls == ["http://gpu1:8188", "http://gpu2:8188"]
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.redis_url == "redis://127.0.0.1:6390/0"
    assert settings.database_url.startswith("mysql+mysqlconnector://")
    assert (settings.studio_env, settings.demo_mode) == ("development", "on")
    assert load_settings(env={"REDIS_URL": "  "}).redis_url is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "abc", "PORT must be an integer"),
        ("PORT", "70000", "PORT must be between 1 and 65535"),
        ("MAX_BATCH", "0", "MAX_BATCH must be between"),
        ("STUDIO_ENV", "staging", "STUDIO_ENV must be one of development, production"),
        ("DEMO_MODE", "maybe", "DEMO_MODE must be one of auto, on, off"),
        ("COMFYUI_URL", "gpu1:8188", "COMFYUI_URL must be http"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must start with"),
        ("DATABASE_URL", "not a url", "DATABASE_URL is not a valid"),
        ("CORS_ORIGINS", "*", "CORS_ORIGINS must be explicit"),
        ("RATE_LIMIT_LOGIN", "five a minute", "RATE_LIMIT_LOGIN must look like"),
        ("TRUSTED_PROXY_COUNT", "-1", "TRUSTED_PROXY_COUNT must be between"),
    ],
)
def test_bad_values_name_the_variable(name, value, message):
    with pytest.raises(ValueError, match=message):
        load_settings(env={name: value})


def test_settings_are_frozen():
    settings = load_settings(env={})
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]
    assert isinstance(settings, Settings)


@pytest.mark.parametrize("secret", [None, "", "change-me", "mysecret", "short"])
def test_production_refuses_missing_or_default_secret(secret):
    env = {"SECRET_KEY": secret} if secret is not None else {}
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(env=env).check_production()
    load_settings(env={**env, "STUDIO_ENV": "development"}).check_production()


def test_production_accepts_a_real_secret():
    load_settings(env={"SECRET_KEY": "s" * 8 + "0123456789abcdef"}).check_production()


def test_logging_writes_one_key_value_line_per_event_and_is_idempotent(tmp_path, restore_logging):
    before = len(logging.getLogger().handlers)
    configure_logging("worker", tmp_path)
    path: Path = configure_logging("worker", tmp_path, level="DEBUG")
    assert len(logging.getLogger().handlers) == before + 2
    log = logging.getLogger("studio_core.test")
    log.info("job claimed job=%s attempt=%s", "j1", 2)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("job failed job=%s", "j2")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("ts=") and "Z level=INFO service=worker" in lines[0]
    assert lines[0].endswith("logger=studio_core.test job claimed job=j1 attempt=2")
    assert "level=ERROR" in lines[1] and "RuntimeError: boom" in lines[1]
    handler = next(h for h in logging.getLogger().handlers if hasattr(h, "maxBytes"))
    assert (handler.maxBytes, handler.backupCount) == (5 * 1024 * 1024, 3)


def test_env_example_documents_every_variable_with_its_default(tmp_path, monkeypatch):
    example = Path(__file__).resolve().parents[2] / ".env.example"
    names = {
        line.split("=", 1)[0]
        for line in example.read_text().splitlines()
        if line and not line.startswith("#")
    }
    compose_yml = (example.parent / "docker-compose.yml").read_text()
    # What docker-compose.yml interpolates from .env but the studio's settings do not read.
    compose_only = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", compose_yml)) - {
        name.upper() for name in ENVIRONMENT_FIELDS
    }
    assert compose_only >= {"MYSQL_PASSWORD", "STUDIO_PORT", "STUDIO_PROXY_COUNT"}
    assert names == {name.upper() for name in ENVIRONMENT_FIELDS} | compose_only
    monkeypatch.chdir(tmp_path)
    assert load_settings(env={}, env_file=example) == load_settings(env={})


def test_comfyui_url_not_set_is_told_apart_from_set_to_the_default():
    for unset in ({}, {"COMFYUI_URL": ""}, {"COMFYUI_URL": "  "}):
        settings = load_settings(env=unset)
        assert not settings.comfyui_configured
        assert settings.comfyui_urls == ["http://127.0.0.1:8188"]
    settings = load_settings(env={"COMFYUI_URL": "http://127.0.0.1:8188"})
    assert settings.comfyui_configured and settings.comfyui_urls == ["http://127.0.0.1:8188"]
    with pytest.raises(ValueError, match="at least one"):
        load_settings(env={"COMFYUI_URL": ","})
