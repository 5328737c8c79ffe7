using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Sqlite.Ops;
using Conveyor.Workflows;

namespace Conveyor.Sqlite;

// WorkflowCreate / WorkflowGet / WorkflowAdvance / WorkflowCancel / WorkflowSweep (Sql/Workflow*.sql,
// Ops/WorkflowOps.cs). A step's end advances its workflow inside the same writer transaction (the
// hooks in AckOps), so WorkflowAdvance here only repairs (a task cancelled on its own, say).
public sealed partial class SqliteTaskStore
{
    public async ValueTask WorkflowCreate(WorkflowRecord workflow, IReadOnlyList<TaskRecord> tasks, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => WorkflowOps.WorkflowCreate(ctx, workflow, tasks)).ConfigureAwait(false);

    public ValueTask<WorkflowRecord?> WorkflowGet(string id, CancellationToken ct = default) =>
        ValueTask.FromResult(readers.Read(r =>
        {
            var cmd = r.Command("WorkflowGet.Doc");
            cmd.Set("$id", id);
            return cmd.ExecuteScalar() is string doc ? WorkflowOps.Parse(doc) : null;
        }));

    public async ValueTask<WorkflowRecord?> WorkflowAdvance(string id, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => WorkflowOps.Advance(ctx, id)).ConfigureAwait(false);

    public async ValueTask<WorkflowRecord?> WorkflowCancel(string id, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => WorkflowOps.Cancel(ctx, id)).ConfigureAwait(false);

    public async ValueTask<int> WorkflowSweep(int max, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => WorkflowOps.Sweep(ctx, max)).ConfigureAwait(false);
}
