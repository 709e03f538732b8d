#!/usr/bin/env sh
# Run the whole test suite (sets up .venv first). Extra arguments go to pytest.
cd "$(dirname "$0")/.." || exit 1
exec python3 scripts/studio.py test "$@"
