-- Migration 22: what a task that held limit slots costs when it leaves running (issue 14: an unhit
-- limit's cost on SQLite). The triggers of migration 15, with two changes:
-- - the usage rows to give back are found by their primary key (queue, name, key), the slot text split
--   at its first x'1f' (no limit name holds one), where name || x'1f' || key read every usage row of
--   the queue and built its slot text;
-- - the parked task that goes back in line is looked for only while the queue has a parked task (a
--   probe of tasks_parked): an UPDATE run for every acknowledgement of a limit that is never reached
--   cost about 8 % of W1's processed rate with an unhit per-tenant limit (docs/redis.md).
DROP TRIGGER limits_release;
DROP TRIGGER limits_release_deleted;
CREATE TRIGGER limits_release AFTER UPDATE OF state ON tasks
WHEN OLD.state = 'running' AND OLD.limit_held IS NOT NULL BEGIN
    UPDATE limit_usage SET running = max(running - 1, 0)
    WHERE (queue, name, key) IN (SELECT OLD.queue, substr(value, 1, instr(value, x'1f') - 1), substr(value, instr(value, x'1f') + 1)
                                 FROM json_each(OLD.limit_held));
    UPDATE tasks SET limit_held = NULL WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER limits_release_deleted AFTER DELETE ON tasks
WHEN OLD.state = 'running' AND OLD.limit_held IS NOT NULL BEGIN
    UPDATE limit_usage SET running = max(running - 1, 0)
    WHERE (queue, name, key) IN (SELECT OLD.queue, substr(value, 1, instr(value, x'1f') - 1), substr(value, instr(value, x'1f') + 1)
                                 FROM json_each(OLD.limit_held));
END;
-- One parked task per slot freed back in line (its FIFO place kept: seq does not change), as in
-- migration 15; OLD is the row before the update, whatever order the triggers run in.
CREATE TRIGGER limits_unpark AFTER UPDATE OF state ON tasks
WHEN OLD.state = 'running' AND OLD.limit_held IS NOT NULL
    AND EXISTS (SELECT 1 FROM tasks p WHERE p.queue = OLD.queue AND p.state = 'pending' AND p.limit_wait IS NOT NULL) BEGIN
    UPDATE tasks SET limit_wait = NULL WHERE rowid IN (
        SELECT (SELECT p.rowid FROM tasks p WHERE p.queue = OLD.queue AND p.state = 'pending' AND p.limit_wait = j.value
                ORDER BY p.priority DESC, p.seq LIMIT 1)
        FROM json_each(OLD.limit_held) j);
END;
CREATE TRIGGER limits_unpark_deleted AFTER DELETE ON tasks
WHEN OLD.state = 'running' AND OLD.limit_held IS NOT NULL
    AND EXISTS (SELECT 1 FROM tasks p WHERE p.queue = OLD.queue AND p.state = 'pending' AND p.limit_wait IS NOT NULL) BEGIN
    UPDATE tasks SET limit_wait = NULL WHERE rowid IN (
        SELECT (SELECT p.rowid FROM tasks p WHERE p.queue = OLD.queue AND p.state = 'pending' AND p.limit_wait = j.value
                ORDER BY p.priority DESC, p.seq LIMIT 1)
        FROM json_each(OLD.limit_held) j);
END;
