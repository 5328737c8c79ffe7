using System.Diagnostics;
using System.Globalization;
using System.Text;
using Conveyor.Client.Protocol;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// Issue 11 item 7: a real <c>conveyor up</c> with a short retention (succeeded=5s) under continuous
/// submission of no-op tasks through <c>POST /api/v1/tasks/batch</c>: once warmed up, the store stops
/// growing while tens of thousands of tasks pass. SQLite: the file plus its -wal; Redis: INFO memory
/// used_memory. Bounded: 40 s of submission (or 500,000 tasks). The figures are printed.
/// </summary>
public sealed class RetentionSoakTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Soak = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(15);
    private const int MaxTasks = 500_000;
    private const int Batch = 250;
    private readonly TestEnvironment _env = new();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task The_store_stays_bounded_under_a_short_retention(string kind)
    {
        using var redis = kind == "redis" ? new RedisServer(_env.Directory) : null;
        redis?.Start();
        var port = TestEnvironment.FreePort();
        await using var up = ConveyorProcess.Start(_env.Directory, "up", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--store", redis?.Url ?? _env.DatabasePath, "--retention", "succeeded=5s", "--concurrency", "20", "--queues", "soak");
        await up.WaitForOutput("Conveyor is running");
        var (client, http) = TestEnvironment.Client($"http://127.0.0.1:{port}");
        using var _ = http;
        Func<long> size = redis is null ? SqliteBytes : () => RedisUsedMemory(redis.Port);
        var baseline = size();

        var body = new StringBuilder("{\"tasks\":[");
        for (var i = 0; i < Batch; i++) body.Append(i == 0 ? "" : ",").Append("{\"type\":\"noop\",\"queue\":\"soak\"}");
        var json = body.Append("]}").ToString();
        var clock = Stopwatch.StartNew();
        long submitted = 0, warmSize = 0, maxAfter = 0, warmKept = 0, peakKept = 0;
        var samples = new List<string>();
        var nextSample = TimeSpan.Zero;
        while (clock.Elapsed < Soak && submitted < MaxTasks)
        {
            using var response = await http.PostAsync(Routes.TasksBatch, new StringContent(json, Encoding.UTF8, "application/json"));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            submitted += Batch;
            // Keep the backlog small: submission paced by the workers (no point measuring a queue of pending tasks).
            var queue = (await client.Queues()).FirstOrDefault(q => q.Name == "soak");
            if (queue is { Pending: > 2_000 }) await Task.Delay(100);
            if (clock.Elapsed >= nextSample)
            {
                var s = size();
                samples.Add($"{clock.Elapsed.TotalSeconds:0}s {submitted} tasks {s / 1024} KiB succeeded-kept {queue?.Succeeded}");
                // The bound is the largest size of the warm-up (retention's steady state is reached within it: 5 s).
                var kept = queue?.Succeeded ?? 0;
                peakKept = Math.Max(peakKept, kept);
                if (clock.Elapsed < WarmUp) { warmSize = Math.Max(warmSize, s); warmKept = Math.Max(warmKept, kept); }
                else maxAfter = Math.Max(maxAfter, s);
                nextSample += TimeSpan.FromSeconds(3);
            }
        }
        var last = size();
        maxAfter = Math.Max(maxAfter, last);
        foreach (var s in samples) output.WriteLine(s);
        output.WriteLine($"{kind}: {submitted} tasks in {clock.Elapsed.TotalSeconds:0} s ({submitted / clock.Elapsed.TotalSeconds:0}/s); size at warm-up {warmSize / 1024} KiB, max after {maxAfter / 1024} KiB, last {last / 1024} KiB");
        Assert.True(submitted >= 10_000, $"only {submitted} tasks passed");
        Assert.True(clock.Elapsed >= WarmUp, "the soak ended before its warm-up");
        if (redis is not null)
        {
            // ops (issue 11 "Redis memory stays bounded by what retention keeps"): on a shared machine the
            // rate, and so the kept count (rate x 5 s), swings several-fold within a run, and used_memory with
            // it (about 1.6 KiB per kept task), so a bound taken from the warm-up's size says nothing. What
            // must hold is that nothing stays per task that passed: once submission stops and retention has
            // removed every succeeded task, used_memory is back near where it started, after 10^5 tasks.
            var drained = await Drained(client, () => size());
            output.WriteLine($"redis: empty {baseline / 1024} KiB before the soak; {drained.Bytes / 1024} KiB once retention kept {drained.Kept} tasks, after {submitted} passed");
            Assert.True(drained.Kept == 0, $"retention still kept {drained.Kept} tasks 60 s after the soak");
            Assert.True(drained.Bytes <= baseline + 4 * 1024 * 1024, $"{drained.Bytes - baseline} bytes stayed after {submitted} tasks passed and retention removed them all");
            return;
        }
        // Bounded: after the warm-up the store may breathe, but not grow with the tasks that pass. What
        // retention keeps is the rate x 5 s, and the rate swings several-fold within a run on a shared
        // machine (a CI run went from ~2k/s in the warm-up to ~9k/s after it), and the file keeps the pages
        // it grew to (SQLite reuses freed pages; it does not shrink): so the bound follows the most tasks
        // retention held at once, relative to the warm-up's, not the tasks that passed. And retention must
        // then remove every one of them (a retention that deleted nothing would hold them all).
        var scale = Math.Max(1.0, (double)peakKept / Math.Max(1, warmKept));
        output.WriteLine($"sqlite: retention held at most {warmKept} tasks in the warm-up and {peakKept} in the whole soak (bound x{scale:0.0})");
        Assert.True(maxAfter <= warmSize * 2 * scale + 8 * 1024 * 1024, $"grew from {warmSize} to {maxAfter} bytes while retention held at most {peakKept} tasks ({warmKept} in the warm-up)");
        var emptied = await Drained(client, () => size());
        Assert.True(emptied.Kept == 0, $"retention still kept {emptied.Kept} tasks 60 s after the soak");
        Assert.True(emptied.Bytes <= maxAfter + 8 * 1024 * 1024, $"the file grew to {emptied.Bytes} bytes while retention emptied the queue (max during the soak {maxAfter})");
    }

    /// <summary>Waits (at most 60 s) until retention has removed every succeeded task of the soak queue.</summary>
    private static async Task<(long Kept, long Bytes)> Drained(Conveyor.Client.ConveyorClient client, Func<long> size)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        long kept;
        do
        {
            await Task.Delay(1000);
            var q = (await client.Queues()).FirstOrDefault(q => q.Name == "soak");
            kept = (q?.Succeeded ?? 0) + (q?.Pending ?? 0) + (q?.Running ?? 0);
        }
        while (kept > 0 && DateTime.UtcNow < until);
        return (kept, size());
    }

    private long SqliteBytes() =>
        new[] { _env.DatabasePath, _env.DatabasePath + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);

    private static long RedisUsedMemory(int port)
    {
        using var p = Process.Start(new ProcessStartInfo("redis-cli", ["-p", port.ToString(CultureInfo.InvariantCulture), "INFO", "memory"]) { RedirectStandardOutput = true })!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var line = text.Split('\n').First(l => l.StartsWith("used_memory:", StringComparison.Ordinal));
        return long.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
    }

    public void Dispose() => _env.Dispose();
}
