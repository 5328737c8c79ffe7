-- QueuePause: mark a queue paused (idempotent). Parameters: $queue. Result: none.
INSERT INTO queues (name, paused) VALUES ($queue, 1) ON CONFLICT (name) DO UPDATE SET paused = 1;
