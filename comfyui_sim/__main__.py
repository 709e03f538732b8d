"""CLI: `python -m comfyui_sim [--host H] [--port P] [--data-dir DIR] ...` (see docs/ARCHITECTURE.md)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from aiohttp import web

from comfyui_sim.app import create_app
from comfyui_sim.config import Faults, SimConfig, parse_models

logger = logging.getLogger("comfyui_sim")


def _add_fault_flags(parser: argparse.ArgumentParser) -> None:
    """The start-up faults (the same ones `POST /sim/config` sets at run time)."""
    parser.add_argument(
        "--fail-at-node", metavar="ID_OR_CLASS", help="raise RuntimeError at this node"
    )
    parser.add_argument(
        "--die-at-node", metavar="ID_OR_CLASS", help="exit the process at this node"
    )
    parser.add_argument(
        "--drop-ws-at-node",
        metavar="ID_OR_CLASS",
        help="close every WebSocket when this node starts",
    )
    parser.add_argument(
        "--stall-at-node",
        metavar="ID_OR_CLASS",
        help="stop advancing at this node until reset/interrupt",
    )
    parser.add_argument("--slow-view-ms", type=int, default=0, help="delay every /view answer")


def parse_args(argv: list[str] | None = None) -> SimConfig:
    """Turn command-line flags into the start-up config."""
    parser = argparse.ArgumentParser(
        prog="python -m comfyui_sim", description="ComfyUI simulator (test double)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8188)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("storage/comfyui_sim"),
        help="holds input/, output/, temp/",
    )
    parser.add_argument("--node-ms", type=int, default=50, help="time per plain node")
    parser.add_argument("--step-ms", type=int, default=100, help="time per sampler step")
    parser.add_argument(
        "--models-file",
        type=Path,
        help='JSON {"folder": ["file", ...]} replacing the default model lists',
    )
    parser.add_argument(
        "--preview", action="store_true", help="send binary preview frames per sampler step"
    )
    _add_fault_flags(parser)
    args = parser.parse_args(argv)
    config = SimConfig(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        node_ms=args.node_ms,
        step_ms=args.step_ms,
        preview=args.preview,
        faults=Faults(
            args.fail_at_node,
            args.die_at_node,
            args.drop_ws_at_node,
            args.stall_at_node,
            args.slow_view_ms,
        ),
    )
    if args.models_file:
        try:
            config.models = parse_models(json.loads(args.models_file.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            parser.error(f"--models-file: {exc}")
    return config


def main(argv: list[str] | None = None) -> None:
    """Start the simulator and serve until interrupted."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = parse_args(argv)
    logger.info(
        "ComfyUI simulator listening host=%s port=%s data_dir=%s",
        config.host,
        config.port,
        config.data_dir,
    )
    web.run_app(create_app(config), host=config.host, port=config.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
