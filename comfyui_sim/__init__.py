"""A protocol-faithful ComfyUI simulator (test double) for tests, benchmarks and demo mode.

Run it with `python -m comfyui_sim --port 8188`. Its node schemas and prompt validation
come from `comfy_schema`, which the catalog check uses too.
"""
