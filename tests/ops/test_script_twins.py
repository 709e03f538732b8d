"""Every scripts/*.sh has a .bat twin and vice versa, both calling the same Python entry point."""

from __future__ import annotations

import re

import pytest

from studio_ops.processes import ROOT

SCRIPTS = ROOT / "scripts"
# `-m studio_ops.x` (a module) or `scripts/studio.py start` (the wrapper and its command);
# `\\` and `/` alike, and `--` or flags after the entry point do not matter.
_MODULE = re.compile(r"""\s-m\s+([\w.]+)""")
_STUDIO_PY = re.compile(r"""scripts[\\/]studio\.py"?\s+(\w+)""")


def entry_point(text: str) -> str:
    """The Python entry point a launcher script runs (its last one: `setup` comes first)."""
    lines = [
        line
        for line in text.splitlines()
        if line.strip() and not line.lstrip().lower().startswith(("#", "rem ", "@echo"))
    ]
    found = []
    for line in lines:
        found += [f"-m {m}" for m in _MODULE.findall(line)]
        found += [f"studio.py {c}" for c in _STUDIO_PY.findall(line) if c != "setup"]
    assert found, f"no python entry point in:\n{text}"
    return found[-1]


def test_parser_reads_both_kinds():
    sh = 'exec "$ROOT/.venv/bin/python" -m studio_ops.monitor_status "$@"\n'
    bat = '"%ROOT%\\.venv\\Scripts\\python.exe" -m studio_ops.monitor_status %*\n'
    assert entry_point(sh) == entry_point(bat) == "-m studio_ops.monitor_status"
    assert (
        entry_point(
            'python3 "$ROOT/scripts/studio.py" setup\nexec python3 scripts/studio.py start "$@"'
        )
        == "studio.py start"
    )
    assert entry_point("python scripts\\studio.py test %*") == "studio.py test"


def test_every_sh_has_a_bat_twin_and_back():
    sh = {p.stem for p in SCRIPTS.glob("*.sh")}
    bat = {p.stem for p in SCRIPTS.glob("*.bat")}
    assert sh, "no scripts found"
    assert sh == bat, f"without a .bat: {sorted(sh - bat)}; without a .sh: {sorted(bat - sh)}"


@pytest.mark.parametrize("name", sorted(p.stem for p in SCRIPTS.glob("*.sh")))
def test_twins_call_the_same_entry_point(name):
    sh = (SCRIPTS / f"{name}.sh").read_text()
    bat = (SCRIPTS / f"{name}.bat").read_text()
    assert entry_point(sh) == entry_point(bat)
