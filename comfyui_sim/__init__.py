"""A protocol-faithful ComfyUI simulator (test double) for tests, benchmarks and demo mode.

Run it with `python -m comfyui_sim --port 8188`. The catalog check reuses
`comfyui_sim.schema.load_object_info` and `comfyui_sim.validation.validate_prompt`.
"""
