"""The README's Docker quick start, read from the README itself, so the compose test runs
the commands users are told to run (and a README edit that breaks them fails the test)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

START = "<!-- docker-quickstart"
END = "<!-- /docker-quickstart -->"
# Global options of `docker compose` that take a value (skipped to find the subcommand).
VALUED = {"--profile", "-f", "--file", "-p", "--project-name", "--env-file"}


@dataclass(frozen=True)
class QuickStart:
    """Each line of the README's quick start block, by what it does."""

    lines: tuple[str, ...]

    def by_verb(self, verb: str) -> str:
        """The one line whose command is `verb` (`cp`, or a `docker compose` subcommand)."""
        found = [line for line in self.lines if command_verb(line) == verb]
        if len(found) != 1:
            raise AssertionError(f"README quick start: {len(found)} '{verb}' lines in {self.lines}")
        return found[0]


def command_verb(line: str) -> str:
    """`cp` for `cp ...`; `up` for `docker compose --profile demo up -d`; "" otherwise."""
    tokens = shlex.split(line, comments=True)
    if tokens[:2] != ["docker", "compose"]:
        return tokens[0] if tokens else ""
    rest = iter(tokens[2:])
    for token in rest:
        if token in VALUED:
            next(rest, None)
        elif not token.startswith("-"):
            return token
    return ""


def read_quickstart(readme: Path) -> QuickStart:
    """The shell lines of the fenced block between the quick start markers."""
    text = readme.read_text(encoding="utf-8")
    start = text.index(START)
    block = text[start : text.index(END, start)]
    fence = block.split("```", 2)
    if len(fence) < 3:
        raise AssertionError("README quick start: no fenced block between the markers")
    body = fence[1].split("\n", 1)[1]  # drop the ```sh language line
    lines = tuple(line.strip() for line in body.splitlines() if line.strip())
    return QuickStart(lines)
