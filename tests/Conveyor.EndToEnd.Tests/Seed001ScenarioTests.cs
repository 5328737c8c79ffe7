using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// Seed 001's scenarios, unchanged requests (<c>POST /send-email</c>), against a real broker and real
/// worker processes: one task; ten quickly; three workers in parallel; a worker stopped halfway and
/// restarted. The simulated send takes 500 ms here instead of 3 s, through --email-duration.
/// </summary>
public sealed class Seed001ScenarioTests(ITestOutputHelper output) : IDisposable
{
    private const string EmailDuration = "500ms";
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task One_task_then_ten_quickly_all_get_sent()
    {
        await using var broker = await StartBroker();
        await using var worker = await StartWorker(broker.Url, concurrency: 10);
        var (client, http) = TestEnvironment.Client(broker.Url);
        using var _ = http;

        var first = await SendEmail(http, "first@example.com");
        var done = await client.Wait(first, TimeSpan.FromSeconds(30));
        Assert.Equal(TaskState.Succeeded, done!.State);
        Assert.Equal("first@example.com", done.Result!.Value.GetProperty("sent_to").GetString());

        var ids = new List<string>();
        for (var i = 0; i < 10; i++) ids.Add(await SendEmail(http, $"user{i}@example.com"));
        foreach (var id in ids)
            Assert.Equal(TaskState.Succeeded, (await client.Wait(id, TimeSpan.FromSeconds(60)))!.State);
    }

    [Fact]
    public async Task Three_workers_share_the_work_in_parallel()
    {
        await using var broker = await StartBroker();
        var (client, http) = TestEnvironment.Client(broker.Url);
        using var _ = http;

        // One worker with one slot: the tasks run one after another.
        var sequential = await RunBatch(http, client, broker.Url, workers: 1, tasks: 6);
        // Three such workers: the same work spread over three processes at once.
        var parallel = await RunBatch(http, client, broker.Url, workers: 3, tasks: 6);
        output.WriteLine($"6 emails: 1 worker {sequential.Elapsed.TotalSeconds:F2}s, 3 workers {parallel.Elapsed.TotalSeconds:F2}s " +
                         $"(speed-up {sequential.Elapsed / parallel.Elapsed:F2}x)");

        Assert.Equal(1, sequential.Workers);
        AssertOneAtATimePerWorker(sequential.Attempts);
        Assert.Equal(3, parallel.Workers);
        AssertOneAtATimePerWorker(parallel.Attempts);
        // Three workers ran at once: some task shared over half a send with tasks of both other workers.
        Assert.Equal(3, parallel.MaxWorkersAtOnce);
    }

    /// <summary>
    /// One slot, no prefetch: a worker leases its next task only after the handler of the one before has
    /// run its 500 ms, so its leases (the attempts' starts, on the broker's one clock) are at least a send
    /// apart. (An attempt's finish is when its ack landed: on a busy machine an ack can land after the
    /// next lease, so overlaps of one worker's start-to-ack spans prove nothing.)
    /// </summary>
    private static void AssertOneAtATimePerWorker(IReadOnlyList<AttemptRecord> attempts)
    {
        foreach (var worker in attempts.GroupBy(a => a.WorkerId))
        {
            var starts = worker.Select(a => a.StartedAt).Order().ToList();
            for (var i = 1; i < starts.Count; i++)
                Assert.True(starts[i] - starts[i - 1] >= TimeSpan.FromMilliseconds(450),
                    $"{worker.Key}: attempt {i + 1} started {(starts[i] - starts[i - 1]).TotalMilliseconds:F0} ms after the one before: two ran at once on one slot");
        }
    }

    [Fact]
    public async Task A_worker_stopped_halfway_and_restarted_finishes_the_rest()
    {
        await using var broker = await StartBroker();
        var (client, http) = TestEnvironment.Client(broker.Url);
        using var _ = http;
        var ids = new List<string>();
        for (var i = 0; i < 6; i++) ids.Add(await SendEmail(http, $"late{i}@example.com"));

        var worker = await StartWorker(broker.Url, concurrency: 1);
        // Stopped once half are sent, while the rest wait: one read a look (the broker's counts; only these
        // six tasks are in it), looked at often, so that on a busy machine slow reads of the six tasks one by
        // one do not let the rest be sent before the stop comes.
        var halfway = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await client.Queues()).Sum(q => q.Succeeded) < 3)
        {
            if (DateTime.UtcNow > halfway) throw new TimeoutException($"half the emails were not sent in time:\n{worker.Output}");
            await Task.Delay(20);
        }
        worker.Terminate(); // SIGTERM: stop leasing, finish the running task, leave
        Assert.Equal(0, await worker.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("stopped after", worker.Output, StringComparison.Ordinal);
        var sentBeforeRestart = await Succeeded(client, ids);
        Assert.InRange(sentBeforeRestart, 3, 5);
        await worker.DisposeAsync();

        await using var again = await StartWorker(broker.Url, concurrency: 1);
        foreach (var id in ids)
        {
            var t = await client.Wait(id, TimeSpan.FromSeconds(60));
            Assert.Equal(TaskState.Succeeded, t!.State);
            // A graceful stop never costs an attempt: every email was sent on its first.
            Assert.Equal(1, t.Attempts.Count(a => a.Outcome == AttemptOutcome.Succeeded));
            Assert.DoesNotContain(t.Attempts, a => a.Outcome is AttemptOutcome.Failed or AttemptOutcome.LeaseExpired);
        }
    }

    private async Task<(TimeSpan Elapsed, int Workers, int MaxWorkersAtOnce, IReadOnlyList<AttemptRecord> Attempts)> RunBatch(HttpClient http, ConveyorClient client, string url, int workers, int tasks)
    {
        var procs = new List<ConveyorProcess>();
        try
        {
            // Every worker is up and waiting before the first email is queued, as in the seed's demo.
            // No prefetch: an attempt's start is its lease, so a task leased ahead of its slot (and
            // waiting there) would count as running at once with the one before it.
            procs.AddRange(await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => StartWorker(url, concurrency: 1, prefetch: false))));
            await WarmUp(http, client, procs);
            // Sent at once (the seed's "ten quickly"), so the workers waiting in the broker get theirs together.
            var ids = await Task.WhenAll(Enumerable.Range(0, tasks).Select(i => SendEmail(http, $"batch{i}@example.com")));
            var records = new List<TaskRecord>();
            foreach (var id in ids) records.Add((await client.Wait(id, TimeSpan.FromSeconds(60)))!);
            Assert.All(records, r => Assert.Equal(TaskState.Succeeded, r.State));
            var attempts = records.Select(r => r.Attempts.Single(a => a.Outcome == AttemptOutcome.Succeeded)).ToList();
            foreach (var a in attempts) output.WriteLine($"{a.WorkerId} {a.StartedAt:O} {a.FinishedAt:O}");
            var start = attempts.Min(a => a.StartedAt);
            var end = attempts.Max(a => a.FinishedAt!.Value);
            // An attempt runs from its lease to its acknowledgement, so "at the same time" means sharing
            // over half a send; counted in workers (one worker's own spans overlap when an ack lands late).
            var maxWorkersAtOnce = attempts.Max(a => attempts.Where(b => Shared(a, b) > TimeSpan.FromMilliseconds(250)).Select(b => b.WorkerId).Distinct().Count());
            return (end - start, attempts.Select(a => a.WorkerId).Distinct().Count(), maxWorkersAtOnce, attempts);
        }
        finally
        {
            foreach (var p in procs) await p.DisposeAsync();
        }
    }

    /// <summary>
    /// Up is not yet waiting: a process that has just printed its line can ask for its first lease a good
    /// while later on a busy machine (JIT, startup), and the batch would go to the others meanwhile. So each
    /// worker runs a warm-up email first (one per worker at a time, sent again until every worker has run
    /// one; bounded), and so is back in the broker waiting for work when the batch comes. Not in the batch.
    /// </summary>
    private static async Task WarmUp(HttpClient http, ConveyorClient client, IReadOnlyList<ConveyorProcess> procs)
    {
        var warm = new HashSet<int>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (warm.Count < procs.Count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"only {warm.Count} of {procs.Count} workers ran a warm-up email");
            var ids = await Task.WhenAll(procs.Select(_ => SendEmail(http, "warm-up@example.com")));
            foreach (var id in ids)
            {
                var done = await client.Wait(id, TimeSpan.FromSeconds(60));
                Assert.Equal(TaskState.Succeeded, done!.State);
                foreach (var p in procs)
                    if (done.Attempts[^1].WorkerId?.Contains($":{p.Pid}:", StringComparison.Ordinal) == true) warm.Add(p.Pid);
            }
        }
    }

    private static TimeSpan Shared(AttemptRecord a, AttemptRecord b) =>
        (a.FinishedAt!.Value < b.FinishedAt!.Value ? a.FinishedAt.Value : b.FinishedAt.Value) - (a.StartedAt > b.StartedAt ? a.StartedAt : b.StartedAt);

    private static async Task<int> Succeeded(ConveyorClient client, IEnumerable<string> ids)
    {
        var n = 0;
        foreach (var id in ids) if ((await client.Get(id))?.State == TaskState.Succeeded) n++;
        return n;
    }

    private static async Task<string> SendEmail(HttpClient http, string to)
    {
        using var response = await http.PostAsJsonAsync("send-email", new { recipient_email = to, subject = "Hello", body = "Welcome aboard" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal("queued", doc.RootElement.GetProperty("status").GetString());
        return doc.RootElement.GetProperty("task_id").GetString()!;
    }

    private async Task<Broker> StartBroker()
    {
        var port = TestEnvironment.FreePort();
        var p = ConveyorProcess.Start(_env.Directory, "server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath);
        await p.WaitForOutput("Conveyor is running");
        return new Broker(p, $"http://127.0.0.1:{port}");
    }

    private async Task<ConveyorProcess> StartWorker(string url, int concurrency, bool prefetch = true)
    {
        var p = prefetch
            ? ConveyorProcess.Start(_env.Directory, "worker", "--broker", url, "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture), "--email-duration", EmailDuration)
            : ConveyorProcess.Start(_env.Directory, "worker", "--broker", url, "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture), "--email-duration", EmailDuration, "--max-prefetch", "0");
        await p.WaitForOutput("worker ");
        return p;
    }

    private sealed record Broker(ConveyorProcess Process, string Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }

    public void Dispose() => _env.Dispose();
}
