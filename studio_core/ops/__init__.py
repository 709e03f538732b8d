"""Operator scripts (SPEC section 8): status screen, end-to-end check, rate-limit probe, ngrok.

Each is `python -m studio_core.ops.<name>` with `--help`; `scripts/<name>.sh` and `.bat` are
thin wrappers. They talk to a running studio over its public HTTP API only.
"""
