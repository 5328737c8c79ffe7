using System.Text.Json;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// <c>conveyor bench --store redis://…</c> on a real Redis reports what the work cost Redis. Checks
/// the figures' meaning (counted, not invented), never their speed.
/// </summary>
public sealed class BenchRedisTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Bench_on_redis_reports_calls_cpu_and_memory_per_task()
    {
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"));
        redis.Start();

        var (code, text) = await ConveyorProcess.Run(_env.Directory, "bench", "--store", redis.Url, "--tasks", "300", "--workloads", "w1", "--quiet");
        output.WriteLine(text);
        Assert.True(code == 0, $"bench failed:\n{text}");
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Single(lines, l => l.StartsWith("W1 throughput  target=redis://", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("Redis cost     target=redis://", StringComparison.Ordinal) && l.Contains(" calls_per_task=", StringComparison.Ordinal)
            && l.Contains(" batch_path_calls_per_task=", StringComparison.Ordinal) && l.Contains(" cpu_us_per_task=", StringComparison.Ordinal)
            && l.Contains(" bytes_per_pending_task=", StringComparison.Ordinal) && l.Contains(" script_us_per_task: enqueue_single=", StringComparison.Ordinal)); // enqueue3
        // enqueue: the bench process's own CPU and allocations per task, beside W1's rates.
        Assert.Single(lines, l => l.StartsWith("W1 bench cpu   target=redis://", StringComparison.Ordinal)
            && l.Contains(" bench_cpu_us_per_task: enqueue_single=", StringComparison.Ordinal) && l.Contains(" alloc_bytes_per_task: enqueue_single=", StringComparison.Ordinal)
            && l.Contains(" pool_items_per_task: enqueue_single=", StringComparison.Ordinal) && l.Contains(" waits_per_task: enqueue_single=", StringComparison.Ordinal)); // enqueue2

        (code, text) = await ConveyorProcess.Run(_env.Directory, "bench", "--store", redis.Url, "--tasks", "300", "--workloads", "w1", "--json");
        Assert.True(code == 0, $"bench --json failed:\n{text}");
        using var json = JsonDocument.Parse(text);
        var w1 = json.RootElement.GetProperty("w1");
        Assert.Equal(600, w1.GetProperty("processed").GetInt32());
        Assert.Equal(0, w1.GetProperty("lost").GetInt32());
        foreach (var phase in new[] { "enqueue_single", "enqueue_batch", "process" }) // enqueue: measured, not invented
        {
            var cpu = w1.GetProperty("cpu").GetProperty(phase);
            Assert.True(cpu.GetProperty("micros").GetDouble() > 0, $"the bench spent CPU on {phase}");
            Assert.True(cpu.GetProperty("bytes").GetDouble() > 0, $"the bench allocated on {phase}");
        }
        var cost = json.RootElement.GetProperty("redis");
        double Get(string name) => cost.GetProperty(name).GetDouble();
        // Concurrent single enqueues share script calls (the engine's coalescer), so 16 callers send at
        // least one call per 16 tasks; 300 tasks in one batch of 500 are a handful of commands;
        // processing 600 tasks leased 10 at a time costs well under one per task.
        Assert.InRange(Get("enqueue_single_calls_per_task"), 1.0 / 16, 10.0);
        Assert.InRange(Get("enqueue_batch_calls_per_task"), 0.0001, 0.5);
        Assert.InRange(Get("process_calls_per_task"), 0.0001, 1.0);
        Assert.Equal(Get("enqueue_batch_calls_per_task") + Get("process_calls_per_task"), Get("batch_path_calls_per_task"), tolerance: 0.002); // --json rounds to 3 decimals
        // The whole of W1: (single + batch) * 300 + process * 600, over the 600 tasks processed.
        Assert.Equal((Get("enqueue_single_calls_per_task") * 300 + Get("enqueue_batch_calls_per_task") * 300 + Get("process_calls_per_task") * 600) / 600, Get("calls_per_task"), tolerance: 0.002);
        Assert.True(Get("cpu_micros_per_task") > 0, "Redis spent CPU on the work");
        Assert.True(Get("process_cpu_micros_per_task") > 0, "Redis spent CPU on processing");
        Assert.True(Get("enqueue_single_cpu_micros_per_task") > 0 && Get("enqueue_batch_cpu_micros_per_task") > 0, "Redis spent CPU on enqueueing");
        Assert.InRange(Get("bytes_per_pending_task"), 50, 100_000);
        // enqueue3: every phase ran scripts, so Redis's commandstats counted time in them.
        foreach (var phase in new[] { "enqueue_single", "enqueue_batch", "process" })
            Assert.True(Get($"{phase}_script_micros_per_task") > 0, $"Redis ran scripts for {phase}");
    }

    public void Dispose() => _env.Dispose();
}
