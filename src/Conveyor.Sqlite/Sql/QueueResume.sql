-- QueueResume: unpause a queue (idempotent). Parameters: $queue. Result: none.
DELETE FROM queues WHERE name = $queue;
