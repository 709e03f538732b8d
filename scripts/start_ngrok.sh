#!/usr/bin/env sh
# Start an ngrok tunnel to the studio and print its public URL.
# A thin wrapper around `python -m studio_ops.start_ngrok` (works on every OS); --help
# lists the arguments. Runs in the caller's directory, so relative paths mean what they say.
ROOT="$(cd "$(dirname "$0")/.." && pwd)" || exit 1
[ -x "$ROOT/.venv/bin/python" ] || python3 "$ROOT/scripts/studio.py" setup || exit 1
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" exec "$ROOT/.venv/bin/python" -m studio_ops.start_ngrok "$@"
