#!/usr/bin/env bash
# The baseline: main (aa2758e, before this branch) against this branch with no limits, interleaved, Redis and SQLite.
set -u
# MAIN: a checkout of the commit to compare with (git archive <commit> | tar -x -C $MAIN); HERE: this checkout.
MAIN=${MAIN:?set MAIN to a checkout of the baseline commit}
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port $PORT --save '' --appendonly no --dir "${TMPDIR:-/tmp}" --daemonize yes --pidfile "${TMPDIR:-/tmp}/limits-base-redis.pid" >/dev/null
sleep 1
"$MAIN"/conveyor --help >/dev/null 2>&1
for round in 1 2 3; do
  for tree in "$MAIN" "$HERE"; do
    echo "== $tree round=$round: conveyor bench --store redis://127.0.0.1:$PORT --workloads w1 --quiet"
    redis-cli -p $PORT flushall >/dev/null
    "$tree"/conveyor bench --store redis://127.0.0.1:$PORT --workloads w1 --quiet
    echo "== $tree round=$round: conveyor bench --workloads w1 --quiet"
    "$tree"/conveyor bench --workloads w1 --quiet
  done
done
kill $(cat "${TMPDIR:-/tmp}/limits-base-redis.pid")
