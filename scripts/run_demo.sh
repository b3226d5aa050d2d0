#!/usr/bin/env bash
# Start the job worker and the web server for the demo; stop both on Ctrl-C.
set -euo pipefail
PORT="${PORT:-8000}"
BIN="$(dirname "$0")/../.venv/bin"
"$BIN/python" manage.py run_worker &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM
"$BIN/python" manage.py demo_accounts
echo "平台地址: http://127.0.0.1:${PORT}/"
exec "$BIN/python" manage.py runserver "127.0.0.1:${PORT}" --noreload
