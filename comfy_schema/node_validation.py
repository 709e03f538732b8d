"""Per-node input checks of ComfyUI's validate_prompt: links, type coercion, ranges, combos.

Like ComfyUI, `NodeChecker` coerces widget values in place (`"8"` -> 8 for an INT input)
and memoises each node's result, so a node feeding several outputs is checked once.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from comfy_schema.error_shapes import full_type_name, input_error
from comfy_schema.object_info import FILE_VALIDATED_INPUTS, input_type_and_extra, iter_inputs

Result = tuple[bool, list[dict[str, Any]], str]
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "INT": int,
    "FLOAT": float,
    "STRING": str,
    "BOOLEAN": bool,
}


class NodeChecker:
    """Recursive per-node validation, memoised like ComfyUI's `validated` dict."""

    def __init__(self, prompt: dict, object_info: dict, input_exists: Callable[[str], bool] | None):
        self.prompt = prompt
        self.object_info = object_info
        self.input_exists = input_exists
        self.validated: dict[str, Result] = {}
        self._in_progress: set[str] = set()

    def validate(self, node_id: str) -> Result:
        """(valid, errors, node_id) of one node, after the nodes it links from."""
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
        file_input = FILE_VALIDATED_INPUTS.get(node["class_type"])
        errors: list[dict[str, Any]] = []
        valid = True
        for name, category, spec in iter_inputs(self.object_info[node["class_type"]]):
            input_type, extra = input_type_and_extra(spec)
            if name not in inputs:
                if category == "required":
                    errors.append(
                        input_error(
                            "required_input_missing",
                            "Required input is missing",
                            name,
                            input_name=name,
                        )
                    )
                continue
            config = [input_type, extra]
            if isinstance(inputs[name], list):
                linked_ok = self._check_link(name, inputs[name], input_type, config, errors)
                valid = valid and linked_ok
                continue
            if not _coerce(inputs, name, input_type, config, errors):
                continue
            if name != file_input:
                _check_value(name, inputs[name], input_type, extra, config, errors)
        if file_input and file_input in inputs and self.input_exists is not None:
            self._check_input_file(file_input, inputs[file_input], errors)
        if errors or not valid:
            return False, errors, node_id
        return True, [], node_id

    def _check_input_file(self, name: str, value: Any, errors: list) -> None:
        """LoadImage's VALIDATE_INPUTS: the named file must exist in input/."""
        if not isinstance(value, str) or not self.input_exists(value):
            errors.append(
                input_error(
                    "custom_validation_failed",
                    "Custom validation failed for node",
                    f"{name} - Invalid image file: {value}",
                    input_name=name,
                )
            )

    def _check_link(
        self, name: str, link: list, input_type: Any, config: list, errors: list
    ) -> bool:
        """Check one `[node_id, slot]` link; False when the linked node is invalid."""
        if len(link) != 2:
            errors.append(
                input_error(
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
                input_error(
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
                [_inner_exception(name, config, link, ex)],
                source_id,
            )
            return False
        return source_valid


def _inner_exception(name: str, config: list, link: list, ex: Exception) -> dict[str, Any]:
    """The error ComfyUI records on a linked node whose validation raised."""
    return {
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


def _coerce(inputs: dict, name: str, input_type: Any, config: list, errors: list) -> bool:
    """Unwrap `{"__value__": v}` and convert a widget value in place; False if it failed."""
    value = inputs[name]
    if isinstance(value, dict) and "__value__" in value:
        value = inputs[name] = value["__value__"]
    converter = _CONVERTERS.get(input_type) if isinstance(input_type, str) else None
    if converter is None:
        return True
    try:
        inputs[name] = converter(value)
    except (TypeError, ValueError) as ex:
        errors.append(
            input_error(
                "invalid_input_type",
                f"Failed to convert an input value to a {input_type} value",
                f"{name}, {value}, {ex}",
                input_name=name,
                input_config=config,
                received_value=value,
                exception_message=str(ex),
            )
        )
        return False
    return True


def _check_value(
    name: str, value: Any, input_type: Any, extra: dict, config: list, errors: list
) -> None:
    """min/max of numbers and membership of V1 combos, with ComfyUI's messages."""
    try:
        if "min" in extra and value < extra["min"]:
            errors.append(
                input_error(
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
                input_error(
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
        listed = f"(list of length {len(input_type)})" if len(input_type) > 20 else str(input_type)
        errors.append(
            input_error(
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
