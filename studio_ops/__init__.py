"""Operator tooling, outside the core that backend and worker import.

- `launcher`: `python -m studio_ops.launcher` starts the whole studio on one machine.
- `embedded_redis`: the redis-servers we start ourselves (persistent for installs, scratch
  for tests and benchmarks).
- `processes` and `live_stack`: the simulator and a whole studio on real processes, the
  harness that tests and benchmarks share.
- `monitor_status`, `run_stack_test`, `rate_limit_check`, `start_ngrok`: operator commands
  (SPEC section 8), each `python -m studio_ops.<name>` with `--help`, talking to a running
  studio over its public HTTP API (`studio_http`); `scripts/<name>.sh` and `.bat` wrap them.

This package imports `studio_core`; nothing shipped (backend, worker, studio_core,
comfyui_sim) imports it.
"""
