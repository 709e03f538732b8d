#!/usr/bin/env sh
# Probe the studio's rate limits (loopback only unless --allow-remote).
# A thin wrapper around `python -m studio_ops.rate_limit_check` (works on every OS); --help
# lists the arguments. Runs in the caller's directory, so relative paths mean what they say.
ROOT="$(cd "$(dirname "$0")/.." && pwd)" || exit 1
[ -x "$ROOT/.venv/bin/python" ] || python3 "$ROOT/scripts/studio.py" setup || exit 1
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" exec "$ROOT/.venv/bin/python" -m studio_ops.rate_limit_check "$@"
