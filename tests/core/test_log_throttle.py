"""RepeatThrottle: floods of one warning/error are bounded and counted, INFO always passes."""

from __future__ import annotations

import logging
import threading

import pytest

from studio_core.log_throttle import RepeatThrottle
from studio_core.logging_setup import configure_logging


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Collect(logging.Handler):
    """Keeps the formatted messages that got past its filters."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def throttled(clock):
    """A private logger whose only handler is throttled: 3 per key per 60 s."""
    throttle = RepeatThrottle(limit=3, window=60, clock=clock)
    handler = Collect()
    handler.addFilter(throttle)
    log = logging.getLogger(f"test.throttle.{id(handler)}")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    yield log, handler, throttle
    log.removeHandler(handler)


def fail_with(exc_type: type[Exception], text: str) -> None:
    raise exc_type(text)


def test_identical_errors_beyond_the_limit_are_dropped_and_counted_later(throttled, clock):
    log, handler, _ = throttled
    for n in range(10):
        log.error("db unreachable attempt=%s", n)
    assert handler.messages == [f"db unreachable attempt={n}" for n in range(3)]
    clock.now += 59
    log.error("db unreachable attempt=%s", 10)
    assert len(handler.messages) == 3  # still the same window
    clock.now += 2
    log.error("db unreachable attempt=%s", 11)
    assert handler.messages[3] == "db unreachable attempt=11 repeated=8 suppressed in the last 61 s"
    log.error("db unreachable attempt=%s", 12)
    assert handler.messages[4] == "db unreachable attempt=12"  # a fresh window, nothing to report


def test_a_window_without_drops_reports_nothing(throttled, clock):
    log, handler, _ = throttled
    log.warning("slow")
    clock.now += 120
    log.warning("slow")
    assert handler.messages == ["slow", "slow"]


def test_different_templates_and_levels_are_independent(throttled):
    log, handler, _ = throttled
    for _ in range(5):
        log.error("redis down")
        log.error("disk full")
        log.warning("redis down")
    assert handler.messages.count("redis down") == 6  # 3 at ERROR + 3 at WARNING
    assert handler.messages.count("disk full") == 3


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO])
def test_info_and_debug_are_never_dropped(throttled, level):
    log, handler, _ = throttled
    for _ in range(1000):
        log.log(level, "job=%s state=%s", "j1", "running")
    assert len(handler.messages) == 1000


def test_tracebacks_of_one_exception_type_at_one_call_are_one_key(throttled):
    log, handler, _ = throttled
    for n in range(6):
        for exc_type in (ValueError, KeyError):
            try:
                fail_with(exc_type, f"detail {n}")  # the text differs each time
            except Exception:
                log.exception("claim failed")
    assert len(handler.messages) == 6  # 3 ValueError + 3 KeyError


def test_one_filter_on_two_handlers_counts_each_record_once(clock):
    throttle = RepeatThrottle(limit=2, window=60, clock=clock)
    first, second = Collect(), Collect()
    log = logging.getLogger("test.throttle.two_handlers")
    log.propagate = False
    for handler in (first, second):
        handler.addFilter(throttle)
        log.addHandler(handler)
    try:
        for _ in range(5):
            log.error("boom")
    finally:
        log.removeHandler(first)
        log.removeHandler(second)
    assert first.messages == second.messages == ["boom", "boom"]


def test_keys_are_bounded_least_recently_seen_first(clock):
    throttle = RepeatThrottle(limit=1, window=60, max_keys=3, clock=clock)
    handler = Collect()
    handler.addFilter(throttle)
    log = logging.getLogger("test.throttle.lru")
    log.propagate = False
    log.addHandler(handler)
    try:
        for name in ("a", "b", "c", "a", "d"):  # "d" evicts "b", the least recently seen
            log.error(name)
        log.error("a")  # still tracked: dropped
        log.error("b")  # forgotten: passes again
    finally:
        log.removeHandler(handler)
    assert handler.messages == ["a", "b", "c", "d", "b"]
    assert len(throttle._windows) == 3


def test_concurrent_floods_pass_exactly_the_limit(throttled):
    log, handler, _ = throttled

    def flood():
        for _ in range(500):
            log.error("shared failure")

    threads = [threading.Thread(target=flood) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert handler.messages == ["shared failure"] * 3


def test_configured_log_file_survives_a_traceback_flood(
    tmp_path, clock, restore_logging, monkeypatch
):
    # pytest's capture handlers on the root would format all 10,000 tracebacks (seconds).
    for handler in logging.getLogger().handlers:
        monkeypatch.setattr(handler, "level", logging.CRITICAL + 1)
    path = configure_logging("worker", tmp_path, throttle=RepeatThrottle(clock=clock))
    log = logging.getLogger("worker.flood")
    for n in range(10_000):
        try:
            fail_with(ConnectionError, f"db down attempt {n}")
        except ConnectionError:
            log.exception("job=%s claim failed", n)
    log.info("job=%s state=%s", "j1", "queued")
    clock.now += 61
    try:
        fail_with(ConnectionError, "db down again")
    except ConnectionError:
        log.exception("job=%s claim failed", "last")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 7  # 5 tracebacks, the INFO line, the one that reports the rest
    assert sum("ConnectionError: db down attempt" in line for line in lines) == 5
    assert "job=j1 state=queued" in lines[5]
    assert "job=last claim failed repeated=9995 suppressed in the last 61 s" in lines[6]
    assert "ConnectionError: db down again" in lines[6]
