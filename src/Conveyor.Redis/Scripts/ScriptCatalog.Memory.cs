namespace Conveyor.Redis.Scripts;

// memory: the upgrade step from layout 2 to 3 (RedisTaskStore.Memory.cs). Loaded on first use, like LayoutUpgrade.
internal static partial class ScriptCatalog
{
    private static StoreScript? _layoutUpgrade3;

    public static StoreScript LayoutUpgrade3 => _layoutUpgrade3 ??= Load(nameof(LayoutUpgrade3));
}
