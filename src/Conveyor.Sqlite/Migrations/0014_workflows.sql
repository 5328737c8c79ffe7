-- Migration 14: workflows (issue 14 item 2): chains, groups, chords and batches.
--
-- workflows: one row per workflow; doc is its WorkflowRecord as JSON (ConveyorJson), changed only by
-- WorkflowRules inside the writer's transaction. settled = 0 while a decision may still be undone
-- in the tasks (maintenance's WorkflowSweep looks at those, oldest swept first).
-- workflow_steps: task id -> its workflow, so that the transition that ends a step (complete, fail,
-- dead after a lease expiry) finds its workflow in the same transaction. Tasks outside workflows have
-- no row here: their transitions do one lookup that finds nothing.
CREATE TABLE workflows (
    id          TEXT    NOT NULL PRIMARY KEY,
    state       TEXT    NOT NULL,
    settled     INTEGER NOT NULL DEFAULT 0,
    doc         TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER,
    swept_at    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX workflows_unsettled ON workflows (swept_at) WHERE settled = 0;
CREATE INDEX workflows_finished ON workflows (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE workflow_steps (
    task_id     TEXT    NOT NULL PRIMARY KEY,
    workflow_id TEXT    NOT NULL,
    step        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX workflow_steps_workflow ON workflow_steps (workflow_id);
