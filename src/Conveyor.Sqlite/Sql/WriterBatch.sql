-- WriterBatch: the frame of one group commit. The writer opens one transaction, runs every queued
-- operation inside its own savepoint (a failing operation is rolled back alone), then commits once:
-- one fsync for the whole batch.

-- name: Begin
-- Parameters: none. Result: none. Takes the write lock at once.
BEGIN IMMEDIATE;

-- name: Commit
COMMIT;

-- name: Rollback
ROLLBACK;

-- name: Savepoint
SAVEPOINT op;

-- name: Release
RELEASE op;

-- name: Undo
ROLLBACK TO op;

-- name: SeqRead
-- Parameters: none. Result: the last FIFO sequence number handed out.
SELECT value FROM meta WHERE key = 'seq';

-- name: SeqWrite
-- Parameters: $seq. Result: none.
UPDATE meta SET value = $seq WHERE key = 'seq';
