using System.Diagnostics;
using Conveyor.Redis.Scripts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis;

// memory: layout 3 (issue 15 item 3), leaner per task: the task hash no longer holds "id" and "q" (the
// key says both; task_fields in Lua/Lib.lua and TaskHash.Read hand them to readers), and the id ->
// queue index {tq:x} is gone (a bare id probes the known queues: TaskIndex). The upgrade from 2 runs
// LayoutUpgrade3.lua per known queue in bounded steps (1,000 hashes a call), queues in parallel, from
// every process that opens the store, safely at once; then it deletes the 16 index buckets (UNLINK:
// Redis frees them off its main thread) and sets the layout key.
public sealed partial class RedisTaskStore
{
    private async Task UpgradeLayout2To3(string[] queues)
    {
        var clock = Stopwatch.StartNew();
        var slimmed = await Task.WhenAll(queues.Select(SlimQueue)).ConfigureAwait(false);
        var db = Db;
        var entries = await Task.WhenAll(_keys.LegacyTaskIndexBuckets.Select(b => db.HashLengthAsync(b))).ConfigureAwait(false);
        await Task.WhenAll(_keys.LegacyTaskIndexBuckets.Select(b => db.ExecuteAsync("UNLINK", b))).ConfigureAwait(false);
        await db.StringSetAsync(_keys.Layout, LayoutCurrent).ConfigureAwait(false);
        if (slimmed.Sum() > 0 || entries.Sum() > 0)
            _logger.LogInformation("Redis key layout upgraded from 2 to 3: {Tasks} task hashes of {Queues} queues without id and queue fields, {Entries} id -> queue index entries deleted, in {Seconds:0.0} s",
                slimmed.Sum(), queues.Length, entries.Sum(), clock.Elapsed.TotalSeconds);
    }

    /// <summary>Layout 2 to 3 for one queue: LayoutUpgrade3 steps over its state index, then over its running set.</summary>
    private async Task<long> SlimQueue(string queue)
    {
        var q = Q(queue);
        long total = 0;
        foreach (var set in (string[])["ix", "running"])
        {
            var cursor = "";
            do
            {
                _closing.Token.ThrowIfCancellationRequested();
                var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.LayoutUpgrade3, [q.StateIndex, q.Running], [q.TaskPrefix, set, cursor, LayoutStep]).ConfigureAwait(false))!;
                total += (long)a[0];
                cursor = (string?)a[1] ?? "";
            } while (cursor.Length > 0);
        }
        return total;
    }
}
