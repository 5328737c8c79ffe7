namespace Conveyor.Redis.Scripts;

// The dashboard's task actions. Properties that load on first use, not field initializers: the order in
// which the parts of a partial class run their initializers is unspecified, and these need Prelude.
internal static partial class ScriptCatalog
{
    private static StoreScript? _taskRetryMany, _taskDeleteMany, _deadLetterGroups, _bulkActionRecord;

    public static StoreScript TaskRetryMany => _taskRetryMany ??= Load(nameof(TaskRetryMany));
    public static StoreScript TaskDeleteMany => _taskDeleteMany ??= Load(nameof(TaskDeleteMany));
    public static StoreScript DeadLetterGroups => _deadLetterGroups ??= Load(nameof(DeadLetterGroups));
    public static StoreScript BulkActionRecord => _bulkActionRecord ??= Load(nameof(BulkActionRecord));

    private static IEnumerable<StoreScript> Search => [TaskRetryMany, TaskDeleteMany, DeadLetterGroups, BulkActionRecord];
}
