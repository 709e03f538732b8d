"""Prompt validation with ComfyUI's exact error shapes (a port of execution.validate_prompt).

`validate_prompt` is also what the catalog check runs against the shipped schemas. Like
ComfyUI it coerces widget values in place (`"8"` -> 8 for an INT input).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from comfyui_sim.schema import (
    FILE_VALIDATED_INPUTS,
    input_type_and_extra,
    is_output_node,
    iter_inputs,
)

logger = logging.getLogger(__name__)

Result = tuple[bool, list[dict[str, Any]], str]
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "INT": int,
    "FLOAT": float,
    "STRING": str,
    "BOOLEAN": bool,
}


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
    outputs = []
    for node_id, node in prompt.items():
        if "class_type" not in node:
            return (
                _error(
                    "invalid_prompt",
                    "Cannot execute because a node is missing the class_type property.",
                    f"Node ID '#{node_id}'",
                ),
                {},
                [],
            )
        class_type = node["class_type"]
        if class_type not in object_info:
            return (
                _error(
                    "invalid_prompt",
                    f"Cannot execute because node {class_type} does not exist.",
                    f"Node ID '#{node_id}'",
                ),
                {},
                [],
            )
        if is_output_node(object_info[class_type]) and (
            partial_targets is None or node_id in partial_targets
        ):
            outputs.append(node_id)
    if not outputs:
        return _error("prompt_no_outputs", "Prompt has no outputs", ""), {}, []

    checker = _Checker(prompt, object_info, input_exists)
    good_outputs: list[str] = []
    failed: list[tuple[str, list[dict[str, Any]]]] = []
    node_errors: dict[str, Any] = {}
    for output_id in outputs:
        try:
            valid, reasons, _ = checker.validate(output_id)
        except Exception as ex:  # ComfyUI reports any exception as a node error
            valid = False
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
        error = _error(
            "prompt_outputs_failed_validation", "Prompt outputs failed validation", details
        )
        return error, node_errors, []
    return None, node_errors, good_outputs


def _error(kind: str, message: str, details: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": {}}


def full_type_name(ex: BaseException) -> str:
    """ComfyUI's full_type_name: `module.Class`, bare for builtins."""
    module = type(ex).__module__
    name = type(ex).__qualname__
    return name if module == "builtins" else f"{module}.{name}"


def _input_error(kind: str, message: str, details: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


class _Checker:
    """Recursive per-node validation, memoised like ComfyUI's `validated` dict."""

    def __init__(self, prompt: dict, object_info: dict, input_exists: Callable[[str], bool] | None):
        self.prompt = prompt
        self.object_info = object_info
        self.input_exists = input_exists
        self.validated: dict[str, Result] = {}
        self._in_progress: set[str] = set()

    def validate(self, node_id: str) -> Result:
        if node_id in self.validated:
            return self.validated[node_id]
        if node_id in self._in_progress:
            # ComfyUI recurses forever on a cycle and reports the RecursionError.
            raise RecursionError("maximum recursion depth exceeded")
        self._in_progress.add(node_id)
        try:
            result = self._validate_node(node_id)
        finally:
            self._in_progress.discard(node_id)
        self.validated[node_id] = result
        return result

    def _validate_node(self, node_id: str) -> Result:
        node = self.prompt[node_id]
        inputs = node.get("inputs", {})
        class_type = node["class_type"]
        file_input = FILE_VALIDATED_INPUTS.get(class_type)
        errors: list[dict[str, Any]] = []
        valid = True
        for name, category, spec in iter_inputs(self.object_info[class_type]):
            input_type, extra = input_type_and_extra(spec)
            if name not in inputs:
                if category == "required":
                    errors.append(
                        _input_error(
                            "required_input_missing",
                            "Required input is missing",
                            name,
                            input_name=name,
                        )
                    )
                continue
            value = inputs[name]
            config = [input_type, extra]
            if isinstance(value, list):
                linked_ok = self._check_link(name, value, input_type, config, errors)
                valid = valid and linked_ok
                continue
            if isinstance(value, dict) and "__value__" in value:
                value = inputs[name] = value["__value__"]
            converter = _CONVERTERS.get(input_type) if isinstance(input_type, str) else None
            if converter is not None:
                try:
                    value = inputs[name] = converter(value)
                except (TypeError, ValueError) as ex:
                    errors.append(
                        _input_error(
                            "invalid_input_type",
                            f"Failed to convert an input value to a {input_type} value",
                            f"{name}, {value}, {ex}",
                            input_name=name,
                            input_config=config,
                            received_value=value,
                            exception_message=str(ex),
                        )
                    )
                    continue
            if name != file_input:
                self._check_value(name, value, input_type, extra, config, errors)
        if file_input and file_input in inputs and self.input_exists is not None:
            value = inputs[file_input]
            if not isinstance(value, str) or not self.input_exists(value):
                errors.append(
                    _input_error(
                        "custom_validation_failed",
                        "Custom validation failed for node",
                        f"{file_input} - Invalid image file: {value}",
                        input_name=file_input,
                    )
                )
        if errors or not valid:
            return False, errors, node_id
        return True, [], node_id

    def _check_link(
        self, name: str, link: list, input_type: Any, config: list, errors: list
    ) -> bool:
        """Check one `[node_id, slot]` link; False when the linked node is invalid."""
        if len(link) != 2:
            errors.append(
                _input_error(
                    "bad_linked_input",
                    "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                    name,
                    input_name=name,
                    input_config=config,
                    received_value=link,
                )
            )
            return True
        source_id, slot = link
        # A link to a missing node raises KeyError here, which ComfyUI reports as such.
        source_class = self.prompt[source_id]["class_type"]
        received_type = tuple(self.object_info[source_class]["output"])[slot]
        if not _types_match(received_type, input_type):
            errors.append(
                _input_error(
                    "return_type_mismatch",
                    "Return type mismatch between linked nodes",
                    f"{name}, received_type({received_type}) mismatch input_type({input_type})",
                    input_name=name,
                    input_config=config,
                    received_type=received_type,
                    linked_node=link,
                )
            )
            return True
        try:
            source_valid, _, _ = self.validate(source_id)
        except Exception as ex:  # reported on the linked node, as ComfyUI does
            self.validated[source_id] = (
                False,
                [
                    {
                        "type": "exception_during_inner_validation",
                        "message": "Exception when validating inner node",
                        "details": str(ex),
                        "extra_info": {
                            "input_name": name,
                            "input_config": config,
                            "exception_message": str(ex),
                            "exception_type": full_type_name(ex),
                            "traceback": traceback.format_tb(ex.__traceback__),
                            "linked_node": link,
                        },
                    }
                ],
                source_id,
            )
            return False
        return source_valid

    @staticmethod
    def _check_value(
        name: str, value: Any, input_type: Any, extra: dict, config: list, errors: list
    ) -> None:
        try:
            if "min" in extra and value < extra["min"]:
                errors.append(
                    _input_error(
                        "value_smaller_than_min",
                        f"Value {value} smaller than min of {extra['min']}",
                        name,
                        input_name=name,
                        input_config=config,
                        received_value=value,
                    )
                )
                return
            if "max" in extra and value > extra["max"]:
                errors.append(
                    _input_error(
                        "value_bigger_than_max",
                        f"Value {value} bigger than max of {extra['max']}",
                        name,
                        input_name=name,
                        input_config=config,
                        received_value=value,
                    )
                )
                return
        except TypeError:
            return  # ComfyUI would raise here; a non-number never reaches a min/max input after coercion
        if isinstance(input_type, list) and value not in input_type:
            # ComfyUI does not echo long lists (scanned model files) back.
            listed = (
                f"(list of length {len(input_type)})" if len(input_type) > 20 else str(input_type)
            )
            errors.append(
                _input_error(
                    "value_not_in_list",
                    "Value not in list",
                    f"{name}: '{value}' not in {listed}",
                    input_name=name,
                    input_config=None if len(input_type) > 20 else config,
                    received_value=value,
                )
            )


def _types_match(received: Any, expected: Any) -> bool:
    """ComfyUI's validate_node_input: equal, '*' or an overlap of comma-separated types."""
    if received == expected:
        return True
    if not isinstance(received, str) or not isinstance(expected, str):
        return False
    got = {t.strip() for t in received.split(",")}
    want = {t.strip() for t in expected.split(",")}
    return "*" in got or "*" in want or bool(got & want)
