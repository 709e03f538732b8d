"""ComfyUI's node schemas and its prompt validation, shared by the catalog check and the simulator.

Neither owns it: this package imports neither `studio_core` nor `comfyui_sim`. It holds the
shipped copy of a real ComfyUI's /object_info (`data/object_info.json`, read by
`object_info`), ComfyUI's error entries (`error_shapes`), and the port of its
validate_prompt (`validation`, with the per-node checks in `node_validation`).
"""
