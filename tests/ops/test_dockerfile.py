"""The Dockerfile's promises, read from the file: the classic builder is enough, the process
is not root, and code edits do not invalidate the dependency layer."""

from __future__ import annotations

import re

from studio_ops.processes import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
INSTRUCTIONS = [
    line.strip()
    for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


def _index(prefix: str) -> int:
    return next(i for i, line in enumerate(INSTRUCTIONS) if line.startswith(prefix))


def test_no_buildkit_only_syntax():
    assert not re.search(r"^#\s*syntax=", DOCKERFILE, flags=re.MULTILINE)
    for line in INSTRUCTIONS:
        assert not re.match(r"(RUN|COPY|ADD)\s+--(mount|link|chmod|parents|exclude)", line), line
        assert "<<" not in line, f"heredoc needs BuildKit: {line}"


def test_dependencies_are_installed_before_the_code_is_copied():
    first_copy = INSTRUCTIONS[_index("COPY")]
    assert first_copy.split()[1:] == ["pyproject.toml", "requirements.lock", "./"]
    deps = _index("RUN")
    assert "pip install" in INSTRUCTIONS[deps] and "-c requirements.lock" in INSTRUCTIONS[deps]
    assert deps < _index("COPY . .")
    # The project's own install after the code needs no network (no build isolation).
    after = INSTRUCTIONS[_index("COPY . .") + 1]
    assert "--no-deps" in after and "--no-build-isolation" in after


def test_the_image_runs_as_an_unprivileged_user():
    users = [line.split()[1] for line in INSTRUCTIONS if line.startswith("USER")]
    assert users and users[-1] not in ("root", "0")
    assert _index("USER") < _index("CMD")
    assert "--uid 1000" in INSTRUCTIONS[_index("RUN")]


def test_dockerignore_keeps_state_secrets_and_tests_out_of_the_context():
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".venv", ".env", "storage", "logs", "tests"} <= ignored
    assert "!.env.example" in ignored
