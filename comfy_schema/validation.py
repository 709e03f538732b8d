"""Prompt validation with ComfyUI's exact error shapes (a port of execution.validate_prompt).

The simulator answers POST /prompt with it and the catalog check runs it against the shipped
schemas. Like ComfyUI it coerces widget values in place (`"8"` -> 8 for an INT input); the
per-node checks are in `comfy_schema.node_validation`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from comfy_schema.error_shapes import full_type_name, prompt_error
from comfy_schema.node_validation import NodeChecker
from comfy_schema.object_info import is_output_node

logger = logging.getLogger(__name__)


def validate_prompt(
    prompt: dict[str, Any],
    object_info: dict[str, Any],
    input_exists: Callable[[str], bool] | None = None,
    partial_targets: list[str] | None = None,
) -> tuple[dict[str, Any] | None, dict[str, Any], list[str]]:
    """Validate an API-format graph: (error or None, node_errors, good output ids).

    `input_exists(name)` answers LoadImage's file check (None skips it); `partial_targets`
    is POST /prompt's `partial_execution_targets`.
    """
    error, outputs = _find_outputs(prompt, object_info, partial_targets)
    if error is not None:
        return error, {}, []
    checker = NodeChecker(prompt, object_info, input_exists)
    good_outputs: list[str] = []
    failed: list[tuple[str, list[dict[str, Any]]]] = []
    node_errors: dict[str, Any] = {}
    for output_id in outputs:
        valid, reasons = _validate_output(checker, output_id)
        if valid:
            good_outputs.append(output_id)
            continue
        failed.append((output_id, reasons))
        # Every failing node upstream of this output names it in dependent_outputs.
        for node_id, (node_valid, node_reasons, _) in checker.validated.items():
            if not node_valid and node_reasons:
                entry = node_errors.setdefault(
                    node_id,
                    {
                        "errors": node_reasons,
                        "dependent_outputs": [],
                        "class_type": prompt[node_id]["class_type"],
                    },
                )
                entry["dependent_outputs"].append(output_id)
        logger.info("validation failed output=%s reasons=%s", output_id, len(reasons))

    if not good_outputs:
        details = "\n".join(f"{r['message']}: {r['details']}" for _, rs in failed for r in rs)
        error = prompt_error(
            "prompt_outputs_failed_validation", "Prompt outputs failed validation", details
        )
        return error, node_errors, []
    return None, node_errors, good_outputs


def _find_outputs(
    prompt: dict[str, Any], object_info: dict[str, Any], partial_targets: list[str] | None
) -> tuple[dict[str, Any] | None, list[str]]:
    """(error, []) for a node without a known class, else (None, the output node ids)."""
    outputs = []
    for node_id, node in prompt.items():
        if "class_type" not in node:
            return prompt_error(
                "invalid_prompt",
                "Cannot execute because a node is missing the class_type property.",
                f"Node ID '#{node_id}'",
            ), []
        class_type = node["class_type"]
        if class_type not in object_info:
            return prompt_error(
                "invalid_prompt",
                f"Cannot execute because node {class_type} does not exist.",
                f"Node ID '#{node_id}'",
            ), []
        if is_output_node(object_info[class_type]) and (
            partial_targets is None or node_id in partial_targets
        ):
            outputs.append(node_id)
    if not outputs:
        return prompt_error("prompt_no_outputs", "Prompt has no outputs", ""), []
    return None, outputs


def _validate_output(checker: NodeChecker, output_id: str) -> tuple[bool, list[dict[str, Any]]]:
    """(valid, reasons) of one output node; an exception becomes its node error."""
    try:
        valid, reasons, _ = checker.validate(output_id)
    except Exception as ex:  # ComfyUI reports any exception as a node error
        reasons = [
            {
                "type": "exception_during_validation",
                "message": "Exception when validating node",
                "details": str(ex),
                "extra_info": {
                    "exception_type": full_type_name(ex),
                    "traceback": traceback.format_tb(ex.__traceback__),
                },
            }
        ]
        checker.validated[output_id] = (False, reasons, output_id)
        return False, reasons
    return valid, reasons
