"""What each ComfyUI backend can do, as its worker last saw it, shared through Redis.

Workers probe their ComfyUI (`/system_stats`, `/object_info`, `/models/{folder}`) and publish
the result here with a TTL; the backend reads it to answer `/api/models`, tool availability
and the HUD without talking to ComfyUI itself. Only `/health` asks the engines directly
(`probe_engines`): a record is up to a TTL old, and a dead engine must show at once.

    engine:<url>   string JSON {url, online, simulator, version, node_classes, models,
                                families, worker_id, checked_at, error}; TTL = a few heartbeats

`families` is `{folder: {file: {"family", "size_class", "source"}}}` for the folders whose
files have a family (studio_core.models.family), as the worker read it from ComfyUI.
    engines        set    every engine URL ever published (no KEYS/SCAN)
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import requests


@dataclass(frozen=True)
class EngineInfo:
    """One ComfyUI backend as last probed by its worker."""

    url: str
    online: bool
    simulator: bool = False
    version: str | None = None
    node_classes: frozenset[str] = frozenset()
    models: dict[str, list[str]] = field(default_factory=dict)
    families: dict[str, dict[str, dict]] = field(default_factory=dict)
    worker_id: str | None = None
    checked_at: float = 0.0
    error: str | None = None

    def to_json(self) -> str:
        """Serialise for Redis."""
        return json.dumps(
            {
                "url": self.url,
                "online": self.online,
                "simulator": self.simulator,
                "version": self.version,
                "node_classes": sorted(self.node_classes),
                "models": self.models,
                "families": self.families,
                "worker_id": self.worker_id,
                "checked_at": self.checked_at,
                "error": self.error,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> EngineInfo:
        """Parse what `to_json` wrote."""
        data = json.loads(text)
        return cls(
            url=data["url"],
            online=bool(data.get("online")),
            simulator=bool(data.get("simulator")),
            version=data.get("version"),
            node_classes=frozenset(data.get("node_classes") or ()),
            models={k: list(v) for k, v in (data.get("models") or {}).items()},
            families={
                folder: {name: dict(guess) for name, guess in files.items()}
                for folder, files in (data.get("families") or {}).items()
            },
            worker_id=data.get("worker_id"),
            checked_at=float(data.get("checked_at") or 0),
            error=data.get("error"),
        )

    def public_dict(self) -> dict:
        """What the HUD and /api/metrics show (no model lists)."""
        return {
            "url": self.url,
            "online": self.online,
            "simulator": self.simulator,
            "version": self.version,
            "worker_id": self.worker_id,
            "checked_at": self.checked_at,
            "error": self.error,
        }


class EngineRegistry:
    """Publish and read EngineInfo records in Redis."""

    def __init__(self, redis, prefix: str = "studio:"):
        self.redis = redis
        self.prefix = prefix

    def _key(self, url: str) -> str:
        return f"{self.prefix}engine:{url}"

    def publish(self, info: EngineInfo, ttl: float) -> None:
        """Store a worker's view of its engine; it vanishes if the worker stops refreshing."""
        pipe = self.redis.pipeline()
        pipe.set(self._key(info.url), info.to_json(), px=int(ttl * 1000))
        pipe.sadd(f"{self.prefix}engines", info.url)
        pipe.execute()

    def all(self) -> list[EngineInfo]:
        """Every known engine; one whose record expired is reported offline."""
        urls = sorted(self.redis.smembers(f"{self.prefix}engines"))
        if not urls:
            return []
        raw = self.redis.mget([self._key(u) for u in urls])
        result = []
        for url, text in zip(urls, raw, strict=True):
            if text is None:
                result.append(EngineInfo(url=url, online=False, error="no worker reports it"))
            else:
                result.append(EngineInfo.from_json(text))
        return result

    def online(self) -> list[EngineInfo]:
        """Engines a live worker saw answering."""
        return [e for e in self.all() if e.online]

    def forget(self, url: str) -> None:
        """Drop an engine from the listing (e.g. removed from the config)."""
        self.redis.delete(self._key(url))
        self.redis.srem(f"{self.prefix}engines", url)


def merged_models(engines: list[EngineInfo]) -> dict[str, list[str]]:
    """Union of the model files per folder over the online engines, sorted."""
    merged: dict[str, set[str]] = {}
    for engine in engines:
        if engine.online:
            for folder, files in engine.models.items():
                merged.setdefault(folder, set()).update(files)
    return {folder: sorted(files) for folder, files in sorted(merged.items())}


def merged_families(engines: list[EngineInfo]) -> dict[str, dict[str, dict]]:
    """Model families per folder and file over the online engines. Two engines may read the
    same name differently (different files, or one has not read the metadata yet): a guess
    from metadata wins over one from the file name."""
    rank = {"metadata": 2, "filename": 1}
    merged: dict[str, dict[str, dict]] = {}
    for engine in engines:
        if not engine.online:
            continue
        for folder, files in engine.families.items():
            known = merged.setdefault(folder, {})
            for name, guess in files.items():
                old = known.get(name)
                if old is None or rank.get(guess.get("source"), 0) > rank.get(old.get("source"), 0):
                    known[name] = dict(guess)
    return {folder: dict(sorted(files.items())) for folder, files in sorted(merged.items())}


def merged_object_info(engines: list[EngineInfo]) -> dict | None:
    """A class-name-only object_info over the online engines (None when none is online)."""
    online = [e for e in engines if e.online]
    if not online:
        return None
    classes: set[str] = set()
    for engine in online:
        classes |= engine.node_classes
    return {name: {} for name in sorted(classes)}


def engine_answers(url: str, timeout: float = 2.0) -> bool:
    """True when a ComfyUI (or the simulator) answers GET /system_stats at url."""
    try:
        return requests.get(f"{url}/system_stats", timeout=timeout).ok
    except requests.RequestException:
        return False


def probe_engines(urls: list[str], timeout: float = 2.0) -> dict[str, bool]:
    """{url: answers} for every URL, probed in parallel; done within about `timeout`.

    A probe still running at the deadline (a name lookup that hangs, which requests' timeout
    does not cover) counts as down and is left to finish on its own.
    """
    if not urls:
        return {}
    pool = ThreadPoolExecutor(max_workers=len(urls), thread_name_prefix="engine-probe")
    futures = {url: pool.submit(engine_answers, url, timeout) for url in urls}
    wait(futures.values(), timeout=timeout + 1.0)
    pool.shutdown(wait=False)
    return {url: f.done() and f.result() for url, f in futures.items()}


def now() -> float:
    """Wall-clock seconds, for checked_at."""
    return time.time()
