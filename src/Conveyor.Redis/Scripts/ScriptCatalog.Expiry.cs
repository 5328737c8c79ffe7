namespace Conveyor.Redis.Scripts;

// expiry: maintenance's expiry step (Lua/TaskExpire.lua). Loaded on first use, like ScriptCatalog.Search.
internal static partial class ScriptCatalog
{
    private static StoreScript? _taskExpire;

    public static StoreScript TaskExpire => _taskExpire ??= Load(nameof(TaskExpire));
}
