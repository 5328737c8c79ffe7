using System.Globalization;
using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Cli.Bench;

/// <summary>
/// What a bench run costs Redis: commands the store sends, Redis CPU and Redis memory.
/// <para>
/// <b>Calls</b> are counted client-side: the operation counters of the store's own multiplexer
/// (<see cref="IConnectionMultiplexer.GetCounters"/>), summed over every endpoint and over both its
/// interactive and its subscription connection, plus the script calls sent on the store's fast lane
/// (<c>RedisStoreOptions.FastLane</c>). One counted operation is one top-level command
/// written to the socket, so a script call (<c>EVALSHA</c>) counts once however many keys it touches,
/// a <c>NOSCRIPT</c> retry with <c>EVAL</c> counts twice, and the pipelined index <c>HSET</c>s count
/// one each. Nothing is subtracted: the wake-channel <c>SUBSCRIBE</c>s of the worker's blocking
/// lease and StackExchange.Redis's own keep-alive <c>PING</c>s (sent only on a connection idle for
/// a while) are in the figure, so it is an upper bound. The probe's own <c>INFO</c> calls go over a
/// separate connection and are not counted.
/// </para>
/// <para>
/// <b>CPU</b> is <c>used_cpu_user + used_cpu_sys</c> of <c>INFO cpu</c>: Redis's whole process, so
/// anything else using the same Redis during the run is charged to the bench.
/// </para>
/// <para>
/// <b>Script time</b> (enqueue3) is the <c>usec</c> of the script commands in <c>INFO commandstats</c>
/// (<c>EVALSHA</c>, <c>EVAL</c>): the time Redis spent running scripts, their <c>redis.call</c>s
/// included. What Redis's CPU holds beyond it is the rest of each command's life: reading and
/// parsing it from the socket, writing its reply, pub/sub delivery, the system calls. So the two
/// figures side by side tell a script's own work from what each round trip costs Redis. Redis
/// times a command by the wall clock, so on a busy machine the script time also holds the moments
/// Redis waited for a core, and can exceed the CPU figure.
/// </para>
/// </summary>
internal sealed class RedisCostMeter : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _storeMux;
    private readonly ConnectionMultiplexer _probe;
    private readonly IServer _server;
    private readonly RedisTaskStore _store;

    private RedisCostMeter(RedisTaskStore store, IConnectionMultiplexer storeMux, ConnectionMultiplexer probe)
    {
        _store = store;
        _storeMux = storeMux;
        _probe = probe;
        _server = probe.GetServers().First(s => !s.IsReplica);
    }

    public static async Task<RedisCostMeter> Open(RedisTaskStore store, string connectionString)
    {
        var config = RedisUrl.ToConfiguration(connectionString);
        config.AllowAdmin = true; // INFO is not an admin command, but some managed Redis hide it otherwise
        config.ClientName = "conveyor-bench-probe";
        var probe = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        return new RedisCostMeter(store, store.Multiplexer, probe);
    }

    public async Task<Sample> Take()
    {
        var info = await _server.InfoAsync("cpu").ConfigureAwait(false);
        var cpu = Field(info, "used_cpu_user") + Field(info, "used_cpu_sys");
        var scripts = ScriptMicros(await _server.InfoAsync("commandstats").ConfigureAwait(false)) / 1e6;
        long ops = 0;
        foreach (var endpoint in _storeMux.GetEndPoints())
        {
            var counters = _storeMux.GetServer(endpoint).GetCounters();
            ops += counters.Interactive.OperationCount + counters.Subscription.OperationCount;
        }
        ops += _store.LaneCalls; // fastlane: the hot scripts' own connection
        ops += _store.ParkLineCalls; // parklist: parked leasers' BLPOPs
        return new Sample(ops, cpu) { ScriptSeconds = scripts };
    }

    /// <summary>The <c>usec</c> of every script command in an <c>INFO commandstats</c> answer ("calls=N,usec=M,…"), summed.</summary>
    internal static double ScriptMicros(IGrouping<string, KeyValuePair<string, string>>[] commandStats)
    {
        double total = 0;
        foreach (var kv in commandStats.SelectMany(g => g))
        {
            if (kv.Key is not ("cmdstat_evalsha" or "cmdstat_eval" or "cmdstat_evalsha_ro" or "cmdstat_eval_ro")) continue;
            foreach (var part in kv.Value.Split(','))
                if (part.StartsWith("usec=", StringComparison.Ordinal))
                    total += double.Parse(part.AsSpan(5), CultureInfo.InvariantCulture);
        }
        return total;
    }

    /// <summary>
    /// Bytes of Redis memory per pending task: <c>used_memory</c> before and after enqueueing
    /// <paramref name="count"/> no-op tasks into a scratch queue (the same shape as W1's), then the
    /// tasks are removed again through the store's own operations (leased, failed without retry,
    /// purged from the dead-letter queue).
    /// </summary>
    public async Task<double> BytesPerPendingTask(TaskEngine engine, string queue, int count, CancellationToken ct)
    {
        var args = JsonDocument.Parse("{}").RootElement.Clone();
        var before = await UsedMemory().ConfigureAwait(false);
        for (var i = 0; i < count; i += 500)
        {
            var batch = Enumerable.Range(0, Math.Min(500, count - i))
                .Select(_ => new TaskSubmission { Type = "noop", Queue = queue, Args = args, MaxAttempts = 1 }).ToList();
            await engine.SubmitMany(batch, ct).ConfigureAwait(false);
        }
        var after = await UsedMemory().ConfigureAwait(false);

        var error = new TaskError("bench", "scratch task removed");
        while (true)
        {
            var leased = await engine.Lease(new TaskLeaseParams("bench-memory", [queue], 500, TimeSpan.FromMinutes(5), TimeSpan.Zero), ct).ConfigureAwait(false);
            if (leased.Count == 0) break;
            await engine.FailMany(leased.Select(l => new TaskFailParams(l.Task.Id, l.LeaseToken, error, Retry: false)).ToList(), ct).ConfigureAwait(false);
        }
        await engine.DeadLetterPurge(new DeadLetterPurgeParams(Queue: queue), ct).ConfigureAwait(false);
        return (double)(after - before) / count;
    }

    /// <summary>Redis's <c>used_memory</c> now.</summary>
    public async Task<long> UsedMemory()
    {
        var info = await _server.InfoAsync("memory").ConfigureAwait(false);
        return (long)Field(info, "used_memory");
    }

    private static double Field(IGrouping<string, KeyValuePair<string, string>>[] info, string name) =>
        double.Parse(info.SelectMany(g => g).First(kv => kv.Key == name).Value, CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync() => _probe.DisposeAsync();

    internal readonly record struct Sample(long Operations, double CpuSeconds)
    {
        /// <summary>Seconds Redis has spent running scripts (see the class summary).</summary>
        public double ScriptSeconds { get; init; }
    }
}
