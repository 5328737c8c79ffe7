namespace Conveyor.Redis.Scripts;

// parked: a parked leaser takes its park back, or the task handed to it (Lua/TaskUnpark.lua). Loaded on first use, like ScriptCatalog.Search.
internal static partial class ScriptCatalog
{
    private static StoreScript? _taskUnpark;

    public static StoreScript TaskUnpark => _taskUnpark ??= Load(nameof(TaskUnpark));
}
