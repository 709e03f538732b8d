"""The prompt queue (a min-heap on `number`), the running item and the history, in memory."""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

MAX_HISTORY = 10_000
# [number, prompt_id, prompt, extra_data, outputs_to_execute], as /queue and /history show it.
QueueItem = tuple[Any, str, dict, dict, list]


class PromptQueue:
    """ComfyUI's PromptQueue: put/get for one executor, queue ops and history reads."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self.on_change = on_change  # broadcasts the status frame
        self.pending: list[QueueItem] = []
        self.running: QueueItem | None = None
        self.history: dict[str, dict[str, Any]] = {}
        self.counter = 0
        self._wakeup = asyncio.Event()

    def number_for(self, body: dict[str, Any]) -> Any:
        """POST /prompt's `number`: explicit float, else the counter (negated for `front`)."""
        if "number" in body:
            return float(body["number"])
        number = self.counter
        if body.get("front"):
            number = -number
        self.counter += 1
        return number

    def put(self, item: QueueItem) -> None:
        """Queue an item and wake the executor."""
        heapq.heappush(self.pending, item)
        self._wakeup.set()
        self.on_change()

    async def get(self) -> QueueItem:
        """Wait for the smallest-numbered item and mark it running."""
        while not self.pending:
            self._wakeup.clear()
            await self._wakeup.wait()
        self.running = heapq.heappop(self.pending)
        self.on_change()
        return self.running

    def task_done(self, outputs: dict, meta: dict, status: dict[str, Any]) -> None:
        """Move the running item into history, trimmed to MAX_HISTORY entries."""
        item = self.running
        assert item is not None, "task_done without a running item"
        self.running = None
        while len(self.history) >= MAX_HISTORY:
            self.history.pop(next(iter(self.history)))
        self.history[item[1]] = {
            "prompt": list(item),
            "outputs": outputs,
            "status": status,
            "meta": meta,
        }
        self.on_change()

    def remaining(self) -> int:
        """Pending plus running."""
        return len(self.pending) + (1 if self.running else 0)

    def queue_info(self) -> dict[str, Any]:
        """The `status` payload."""
        return {"exec_info": {"queue_remaining": self.remaining()}}

    def snapshot(self) -> dict[str, list]:
        """GET /queue: running and the raw (unsorted) heap."""
        running = [list(self.running)] if self.running else []
        return {"queue_running": running, "queue_pending": [list(i) for i in self.pending]}

    def running_id(self) -> str | None:
        """The prompt_id being executed, if any."""
        return self.running[1] if self.running else None

    def delete(self, prompt_id: str) -> None:
        """Drop a pending item; a status frame only when something was removed."""
        for index, item in enumerate(self.pending):
            if item[1] == prompt_id:
                self.pending.pop(index)
                heapq.heapify(self.pending)
                logger.info("queue delete prompt=%s", prompt_id)
                self.on_change()
                return

    def clear(self) -> None:
        """Drop every pending item (the running one continues)."""
        self.pending = []
        logger.info("queue cleared")
        self.on_change()

    def get_history(self, max_items: int | None = None, offset: int = -1) -> dict[str, Any]:
        """GET /history: oldest first; `max_items` alone means the last N."""
        if offset < 0 and max_items is not None:
            offset = len(self.history) - max_items
        out: dict[str, Any] = {}
        for index, (key, entry) in enumerate(self.history.items()):
            if index >= offset:
                out[key] = entry
                if max_items is not None and len(out) >= max_items:
                    break
        return out

    def history_entry(self, prompt_id: str) -> dict[str, Any]:
        """GET /history/{id}: `{}` until the prompt has finished."""
        if prompt_id in self.history:
            return {prompt_id: self.history[prompt_id]}
        return {}

    def delete_history(self, prompt_id: str) -> None:
        """Forget one finished prompt."""
        self.history.pop(prompt_id, None)

    def clear_history(self) -> None:
        """Forget every finished prompt."""
        self.history = {}
