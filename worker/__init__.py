"""The queue consumer that drives ComfyUI: `worker.worker.Worker` and its threads (claims,
chores on the housekeeping thread, engine probe, cancel listener), `comfy/` the ComfyUI
client, `jobs/` one job's run from claim to outcome. Started with `python -m worker`."""
