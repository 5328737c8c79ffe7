namespace Conveyor.Redis.Scripts;

// redis-index: the key layout's upgrade steps (RedisLayout). Loaded on first use, like ScriptCatalog.Search.
internal static partial class ScriptCatalog
{
    private static StoreScript? _layoutUpgrade;

    public static StoreScript LayoutUpgrade => _layoutUpgrade ??= Load(nameof(LayoutUpgrade));
}
