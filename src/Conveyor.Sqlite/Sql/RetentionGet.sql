-- RetentionGet: the stored retention policy (JSON), or no row.
SELECT policy FROM retention_policy WHERE id = 1;
