"""Shared benchmark plumbing: options, temp roots, percentiles, engine busy time, tables, verdicts.

House rule: every figure is a ratio measured side by side in one run (studio vs a direct
baseline, same machine, same moment). A benchmark exits non-zero only when a target is
missed by a wide margin (`Check.fail_at`), never on ordinary noise.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"

logger = logging.getLogger(__name__)


def begin(
    name: str, argv: list[str] | None, helps: dict[str, str] | None = None, **defaults: int
) -> tuple[argparse.Namespace, Path]:
    """Parse `python -m bench.<name>`'s integer options, set up logging, make a fresh root.

    Each keyword is an option and its default (`step_ms=50` is `--step-ms 50`); `helps`
    gives an option a help text.
    """
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}")
    for option, default in defaults.items():
        help_text = (helps or {}).get(option)
        parser.add_argument(
            f"--{option.replace('_', '-')}", type=int, default=default, help=help_text
        )
    args = parser.parse_args(argv)
    # Benchmarks log warnings only; the figures go to stdout as a table.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return args, Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))


def cleanup(root: Path) -> None:
    """Remove a benchmark root (outputs can weigh hundreds of MB); a failed run keeps its own."""
    shutil.rmtree(root, ignore_errors=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """{n, p50, p95, p99, max} in milliseconds."""
    if not seconds:
        return {"n": 0, "p50": math.nan, "p95": math.nan, "p99": math.nan, "max": math.nan}
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms),
    }


def execution_spans(sim_url: str, prompt_ids: set[str] | None = None) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of every successful prompt in a simulator's /history (its clock)."""
    history = requests.get(sim_url + "/history", timeout=30).json()
    spans = []
    for prompt_id, entry in history.items():
        if prompt_ids is not None and prompt_id not in prompt_ids:
            continue
        stamps = {event: data.get("timestamp") for event, data in entry["status"]["messages"]}
        if stamps.get("execution_start") and stamps.get("execution_success"):
            spans.append((stamps["execution_start"], stamps["execution_success"]))
    return sorted(spans)


def busy_ratio(spans: list[tuple[int, int]]) -> float:
    """Engine execution time / wall time from the first start to the last end."""
    if not spans:
        return math.nan
    busy = sum(end - start for start, end in spans)
    wall = max(end for _, end in spans) - spans[0][0]
    return busy / wall if wall > 0 else math.nan


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is 0."""
    return numerator / denominator if denominator else math.nan


def print_table(title: str, headers: list[str], rows: list[list[object]]) -> None:
    """A small fixed-width table on stdout (the benchmark's output)."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
        return str(value)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(headers)]
    sys.stdout.write(f"\n{title}\n")
    sys.stdout.write("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + "\n")
    sys.stdout.write("  ".join("-" * w for w in widths) + "\n")
    for row in text:
        sys.stdout.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + "\n")
    sys.stdout.flush()


@dataclass
class Check:
    """One promise: `value` against `target`; `fail_at` is the wide-margin miss."""

    name: str
    value: float
    target: float
    fail_at: float
    higher_is_better: bool

    def verdict(self) -> str:
        """PASS, MISS (target missed, within the margin) or FAIL (missed by a wide margin)."""
        if math.isnan(self.value):
            return "FAIL"
        better = (lambda a, b: a >= b) if self.higher_is_better else (lambda a, b: a <= b)
        if better(self.value, self.target):
            return "PASS"
        return "MISS" if better(self.value, self.fail_at) else "FAIL"


def finish(name: str, figures: dict, checks: list[Check]) -> int:
    """Print the verdicts, write bench/results/<name>.json; exit code 1 on any FAIL."""
    op = {True: ">=", False: "<="}
    rows = [
        [c.name, c.value, f"{op[c.higher_is_better]} {c.target:g}", c.fail_at, c.verdict()]
        for c in checks
    ]
    print_table(f"{name}: verdict", ["check", "value", "target", "fail at", "verdict"], rows)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": name,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "figures": figures,
        "checks": [{**asdict(c), "verdict": c.verdict()} for c in checks],
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    sys.stdout.write(f"results: {path}\n")
    return 1 if any(c.verdict() == "FAIL" for c in checks) else 0
