#!/usr/bin/env bash
# limits bench, after the Redis call reduction: off / unhit / hit, three interleaved rounds, SQLite and Redis.
set -u
cd "$(dirname "$0")/../.."
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port $PORT --save '' --appendonly no --dir "${TMPDIR:-/tmp}" --daemonize yes --pidfile "${TMPDIR:-/tmp}/limits-w1-redis.pid" >/dev/null
sleep 1
for round in 1 2 3; do
  for mode in off unhit hit; do
    echo "== sqlite round=$round mode=$mode: ./conveyor bench --workloads w1 --w1-limit $mode --quiet"
    ./conveyor bench --workloads w1 --w1-limit $mode --quiet
    echo "== redis round=$round mode=$mode: ./conveyor bench --store redis://127.0.0.1:$PORT --workloads w1 --w1-limit $mode --quiet"
    redis-cli -p $PORT flushall >/dev/null
    ./conveyor bench --store redis://127.0.0.1:$PORT --workloads w1 --w1-limit $mode --quiet
  done
done
kill $(cat "${TMPDIR:-/tmp}/limits-w1-redis.pid")
