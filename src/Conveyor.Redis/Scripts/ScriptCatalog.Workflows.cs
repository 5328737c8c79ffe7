namespace Conveyor.Redis.Scripts;

// Workflows (RedisTaskStore.Workflows.cs). Loaded on first use, as ScriptCatalog.Search.cs explains.
internal static partial class ScriptCatalog
{
    private static StoreScript? _workflowCreate, _workflowAdvance, _workflowStepRelease;

    public static StoreScript WorkflowCreate => _workflowCreate ??= Load(nameof(WorkflowCreate));
    public static StoreScript WorkflowAdvance => _workflowAdvance ??= Load(nameof(WorkflowAdvance));
    public static StoreScript WorkflowStepRelease => _workflowStepRelease ??= Load(nameof(WorkflowStepRelease));

    private static IEnumerable<StoreScript> Workflows => [WorkflowCreate, WorkflowAdvance, WorkflowStepRelease];
}
