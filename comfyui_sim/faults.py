"""Interrupts and injected faults, checked when a node starts (and at each sampler step)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable

from comfyui_sim.config import Faults
from comfyui_sim.ws import SocketHub

logger = logging.getLogger(__name__)

DIE_EXIT_CODE = 3
STALL_POLL_SECONDS = 0.02


class Interrupted(Exception):
    """ComfyUI's InterruptProcessingException."""


class InterruptFlag:
    """The global interrupt flag: set by POST /interrupt, consumed by the next check."""

    def __init__(self) -> None:
        self.is_set = False

    def set(self) -> None:
        """Ask the running prompt to stop at its next check."""
        self.is_set = True

    def clear(self) -> None:
        """Forget an interrupt (done when a prompt starts)."""
        self.is_set = False

    def check(self) -> None:
        """Raise Interrupted (once) when the flag is set."""
        if self.is_set:
            self.is_set = False
            raise Interrupted("Processing interrupted")


async def apply_node_faults(
    faults: Callable[[], Faults],
    hub: SocketHub,
    interrupt: InterruptFlag,
    node_id: str,
    class_type: str,
) -> None:
    """Die, drop sockets, stall or fail here when a fault targets this node."""
    now = faults()
    if now.matches("die_at_node", node_id, class_type):
        logger.error("fault die_at_node: exiting node=%s class=%s", node_id, class_type)
        await hub.drain()  # let the client see this node start, then vanish like a crash
        os._exit(DIE_EXIT_CODE)
    if now.matches("drop_ws_at_node", node_id, class_type):
        logger.warning("fault drop_ws_at_node: closing sockets node=%s", node_id)
        hub.close_all()
    if now.matches("stall_at_node", node_id, class_type):
        logger.warning("fault stall_at_node: stalling node=%s", node_id)
    # Re-read the config each time: /sim/reset or /sim/config ends the stall.
    while faults().matches("stall_at_node", node_id, class_type):
        interrupt.check()
        await asyncio.sleep(STALL_POLL_SECONDS)
    if now.matches("fail_at_node", node_id, class_type):
        raise RuntimeError(f"Simulated failure at node {node_id} ({class_type})")
