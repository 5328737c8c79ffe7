using System.Diagnostics;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis;

// redis-index: the key layout version (RedisKeys.Layout) and the upgrade to it, run at open.
//   1  (no layout key) every version up to the state index: "all" holds every id; TaskList scanned it.
//   2  the state index "ix" (Lua/Lib.lua, IX) replaces "all"; every transition keeps it.
//   3  memory: task hashes without "id" and "q", no id -> queue index {tq:x} (RedisTaskStore.Memory.cs).
// The upgrade from 1 runs LayoutUpgrade.lua per known queue in bounded steps (1,000 tasks a call, so
// Redis never blocks for long), from every process that opens the store, safely at once; then the
// layout key is set. A layout newer than this version knows refuses to open.
public sealed partial class RedisTaskStore
{
    /// <summary>The layout this version writes and reads.</summary>
    internal const int LayoutCurrent = 3;

    private const int LayoutStep = 1_000;
    private readonly Lock _layoutLock = new();
    private Task? _layoutReady;

    /// <summary>
    /// Completes when the keys are in <see cref="LayoutCurrent"/>'s layout (upgrading them the first time).
    /// Awaited at open and by the reads that need the upgrade done (TaskList). When Redis could not be
    /// reached, the next call tries again; a layout newer than this version is a <see cref="StoreConfigurationException"/>.
    /// </summary>
    internal Task LayoutReady()
    {
        lock (_layoutLock)
        {
            if (_layoutReady is { IsFaulted: true } failed && failed.Exception?.InnerException is not StoreConfigurationException) _layoutReady = null;
            return _layoutReady ??= UpgradeLayout();
        }
    }

    /// <summary>At open: the upgrade, or when Redis does not answer yet, a line and a later try (the store starts anyway).</summary>
    private async Task OpenLayout()
    {
        try
        {
            await LayoutReady().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
        {
            _logger.LogWarning("Cannot check the Redis key layout yet ({Why}); TaskList checks again", StoreUnreachableException.Brief(e));
        }
        catch (StoreConfigurationException)
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task UpgradeLayout()
    {
        var raw = await Db.StringGetAsync(_keys.Layout).ConfigureAwait(false);
        var version = raw.IsNullOrEmpty ? 1 : (int)raw;
        if (version > LayoutCurrent)
            throw new StoreConfigurationException(
                $"the Redis keys under prefix '{_keys.Prefix}' have layout {version}, written by a newer Conveyor; this version reads layout {LayoutCurrent} and older: upgrade this process");
        if (version == LayoutCurrent) return;

        var clock = Stopwatch.StartNew();
        var queues = await KnownQueues(CancellationToken.None).ConfigureAwait(false);
        if (version < 2)
        {
            var indexed = await Task.WhenAll(queues.Select(IndexQueue)).ConfigureAwait(false);
            await Db.StringSetAsync(_keys.Layout, 2).ConfigureAwait(false);
            if (indexed.Sum() > 0 || queues.Length > 0)
                _logger.LogInformation("Redis key layout upgraded from {From} to {To}: {Tasks} tasks of {Queues} queues indexed by state in {Seconds:0.0} s",
                    version, 2, indexed.Sum(), queues.Length, clock.Elapsed.TotalSeconds);
        }
        await UpgradeLayout2To3(queues).ConfigureAwait(false); // memory
    }

    /// <summary>Layout 1 to 2 for one queue: LayoutUpgrade steps until its "all" index is empty.</summary>
    private async Task<long> IndexQueue(string queue)
    {
        var q = Q(queue);
        long total = 0;
        while (true)
        {
            _closing.Token.ThrowIfCancellationRequested();
            var a = (long[])(await _scripts.Run(ScriptCatalog.LayoutUpgrade, [q.All, q.StateIndex], [q.TaskPrefix, LayoutStep]).ConfigureAwait(false))!;
            total += a[0];
            if (a[1] == 0) return total;
        }
    }
}
