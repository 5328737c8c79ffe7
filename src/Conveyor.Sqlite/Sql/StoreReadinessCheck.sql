-- StoreReadinessCheck: the write probe run while the disk is known to be full (SQLITE_FULL), so the
-- store notices by itself when space frees, without waiting for a submission. It rewrites one row
-- with its own value: a page of the WAL must be written, which needs room on the disk.
-- Parameters: none. Result: none.
UPDATE meta SET value = value WHERE key = 'seq';
