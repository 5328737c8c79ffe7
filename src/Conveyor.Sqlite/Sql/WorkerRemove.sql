-- WorkerRemove: forget a worker. Parameters: $id. Result: none.
DELETE FROM workers WHERE id = $id;
