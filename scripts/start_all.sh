#!/usr/bin/env sh
# Start the whole studio (Redis if needed, backend, worker, demo engine if no ComfyUI).
# A thin wrapper: the real work is `python3 scripts/studio.py start` (works on every OS).
cd "$(dirname "$0")/.." || exit 1
exec python3 scripts/studio.py start "$@"
