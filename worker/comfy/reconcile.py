"""A watched prompt brought up to date from ComfyUI's REST side, which is never wrong.

The WebSocket can miss messages (a reconnect, a frame sent to a dead socket, a restart of
ComfyUI); /history and /queue cannot. The client reconciles every open watch after each
(re)connection, and `PromptWatch.wait()` does it on every poll.
"""

from __future__ import annotations

from worker.comfy.errors import ComfyPromptLost
from worker.comfy.http import ComfyHttp
from worker.comfy.watch import PromptWatch


def reconcile_watch(http: ComfyHttp, watch: PromptWatch) -> None:
    """Bring a watch up to date from /history (and /queue); raises ComfyUnavailable."""
    if watch.done or not watch.submitted:
        return
    entry = http.get_history(watch.prompt_id)
    if entry is None:
        running, pending = http.get_queue()
        if watch.prompt_id in running:
            # Its run time limit starts now if the WebSocket did not tell us earlier
            # (an adopted prompt, a reconnect that missed execution_start).
            watch.mark_started()
            return
        if watch.prompt_id in pending:
            return
        # It may have finished between the two calls: history is written before it leaves.
        entry = http.get_history(watch.prompt_id)
    if entry is not None:
        watch.apply_history(entry)
    elif watch.cancel_requested:
        watch.end("interrupted", "deleted from ComfyUI's queue before it started")
    else:
        watch.fail(
            ComfyPromptLost(
                f"prompt {watch.prompt_id} is neither queued nor in "
                f"ComfyUI's history (ComfyUI restarted?)"
            )
        )
