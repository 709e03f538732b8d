"""Local stand-ins for the upstream images the compose file and Dockerfile name, for machines
that reach no image registry: built from a `debootstrap --variant=minbase bookworm` rootfs
(`docker import`) and tagged with exactly the upstream names, so the shipped files run as
they are and nothing is pulled.

An image already present under an upstream name that is not a stand-in (a real pull) is used
as it is. Stand-ins carry a label with a fingerprint of their recipes and of the host's CA
certificates, and are rebuilt only when that changes (cached between runs on one machine).
`python -m tests.compose.standin_images IMAGE...` builds them by hand.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

RECIPES = Path(__file__).resolve().parent / "standins"
LABEL = "org.comfyui-studio.standin"
ROOTFS_TAG = "comfyui-studio-standin/rootfs:bookworm"
BASE_TAG = "comfyui-studio-standin/base:bookworm"
# upstream name -> recipe folder under standins/
STANDINS = {
    "python:3.11-slim": "python",
    "redis:7.2-alpine": "redis",
    "mysql:8.0": "mysql",
    "prom/prometheus:v2.53.0": "prometheus",
}
# Builds inside the stand-ins go through this machine's proxy, which has its own CA.
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
DEBIAN_MIRROR = "http://deb.debian.org/debian"


class StandinError(RuntimeError):
    """A stand-in cannot be had (the message says which image and why)."""


def _docker(*args: str, timeout: float = 900) -> str:
    done = subprocess.run(
        ["docker", *args],
        capture_output=True,
        timeout=timeout,
        check=False,
        env=_classic_builder_env(),
    )
    if done.returncode != 0:
        raise StandinError(f"docker {' '.join(args[:3])} failed: {done.stderr.decode()[-2000:]}")
    return done.stdout.decode()


def _classic_builder_env() -> dict[str, str]:
    # The classic builder is what a plain dockerd offers; BuildKit would want buildx.
    return {**os.environ, "DOCKER_BUILDKIT": "0"}


def _host_certs() -> list[Path]:
    return sorted(HOST_CA_DIR.glob("*.crt")) if HOST_CA_DIR.is_dir() else []


def fingerprint() -> str:
    """What the stand-ins are built from: the recipes and the host's extra CA certificates."""
    digest = hashlib.sha256()
    for path in sorted(RECIPES.rglob("*")) + _host_certs():
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def image_label(name: str) -> str | None:
    """The stand-in label of a local image; "" for an image that is not a stand-in; None when
    no image of that name exists."""
    done = subprocess.run(
        ["docker", "image", "inspect", name, "--format", "{{json .Config.Labels}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    labels = json.loads(done.stdout.strip() or "null") or {}
    return labels.get(LABEL, "")


def ensure(images: list[str]) -> dict[str, str]:
    """Make every image in `images` present; what was done for each (kept, real, built)."""
    wanted = fingerprint()
    done: dict[str, str] = {}
    for name in sorted(set(images)):
        label = image_label(name)
        if label == "":
            done[name] = "real image"
            continue
        if label == wanted:
            done[name] = "stand-in (cached)"
            continue
        if name not in STANDINS:
            raise StandinError(f"{name} is not here and no stand-in recipe exists for it")
        _build(name, wanted)
        done[name] = "stand-in (built)"
    return done


def _build(name: str, wanted: str) -> None:
    base = _ensure_base(wanted)
    logger.info("building stand-in %s", name)
    _docker_build(name, RECIPES / STANDINS[name], f"BASE={base}", wanted)


def _docker_build(tag: str, context: Path, build_arg: str, wanted: str) -> None:
    # The label is how a later run tells a current stand-in from a stale one or a real image.
    _docker("build", "-q", "--label", f"{LABEL}={wanted}", "--build-arg", build_arg, "-t", tag,
            str(context))  # fmt: skip


def _ensure_base(wanted: str) -> str:
    if image_label(BASE_TAG) == wanted:
        return BASE_TAG
    if image_label(ROOTFS_TAG) is None:
        _import_rootfs()
    with tempfile.TemporaryDirectory(prefix="standin-base-") as tmp:
        context = Path(tmp)
        shutil.copy(RECIPES / "base" / "Dockerfile", context / "Dockerfile")
        certs = context / "certs"
        certs.mkdir()
        for cert in _host_certs():
            shutil.copy(cert, certs / cert.name)
        logger.info("building stand-in base with %d host CA certificates", len(_host_certs()))
        _docker_build(BASE_TAG, context, f"ROOTFS={ROOTFS_TAG}", wanted)
    return BASE_TAG


def _import_rootfs() -> None:
    debootstrap = shutil.which("debootstrap")
    if not debootstrap:
        raise StandinError("stand-in images need debootstrap (apt-get install debootstrap)")
    with tempfile.TemporaryDirectory(prefix="standin-rootfs-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        logger.info("debootstrap bookworm into %s", rootfs)
        done = subprocess.run(
            [debootstrap, "--variant=minbase", "bookworm", str(rootfs), DEBIAN_MIRROR],
            capture_output=True,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            raise StandinError(f"debootstrap failed: {done.stdout.decode()[-2000:]}")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        try:
            imported = subprocess.run(
                ["docker", "import", "-", ROOTFS_TAG],
                stdin=tar.stdout,
                capture_output=True,
                timeout=900,
                check=False,
            )
        finally:
            tar.stdout.close()
            tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise StandinError(f"docker import failed: {imported.stderr.decode()[-2000:]}")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    for image, what in ensure(sys.argv[1:] or list(STANDINS)).items():
        logger.info("%s: %s", image, what)
