-- Migration 5: the worker registry carries commands (quiet, stop) to workers in the answer to their
-- heartbeat, and keeps silent workers for an hour: the command column, and an index on the heartbeat
-- time for the silent list and for forgetting workers silent longer than that.

ALTER TABLE workers ADD COLUMN command TEXT;
CREATE INDEX workers_last_heartbeat ON workers (last_heartbeat);
