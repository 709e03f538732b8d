"""The Docker engine the compose tests use: the one already answering, or a `dockerd` started
here (as root), stopped afterwards with the machine's firewall and forwarding put back.

dockerd adds iptables chains and NAT rules, turns on `ip_forward` and creates bridges; a test
that started it must leave none of that behind.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

FORWARDING = (
    Path("/proc/sys/net/ipv4/ip_forward"),
    Path("/proc/sys/net/ipv6/conf/all/forwarding"),
)
# (save, restore, tool, nft family): with the nf_tables backend an emptied table still exists
# until `nft` deletes it.
IPTABLES = (("iptables-save", "iptables-restore", "iptables", "ip"),
            ("ip6tables-save", "ip6tables-restore", "ip6tables", "ip6"))  # fmt: skip


class EngineUnavailable(RuntimeError):
    """No Docker engine answers and none can be started here (the reason is the message)."""


def docker_answers(timeout: float = 10) -> bool:
    """True when `docker info` reaches an engine."""
    if not shutil.which("docker"):
        return False
    try:
        done = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


@dataclass
class NetworkSnapshot:
    """The host's forwarding switches, iptables rules and interfaces at one moment."""

    forwarding: dict[Path, str] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)  # save command -> its output
    tables: dict[str, set[str]] = field(default_factory=dict)  # save command -> tables listed
    interfaces: set[str] = field(default_factory=set)

    @classmethod
    def take(cls) -> NetworkSnapshot:
        """Read the state as it is now."""
        snap = cls()
        for path in FORWARDING:
            if path.exists():
                snap.forwarding[path] = path.read_text().strip()
        for save, _restore, _tool, _family in IPTABLES:
            if shutil.which(save):
                snap.rules[save] = _rules(save)
                snap.tables[save] = set(_tables(_raw_rules(save)))
        snap.interfaces = _interfaces()
        return snap

    def differences(self, other: NetworkSnapshot) -> list[str]:
        """What differs between this state and `other` (empty when the same)."""
        out = []
        for path, value in self.forwarding.items():
            if other.forwarding.get(path) != value:
                out.append(f"{path}: {value} -> {other.forwarding.get(path)}")
        for save, text in self.rules.items():
            if other.rules.get(save, "") != text:
                out.append(f"{save} output changed")
        for save, tables in self.tables.items():
            if other.tables.get(save, set()) != tables:
                out.append(
                    f"{save} tables {sorted(tables)} -> {sorted(other.tables.get(save, set()))}"
                )
        if other.interfaces != self.interfaces:
            out.append(f"interfaces {sorted(self.interfaces)} -> {sorted(other.interfaces)}")
        return out

    def restore(self) -> None:
        """Put rules, forwarding and interfaces back as they were when taken."""
        for save, restore, tool, family in IPTABLES:
            if save not in self.rules or not shutil.which(restore):
                continue
            # Flush every table now present (docker's chains included), then load the saved
            # rules: the result is the snapshot, whatever dockerd added in between.
            present = _tables(_raw_rules(save))
            for table in present:
                subprocess.run([tool, "-t", table, "-F"], check=False, capture_output=True)
                subprocess.run([tool, "-t", table, "-X"], check=False, capture_output=True)
                for chain in ("INPUT", "FORWARD", "OUTPUT"):
                    if table == "filter":
                        subprocess.run([tool, "-P", chain, "ACCEPT"], check=False)
            if self.rules[save].strip():
                subprocess.run([restore], input=self.rules[save].encode(), check=True)
            if shutil.which("nft"):
                for table in set(present) - self.tables.get(save, set()):
                    subprocess.run(
                        ["nft", "delete", "table", family, table], check=False, capture_output=True
                    )
        for name in sorted(_interfaces() - self.interfaces):
            subprocess.run(["ip", "link", "delete", name], check=False, capture_output=True)
        for path, value in self.forwarding.items():
            path.write_text(value + "\n")


def _rules(save: str) -> str:
    """The dump without what is not state: comments (the dump's time), packet counters, and
    tables that hold nothing (no rules, no own chains, ACCEPT policies: the same as absent)."""
    text = _raw_rules(save)
    lines = [_zero_counters(line) for line in text.splitlines() if not line.startswith("#")]
    kept: list[str] = []
    block: list[str] = []
    for line in lines:
        block.append(line)
        if line == "COMMIT":
            if not _is_empty_table(block):
                kept.extend(block)
            block = []
    kept.extend(block)
    return "\n".join(kept) + ("\n" if kept else "")


def _is_empty_table(block: list[str]) -> bool:
    for line in block:
        if line.startswith("-A"):
            return False
        if line.startswith(":") and line.split()[1] != "ACCEPT":
            return False  # a DROP policy, or a chain of its own ("-")
    return True


def _raw_rules(save: str) -> str:
    return subprocess.run([save], capture_output=True, text=True, check=False).stdout


def _zero_counters(line: str) -> str:
    if line.startswith(":") and line.endswith("]"):
        return line[: line.rindex("[")] + "[0:0]"
    return line


def _tables(rules: str) -> list[str]:
    return [line[1:].strip() for line in rules.splitlines() if line.startswith("*")]


def _interfaces() -> set[str]:
    net = Path("/sys/class/net")
    return {p.name for p in net.iterdir()} if net.exists() else set()


class DockerEngine:
    """Uses the running engine, or starts dockerd and later stops it, restoring the network."""

    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.started: subprocess.Popen | None = None
        self.before: NetworkSnapshot | None = None

    def ensure(self, timeout: float = 90) -> None:
        """Make `docker` answer; EngineUnavailable (with why) when it cannot."""
        if docker_answers():
            return
        dockerd = shutil.which("dockerd")
        if not dockerd:
            raise EngineUnavailable("no Docker engine answers and dockerd is not installed")
        if os.name != "posix" or os.geteuid() != 0:
            raise EngineUnavailable("no Docker engine answers; starting dockerd needs root")
        self.before = NetworkSnapshot.take()
        log = open(self.log_path, "ab")  # noqa: SIM115 - the daemon writes it until stop()
        self.started = subprocess.Popen(
            [dockerd], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not docker_answers(timeout=5):
            if self.started.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise EngineUnavailable(f"dockerd did not come up; its log ends:\n{tail}")
            time.sleep(0.5)
        logger.info("started dockerd pid=%s", self.started.pid)

    def stop(self) -> list[str]:
        """Stop the dockerd started here (if any) and restore the network; what still differs."""
        if self.started is None:
            return []
        proc, self.started = self.started, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        assert self.before is not None
        self.before.restore()
        return self.before.differences(NetworkSnapshot.take())
