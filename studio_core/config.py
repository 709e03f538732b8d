"""Settings: defaults in code, then `.env`, then the environment, then a test dict.

This is the only module that reads the environment. Everything else receives a `Settings`.
A few fields are code-only: tuning with no operator use and state `python -m backend`
chooses itself. They take their value from the overrides alone, never from `.env` or the
environment, and `.env.example` does not list them.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# Values that must never be accepted as a production SECRET_KEY (samples, the original's).
KNOWN_DEFAULT_SECRETS = frozenset(
    {"", "change-me", "changeme", "secret", "mysecret", "dev", "development", "please-change-me"}
)
MIN_SECRET_LEN = 16
DEFAULT_COMFYUI_URL = "http://127.0.0.1:8188"
_RATE_RE = re.compile(
    r"^\d+\s*(?:/|per)\s*(?:\d+\s*)?(?:second|minute|hour|day|month|year)s?$", re.IGNORECASE
)
_USE_DEFAULT = object()
_CODE_ONLY = {"code_only": True}  # field metadata: set by overrides only


class ConfigError(ValueError):
    """A setting is missing or has a value the studio cannot run with."""


@dataclass(frozen=True)
class Settings:
    """Every tunable of the studio; build it with `load_settings()`."""

    # "" = not set: workers use DEFAULT_COMFYUI_URL, the launcher's DEMO_MODE=auto the simulator.
    comfyui_url: str = ""
    redis_url: str | None = None
    database_url: str = ""  # "" until load_settings() derives it from storage_dir
    storage_dir: Path = Path("storage")
    log_dir: Path = Path("logs")
    port: int = 5000
    host: str = "127.0.0.1"
    studio_env: str = "production"
    secret_key: str | None = None
    studio_admin_password: str | None = None
    # A Bearer token that may read /metrics and /health (a Prometheus scraper, a monitor).
    metrics_token: str | None = None
    trusted_proxy_count: int = 0
    # Direct peers whose X-Forwarded-* headers are believed (addresses or CIDRs).
    trusted_proxy_ips: tuple[str, ...] = ("127.0.0.1", "::1")
    cors_origins: tuple[str, ...] = ()
    worker_id: str = ""
    # A file the worker rewrites on every heartbeat, for a container healthcheck (None: off).
    worker_health_file: Path | None = None
    max_prompt_chars: int = 2000
    max_batch: int = 4
    # Largest width x height a custom or class size may ask for (1536x1536 by default).
    max_pixels: int = 2_359_296
    max_upload_mb: int = 20
    max_image_side: int = 4096
    max_image_pixels: int = 16_000_000
    job_timeout_s: int = 600  # counted from ComfyUI's execution_start for the prompt
    queue_timeout_s: int = 3600  # longest wait in ComfyUI's own queue before starting
    engine_wait_s: int = 600
    heartbeat_ttl_s: int = 30
    max_attempts: int = 3
    max_inflight: int = 2
    stop_grace_s: int = 10  # on SIGTERM: how long jobs may finish before they are handed back
    thumb_px: int = 384
    upload_retention_h: int = 24
    output_retention_days: int = 30
    storage_min_free_mb: int = 200  # below this free space: not ready, submissions refused
    disk_full_policy: str = "wait"  # a job whose outputs meet a full disk: wait | fail
    db_timeout_s: int = 5  # connect / read / write timeout of the MySQL driver and pool
    # Per user: a person clicking Generate / Repeat stays far below these; a script does not.
    rate_limit_generate: str = "60/minute;600/hour"
    rate_limit_imports: str = "60/minute;600/hour"  # admin tool imports, publishes, edits
    rate_limit_login: str = "5/minute"
    rate_limit_reads: str = "20/second"
    demo_mode: str = "auto"
    streams_per_user: int = 8  # open /api/events streams per user, across every process
    body_idle_timeout_s: int = 15  # a request body that sends nothing this long: 408
    body_timeout_s: int = 120  # a request body not complete after this long: 408
    head_timeout_s: int = 30  # a request head (or a new connection) not whole after this: closed
    # Code-only (see the module docstring); tests shorten the waits.
    # An idle SSE stream gets a `: ping` comment this often.
    sse_ping_s: float = field(default=15.0, metadata=_CODE_ONLY)
    # Workers republish their engines every few seconds; a submit may see a view this old.
    engines_cache_s: float = field(default=2.0, metadata=_CODE_ONLY)
    # How long /metrics reuses its query of recent job durations.
    metrics_cache_s: float = field(default=5.0, metadata=_CODE_ONLY)
    # argon2id cost of new password hashes (RFC 9106 option 2); tests make it cheap.
    argon2_time_cost: int = field(default=3, metadata=_CODE_ONLY)
    argon2_memory_kib: int = field(default=65536, metadata=_CODE_ONLY)
    argon2_parallelism: int = field(default=4, metadata=_CODE_ONLY)
    # None: the shipped catalog (the worker always loads that one).
    catalog_dir: Path | None = field(default=None, metadata=_CODE_ONLY)
    # None: the repository's frontend/.
    frontend_dir: Path | None = field(default=None, metadata=_CODE_ONLY)
    # Set by `python -m backend` when it forks several processes (backend.serving.server).
    metrics_multiprocess_dir: Path | None = field(default=None, metadata=_CODE_ONLY)

    @property
    def comfyui_urls(self) -> list[str]:
        """The ComfyUI base URLs (COMFYUI_URL may list several, comma-separated)."""
        return [u for u in self.comfyui_url.split(",") if u] or [DEFAULT_COMFYUI_URL]

    @property
    def comfyui_configured(self) -> bool:
        """Whether COMFYUI_URL was set: the launcher never guesses an engine when it was not."""
        return bool(self.comfyui_url)

    @property
    def is_production(self) -> bool:
        """True unless STUDIO_ENV=development."""
        return self.studio_env == "production"

    @property
    def max_upload_bytes(self) -> int:
        """MAX_UPLOAD_MB in bytes."""
        return self.max_upload_mb * 1024 * 1024

    @property
    def storage_min_free_bytes(self) -> int:
        """STORAGE_MIN_FREE_MB in bytes."""
        return self.storage_min_free_mb * 1024 * 1024

    def check_production(self) -> None:
        """Raise ConfigError when a production deployment would run with an unsafe secret."""
        if not self.is_production:
            return
        key = self.secret_key or ""
        if key.strip().lower() in KNOWN_DEFAULT_SECRETS or len(key) < MIN_SECRET_LEN:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_LEN} characters when STUDIO_ENV=production "
                '(e.g. python -c "import secrets; print(secrets.token_urlsafe(32))"), '
                "or set STUDIO_ENV=development for local work"
            )


def _number(kind: type, minimum: float, maximum: float | None) -> Callable[[str, Any], Any]:
    noun = "an integer" if kind is int else "a number"

    def parse(name: str, value: Any) -> Any:
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be {noun}, got {value!r}")
        try:
            number = kind(str(value).strip())
        except ValueError:
            raise ConfigError(f"{name} must be {noun}, got {value!r}") from None
        # Written so that NaN fails too.
        if not number >= minimum or (maximum is not None and number > maximum):
            bound = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            raise ConfigError(f"{name} must be {bound}, got {number}")
        return number

    return parse


def _int(minimum: int, maximum: int | None = None) -> Callable[[str, Any], int]:
    return _number(int, minimum, maximum)


def _float(minimum: float) -> Callable[[str, Any], float]:
    return _number(float, minimum, None)


def _choice(*allowed: str) -> Callable[[str, Any], str]:
    def parse(name: str, value: Any) -> str:
        text = str(value).strip().lower()
        if text not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        return text

    return parse


def _text(name: str, value: Any) -> str:
    return str(value).strip()


def _optional_text(name: str, value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _path(name: str, value: Any) -> Path:
    text = str(value).strip()
    if not text:
        raise ConfigError(f"{name} must not be empty")
    return Path(text).expanduser().resolve()


def _optional_path(name: str, value: Any) -> Path | None:
    if value is None or not str(value).strip():
        return None
    return _path(name, value)


def _comfyui_urls(name: str, value: Any) -> str:
    if not str(value).strip():
        return ""  # not set (Settings.comfyui_urls falls back to DEFAULT_COMFYUI_URL)
    urls = [u.strip().rstrip("/") for u in str(value).split(",") if u.strip()]
    if not urls:
        raise ConfigError(f"{name} must name at least one ComfyUI URL")
    for url in urls:
        if not re.match(r"^https?://[^/\s]+", url):
            raise ConfigError(f"{name} must be http(s) URLs, got {url!r}")
    return ",".join(urls)


def _redis_url(name: str, value: Any) -> str | None:
    text = _optional_text(name, value)
    if text and not text.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{name} must start with redis://, rediss:// or unix://, got {text!r}")
    return text


def _database_url(name: str, value: Any) -> str:
    text = str(value).strip()
    if not text:
        return ""  # empty means the SQLite default under STORAGE_DIR
    try:
        make_url(text)
    except ArgumentError:
        raise ConfigError(f"{name} is not a valid SQLAlchemy URL: {text!r}") from None
    return text


def _origins(name: str, value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    origins = tuple(str(o).strip().rstrip("/") for o in items if str(o).strip())
    for origin in origins:
        # A wildcard would let any site call the API with the user's cookies.
        if not re.match(r"^https?://[^/\s*]+$", origin):
            raise ConfigError(f"{name} must be explicit http(s) origins, got {origin!r}")
    return origins


def _networks(name: str, value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    networks = tuple(str(item).strip() for item in items if str(item).strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"{name} must be IP addresses or CIDRs, got {network!r}") from None
    return networks


def _rate(name: str, value: Any) -> str:
    text = str(value).strip()
    if not all(_RATE_RE.match(part.strip()) for part in text.split(";")):
        raise ConfigError(f"{name} must look like '10/minute', got {value!r}")
    return text


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "comfyui_url": _comfyui_urls,
    "redis_url": _redis_url,
    "database_url": _database_url,
    "storage_dir": _path,
    "log_dir": _path,
    "port": _int(1, 65535),
    "host": _text,
    "studio_env": _choice("development", "production"),
    "secret_key": _optional_text,
    "studio_admin_password": _optional_text,
    "metrics_token": _optional_text,
    "trusted_proxy_count": _int(0, 10),
    "trusted_proxy_ips": _networks,
    "cors_origins": _origins,
    "worker_id": _text,
    "worker_health_file": _optional_path,
    "max_prompt_chars": _int(1),
    "max_batch": _int(1, 64),
    "max_pixels": _int(4096),
    "max_upload_mb": _int(1),
    "max_image_side": _int(16),
    "max_image_pixels": _int(256),
    "job_timeout_s": _int(1),
    "queue_timeout_s": _int(1),
    "engine_wait_s": _int(0),
    "heartbeat_ttl_s": _int(1),
    "max_attempts": _int(1),
    "max_inflight": _int(1, 16),
    "stop_grace_s": _int(0, 3600),
    "thumb_px": _int(16, 4096),
    "upload_retention_h": _int(1),
    "output_retention_days": _int(1),
    "storage_min_free_mb": _int(0),
    "disk_full_policy": _choice("wait", "fail"),
    "db_timeout_s": _int(1, 300),
    "rate_limit_generate": _rate,
    "rate_limit_imports": _rate,
    "rate_limit_login": _rate,
    "rate_limit_reads": _rate,
    "demo_mode": _choice("auto", "on", "off"),
    "streams_per_user": _int(1, 10_000),
    "body_idle_timeout_s": _int(1, 3600),
    "body_timeout_s": _int(1, 3600),
    "head_timeout_s": _int(1, 3600),
    "sse_ping_s": _float(0.01),
    "engines_cache_s": _float(0),
    "metrics_cache_s": _float(0),
    "argon2_time_cost": _int(1, 16),
    "argon2_memory_kib": _int(8, 4 * 1024 * 1024),
    "argon2_parallelism": _int(1, 16),
    "catalog_dir": _optional_path,
    "frontend_dir": _optional_path,
    "metrics_multiprocess_dir": _optional_path,
}
# What `.env` and the environment may set: every field but the code-only ones.
ENVIRONMENT_FIELDS = frozenset(f.name for f in fields(Settings) if "code_only" not in f.metadata)


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    env_file: str | os.PathLike | object | None = _USE_DEFAULT,
) -> Settings:
    """Build Settings: code defaults < `.env` < environment < overrides (tests).

    `env` replaces os.environ (tests); the `.env` file (default `./.env`) is then read only
    when `env_file` is given explicitly, so a developer's `.env` cannot leak into tests.
    Override keys may be attribute names (`storage_dir`) or variable names (`STORAGE_DIR`);
    they alone set the code-only fields. Raises ConfigError (a ValueError) naming the
    variable on a bad value or an unknown override key.
    """
    if env_file is _USE_DEFAULT:
        env_file = ".env" if env is None else None
    environ = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if env_file is not None and Path(env_file).is_file():
        raw.update({k.lower(): v for k, v in dotenv_values(env_file).items() if v is not None})
    raw.update({k.lower(): v for k, v in environ.items()})
    # Only the variables the studio reads, never a code-only field.
    raw = {name: value for name, value in raw.items() if name in ENVIRONMENT_FIELDS}
    for key, value in (overrides or {}).items():
        if key.lower() not in _PARSERS:
            raise ConfigError(f"unknown setting {key!r}")
        raw[key.lower()] = value
    values = {name: _PARSERS[name](name.upper(), value) for name, value in raw.items()}
    values.setdefault("storage_dir", _path("STORAGE_DIR", Settings.storage_dir))
    values.setdefault("log_dir", _path("LOG_DIR", Settings.log_dir))
    if not values.get("database_url"):
        values["database_url"] = f"sqlite:///{values['storage_dir'] / 'studio.db'}"
    if not values.get("worker_id"):
        values["worker_id"] = f"{socket.gethostname()}-{os.getpid()}"
    return Settings(**values)
