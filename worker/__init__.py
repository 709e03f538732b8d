"""The queue consumer that drives ComfyUI (the client lives in `worker.comfy`)."""
