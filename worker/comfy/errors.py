"""Exceptions raised by the ComfyUI client, and the readable messages they carry.

ComfyError                  anything that went wrong talking to ComfyUI
├── ComfyUnavailable        connection refused, HTTP timeout, 5xx: ComfyUI is not answering
│   └── ComfyPromptLost     ComfyUI forgot a prompt (restarted): neither queued nor in history
├── ComfyValidationError    POST /prompt rejected the graph (or part of it)
└── ComfyTimeout            a prompt did not start, or did not finish, within its limit
"""

from __future__ import annotations

from typing import Literal

# Long combo lists in ComfyUI's details ("'x' not in [...500 names...]") are cut to this.
_MAX_DETAILS = 200


class ComfyError(Exception):
    """Base of every error the ComfyUI client raises."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class ComfyUnavailable(ComfyError):
    """ComfyUI did not answer: refused connection, timeout or a 5xx."""


class ComfyPromptLost(ComfyUnavailable):
    """A submitted prompt is neither queued, running nor in history (ComfyUI restarted)."""


class ComfyTimeout(ComfyError):
    """A prompt ran out of time; `phase` says which limit: "queue" (it never started, still
    waiting behind other prompts) or "run" (it started but did not finish)."""

    def __init__(self, message: str, *, phase: Literal["queue", "run"]):
        super().__init__(message)
        self.phase = phase


class ComfyValidationError(ComfyError):
    """ComfyUI refused the graph; the message names the node (id + class) and the input."""

    def __init__(
        self,
        message: str,
        *,
        error: dict | None,
        node_errors: dict,
        status: int | None = 400,
        prompt_id: str | None = None,
    ):
        super().__init__(message, status=status)
        self.error = error or {}
        self.node_errors = node_errors
        self.prompt_id = prompt_id


def _cut(text: str) -> str:
    return text if len(text) <= _MAX_DETAILS else text[: _MAX_DETAILS - 3] + "..."


def describe_node_error(node_id: str, entry: dict) -> list[str]:
    """One readable line per error of one node: `KSampler #3: steps: Value 200 bigger than ...`."""
    class_type = entry.get("class_type") or "node"
    lines = []
    for err in entry.get("errors") or [{}]:
        extra = err.get("extra_info") or {}
        input_name = extra.get("input_name") or ""
        message = err.get("message") or err.get("type") or "invalid"
        details = str(err.get("details") or "")
        # ComfyUI's details usually repeat the input name first ("width, abc, invalid literal").
        if input_name and details.startswith(input_name):
            details = details[len(input_name) :].lstrip(" ,:-")
        line = f"{class_type} #{node_id}: "
        if input_name:
            line += f"{input_name}: "
        line += message
        if details and details != message:
            line += f" ({_cut(details)})"
        lines.append(line)
    return lines


def describe_validation(error: dict | None, node_errors: dict) -> str:
    """A message a person can act on for a rejected prompt (node errors first, else the top error)."""
    lines: list[str] = []
    for node_id in sorted(node_errors, key=_node_sort_key):
        lines.extend(describe_node_error(node_id, node_errors[node_id]))
    if lines:
        return "; ".join(lines)
    error = error or {}
    message = error.get("message") or "ComfyUI rejected the prompt"
    details = str(error.get("details") or "")
    if details and details != message:
        return f"{message} ({_cut(details)})"
    return message


def describe_execution_error(data: dict) -> str:
    """Readable run-time failure from an `execution_error` payload: node id, class, exception."""
    node_id = data.get("node_id")
    node_type = data.get("node_type") or "node"
    exc_type = data.get("exception_type") or "Error"
    exc_message = str(data.get("exception_message") or "").strip() or "no message"
    return f"{node_type} #{node_id}: {exc_type}: {_cut(exc_message)}"


def _node_sort_key(node_id: str) -> tuple[int, int | str]:
    return (0, int(node_id)) if str(node_id).isdigit() else (1, str(node_id))
