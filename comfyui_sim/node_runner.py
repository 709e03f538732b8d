"""Running one node as ComfyUI paces it: interrupt check, injected faults, sampler steps
(progress, previews) or a short pause, then what the node computes (`nodes.compute`).

`NodeRunner.run` raises `Interrupted` at an interrupt check, or whatever the node raised;
the executor turns either into ComfyUI's execution message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from comfyui_sim.config import SimConfig
from comfyui_sim.faults import InterruptFlag, apply_node_faults
from comfyui_sim.images import Pixels, preview_jpeg
from comfyui_sim.nodes import NodeContext, NodeResult, compute, sampler_steps
from comfyui_sim.progress import PromptProgress
from comfyui_sim.ws import SocketHub


class NodeRunner:
    """Runs nodes with the live config (timings, faults, previews) and the interrupt flag."""

    def __init__(
        self, get_config: Callable[[], SimConfig], hub: SocketHub, interrupt_flag: InterruptFlag
    ) -> None:
        self.get_config = get_config
        self.hub = hub
        self.interrupt_flag = interrupt_flag

    async def run(
        self, ctx: NodeContext, inputs: dict[str, Any], progress: PromptProgress, previews: bool
    ) -> NodeResult:
        """The node's outputs and UI dict, after its faults and its sampler steps or pause."""
        self.interrupt_flag.check()
        await apply_node_faults(
            lambda: self.get_config().faults,
            self.hub,
            self.interrupt_flag,
            ctx.node_id,
            ctx.class_type,
        )
        steps = sampler_steps(ctx.info, inputs)
        if steps:
            await self._sample(ctx, inputs, steps, progress, previews)
        else:
            await asyncio.sleep(self.get_config().node_ms / 1000)
        return await asyncio.to_thread(compute, ctx, inputs)

    async def _sample(
        self,
        ctx: NodeContext,
        inputs: dict[str, Any],
        steps: int,
        progress: PromptProgress,
        previews: bool,
    ) -> None:
        """Sampler steps: interrupt check, step time, progress (and a preview when enabled)."""
        latent = next((v for v in inputs.values() if isinstance(v, Pixels)), None)
        look = Pixels(
            "IMAGE",
            latent.width if latent else 512,
            latent.height if latent else 512,
            1,
            f"{ctx.signature}:preview",
        )
        for step in range(1, steps + 1):
            self.interrupt_flag.check()
            config = self.get_config()
            await asyncio.sleep(config.step_ms / 1000)
            preview = None
            if config.preview and previews:
                preview = await asyncio.to_thread(preview_jpeg, look, step, steps)
            progress.step(ctx.node_id, step, steps, preview)
