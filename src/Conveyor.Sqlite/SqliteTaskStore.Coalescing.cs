using Conveyor.Store;

namespace Conveyor.Sqlite;

// sqlperf: concurrent TaskEnqueueMany calls already share a write (the single writer's group commit,
// late joiners up to the fsync), so the engine sends single submissions here directly rather than
// through its EnqueueCoalescer, whose one call in flight would queue callers behind a whole fsync.
public sealed partial class SqliteTaskStore : IGroupsConcurrentEnqueues
{
}
