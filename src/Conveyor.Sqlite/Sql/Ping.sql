-- Ping: is the database reachable and readable (for /readyz)?
-- Parameters: none. Result: 1 when the schema is in place.
SELECT COUNT(*) >= 0 FROM meta;
