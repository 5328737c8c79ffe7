#!/usr/bin/env python3
"""A Conveyor worker in plain Python 3 (standard library only: urllib, json).

It leases tasks from a broker over HTTP (long-poll), runs them, and acknowledges each one:

    POST /api/v1/leases                  {"worker_id", "queues", "max", "wait", "lease_duration"}
    POST /api/v1/tasks/{id}/heartbeat    {"lease_token", "lease_duration"}  (while a task runs)
    POST /api/v1/tasks/{id}/complete     {"lease_token", "result"}
    POST /api/v1/tasks/{id}/fail         {"lease_token", "error": {"type", "message"}, "retry"}
    POST /api/v1/workers/heartbeat       (so `conveyor workers` lists it)

Task types: fib ({"n": 10} -> 55), noop (-> null), sleep ({"seconds": 1}); any other type fails
without retry ("unknown_type"). Ctrl-C (or SIGTERM) finishes the task in hand, then stops.

    python3 examples/python_worker.py --url http://127.0.0.1:8000 --token "$TOKEN" --queues default
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

stopping = threading.Event()


class Broker:
    def __init__(self, url, token):
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method, path, body=None, timeout=90):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, {"detail": raw.decode("utf-8", "replace")}


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def run(task_type, args):
    if task_type == "fib":
        return fib(int(args["n"]))
    if task_type == "noop":
        return None
    if task_type == "sleep":
        time.sleep(float((args or {}).get("seconds", 1)))
        return None
    raise LookupError("no handler for task type '%s'" % task_type)


def heartbeat_while(broker, task_id, token, lease_duration, done):
    # Extend the lease at a third of its duration until the handler is done.
    while not done.wait(lease_duration / 3.0):
        status, body = broker.call("POST", "/api/v1/tasks/%s/heartbeat" % task_id,
                                   {"lease_token": token, "lease_duration": lease_duration})
        if status != 200:
            return


def process(broker, leased, lease_duration):
    task, token = leased["task"], leased["lease_token"]
    task_id = task["id"]
    done = threading.Event()
    beat = threading.Thread(target=heartbeat_while, args=(broker, task_id, token, lease_duration, done), daemon=True)
    beat.start()
    try:
        result = run(task["type"], task.get("args"))
        status, body = broker.call("POST", "/api/v1/tasks/%s/complete" % task_id, {"lease_token": token, "result": result})
        print("completed %s %s -> %s (%d)" % (task["type"], task_id, json.dumps(result), status), flush=True)
    except LookupError as e:
        status, body = broker.call("POST", "/api/v1/tasks/%s/fail" % task_id,
                                   {"lease_token": token, "retry": False, "error": {"type": "unknown_type", "message": str(e)}})
        print("failed %s %s: %s (%d)" % (task["type"], task_id, e, status), flush=True)
    except Exception as e:  # the handler raised: fail the attempt, the broker retries with backoff
        status, body = broker.call("POST", "/api/v1/tasks/%s/fail" % task_id,
                                   {"lease_token": token, "error": {"type": type(e).__name__, "message": str(e)}})
        print("failed %s %s: %s (%d)" % (task["type"], task_id, e, status), flush=True)
    finally:
        done.set()


def main():
    p = argparse.ArgumentParser(description="Conveyor worker in plain Python")
    p.add_argument("--url", default=os.environ.get("CONVEYOR_URL", "http://127.0.0.1:8000"))
    p.add_argument("--token", default=os.environ.get("CONVEYOR_TOKEN"))
    p.add_argument("--queues", default="default", help="comma-separated, in order of preference")
    p.add_argument("--wait", type=float, default=10, help="long-poll seconds per lease call")
    p.add_argument("--lease-duration", type=float, default=30)
    p.add_argument("--max-tasks", type=int, default=0, help="stop after this many tasks (0: run until Ctrl-C)")
    a = p.parse_args()

    def on_signal(*_):
        if stopping.is_set():
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        print("stopping after the task in hand (Ctrl-C again to stop now)", flush=True)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    broker = Broker(a.url, a.token)
    worker_id = "py-%s-%d" % (socket.gethostname(), os.getpid())
    queues = [q for q in a.queues.split(",") if q]
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    processed = 0
    print("worker %s leasing from %s at %s" % (worker_id, queues, a.url), flush=True)
    try:
        while not stopping.is_set():
            broker.call("POST", "/api/v1/workers/heartbeat", {"id": worker_id, "host": socket.gethostname(), "pid": os.getpid(),
                        "queues": queues, "concurrency": 1, "processed": processed, "started_at": started})
            status, body = broker.call("POST", "/api/v1/leases", {"worker_id": worker_id, "queues": queues, "max": 1,
                                                                  "wait": a.wait, "lease_duration": a.lease_duration})
            if status != 200:
                print("lease refused (%d): %s" % (status, body), file=sys.stderr, flush=True)
                stopping.wait(2)
                continue
            for leased in body["tasks"]:
                process(broker, leased, a.lease_duration)
                processed += 1
            if a.max_tasks and processed >= a.max_tasks:
                break
    except KeyboardInterrupt:
        pass
    finally:
        broker.call("DELETE", "/api/v1/workers/" + worker_id, timeout=5)
        print("worker %s stopped after %d tasks" % (worker_id, processed), flush=True)


if __name__ == "__main__":
    main()
