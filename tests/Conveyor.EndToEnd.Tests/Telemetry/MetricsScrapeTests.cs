using System.Globalization;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Telemetry;

/// <summary>
/// /metrics of a real <c>conveyor server</c>, scraped before and after a run of tasks over HTTP workers
/// (real processes), one of which is killed with SIGKILL while it holds two tasks whose leases then
/// expire: every counter and histogram count moves by exactly what the run did, lease expiries
/// included (they reach the failed, retried and dead counters through the engine), in valid text.
/// </summary>
public sealed class MetricsScrapeTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Every_counter_and_histogram_moves_by_exactly_what_the_run_did_lease_expiries_included()
    {
        var port = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath);
        await server.WaitForOutput("Conveyor is running");
        var (client, http) = TestEnvironment.Client(url);
        using var _ = http;
        var before = await Scrape(http);

        // The victim: the only worker on "crash" while it holds both crash tasks; 2 s leases.
        await using var victim = ConveyorProcess.Start(_env.Directory, "worker", "--broker", url, "--queues", "crash", "--concurrency", "2", "--lease-duration", "2s");
        await victim.WaitForOutput("worker ");
        var sleep = JsonDocument.Parse("{\"ms\":1500}").RootElement;
        var crash = await client.SubmitMany([
            new TaskSubmission { Type = "sleep", Queue = "crash", Args = JsonDocument.Parse("{\"ms\":60000}").RootElement, MaxAttempts = 2, Backoff = BackoffPolicy.None },
            new TaskSubmission { Type = "sleep", Queue = "crash", Args = JsonDocument.Parse("{\"ms\":60000}").RootElement, MaxAttempts = 1 },
        ]);
        var retriedId = crash[0].Task.Id;
        var deadId = crash[1].Task.Id;
        await Until(async () => (await client.Get(retriedId))!.State == TaskState.Running && (await client.Get(deadId))!.State == TaskState.Running, "both crash tasks running on the victim");
        victim.Kill9();
        output.WriteLine("killed the victim holding both crash tasks");
        // Its leases expire; maintenance reclaims them: one retried (attempts left), one dead.
        await Until(async () => (await client.Get(deadId))!.State == TaskState.Failed, "the dead crash task reclaimed");

        // A fresh worker takes the retried one (a 60 s sleep): it is cancelled while running, which the
        // cancelled counter sees; the worker then acknowledges nothing for it.
        await using var worker = ConveyorProcess.Start(_env.Directory, "worker", "--broker", url, "--queues", "default,crash", "--concurrency", "8");
        await worker.WaitForOutput("worker ");
        var ok = await client.SubmitMany([.. Enumerable.Range(0, 20).Select(_ => new TaskSubmission { Type = "noop" })]);
        var failing = await client.SubmitMany([.. Enumerable.Range(0, 2).Select(_ => new TaskSubmission { Type = "fail", MaxAttempts = 2, Backoff = BackoffPolicy.None })]);
        var slept = await client.Submit(new TaskSubmission { Type = "sleep", Args = sleep });
        var delayed = await client.Submit(new TaskSubmission { Type = "noop", Delay = TimeSpan.FromHours(1) });
        Assert.Equal(CancelOutcome.Cancelled, (await client.Cancel(delayed.Task.Id)).Outcome);
        await Until(async () => (await client.Get(retriedId))!.State == TaskState.Running && (await client.Get(retriedId))!.Attempt == 2, "the retried crash task running again");
        Assert.Equal(CancelOutcome.CancelledWhileRunning, (await client.Cancel(retriedId)).Outcome);

        foreach (var id in ok.Concat(failing).Select(r => r.Task.Id).Append(slept.Task.Id))
            Assert.True((await client.Wait(id, TimeSpan.FromSeconds(60)))!.State.IsTerminal(), $"task {id} finished");
        Assert.All(ok, r => Assert.Equal(TaskState.Succeeded, client.Get(r.Task.Id).Result!.State));
        Assert.All(failing, r => Assert.Equal(TaskState.Failed, client.Get(r.Task.Id).Result!.State));

        // What the run did, by counter (the tags add up to these; a few are checked by queue and type):
        //   submitted  2 crash + 20 noop + 2 fail + 1 sleep + 1 delayed noop                        = 26
        //   started    2 crash on the victim + 1 crash rerun + 20 + 2x2 fail + 1 sleep            = 28
        //   succeeded  20 noop + 1 sleep                                                          = 21
        //   failed     2 lease expiries + 4 fail attempts                                          = 6
        //   retried    1 lease expiry (attempts left) + 2 first fail attempts                      = 3
        //   dead       1 lease expiry (last attempt) + 2 fail tasks                                = 3
        //   cancelled  the delayed task + the crash rerun (while running)                          = 2
        //   lease_expired 2
        //   queue_wait count = started = 28; run_time count = outcomes acknowledged = 21 + 4 = 25
        var expected = new Dictionary<string, double>
        {
            ["conveyor_tasks_submitted_total"] = 26,
            ["conveyor_tasks_started_total"] = 28,
            ["conveyor_tasks_succeeded_total"] = 21,
            ["conveyor_tasks_failed_total"] = 6,
            ["conveyor_tasks_retried_total"] = 3,
            ["conveyor_tasks_dead_total"] = 3,
            ["conveyor_tasks_cancelled_total"] = 2,
            ["conveyor_tasks_lease_expired_total"] = 2,
            ["conveyor_task_queue_wait_seconds_count"] = 28,
            ["conveyor_task_run_time_seconds_count"] = 25,
        };
        PrometheusText after = before;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            after = await Scrape(http);
            if (expected.All(kv => after.Sum(kv.Key) - before.Sum(kv.Key) == kv.Value)) break;
            await Task.Delay(250);
        }
        foreach (var (name, delta) in expected)
            Assert.True(after.Sum(name) - before.Sum(name) == delta, $"{name}: moved by {after.Sum(name) - before.Sum(name)}, expected {delta}");

        // By queue and type.
        Assert.Equal(2, after.Sum("conveyor_tasks_lease_expired_total", ("queue", "crash"), ("type", "sleep")));
        Assert.Equal(1, after.Sum("conveyor_tasks_dead_total", ("queue", "crash"), ("type", "sleep")));
        Assert.Equal(2, after.Sum("conveyor_tasks_dead_total", ("queue", "default"), ("type", "fail")));
        Assert.Equal(20, after.Sum("conveyor_tasks_succeeded_total", ("queue", "default"), ("type", "noop")));
        Assert.Equal(1, after.Sum("conveyor_tasks_cancelled_total", ("queue", "crash"), ("type", "sleep")));
        // Histograms: the type, buckets from 1 ms to 1 h, and the store's latency by operation.
        Assert.Equal("histogram", after.Types["conveyor_task_queue_wait_seconds"]);
        Assert.Contains(after.Samples, s => s.Name == "conveyor_task_run_time_seconds_bucket" && s.Labels["le"] == "0.001");
        Assert.Contains(after.Samples, s => s.Name == "conveyor_task_run_time_seconds_bucket" && s.Labels["le"] == "3600");
        Assert.Equal(5, after.Sum("conveyor_store_duration_seconds_count", ("operation", "TaskEnqueueMany")) - before.Sum("conveyor_store_duration_seconds_count", ("operation", "TaskEnqueueMany")));
        Assert.Equal(2, after.Sum("conveyor_store_duration_seconds_count", ("operation", "TaskCancel")) - before.Sum("conveyor_store_duration_seconds_count", ("operation", "TaskCancel")));
        Assert.True(after.Sum("conveyor_store_duration_seconds_count", ("operation", "MaintenanceRun")) > before.Sum("conveyor_store_duration_seconds_count", ("operation", "MaintenanceRun")));
        // Gauges refreshed with maintenance: depth by state per queue, and live workers.
        await Until(async () => (await Scrape(http)).Sum("conveyor_queue_depth", ("queue", "default"), ("state", "succeeded")) == 21, "the depth gauge caught up");
        var gauges = await Scrape(http);
        Assert.Equal(2, gauges.Sum("conveyor_queue_depth", ("queue", "default"), ("state", "failed")));
        Assert.True(gauges.Sum("conveyor_workers_live") >= 1, "the live worker is counted (the killed one stays live until its heartbeat is 60 s old)");
        Assert.Contains(gauges.Samples, s => s.Name == "conveyor_queue_oldest_age_seconds" && s.Labels["queue"] == "default");
    }

    [Fact]
    public async Task A_worker_serves_its_own_meters_on_its_metrics_port()
    {
        var port = TestEnvironment.FreePort();
        var metricsPort = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath);
        await server.WaitForOutput("Conveyor is running");
        await using var worker = ConveyorProcess.Start(_env.Directory, "worker", "--broker", url, "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture));
        await worker.WaitForOutput("worker ");
        var (client, http) = TestEnvironment.Client(url);
        using var _ = http;
        using var workerMetrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}/") };
        var before = await Scrape(workerMetrics);
        var ids = (await client.SubmitMany([.. Enumerable.Range(0, 5).Select(_ => new TaskSubmission { Type = "noop" })])).Select(r => r.Task.Id).ToList();
        foreach (var id in ids) Assert.Equal(TaskState.Succeeded, (await client.Wait(id, TimeSpan.FromSeconds(60)))!.State);

        // The handler's run time, measured in the worker that ran it (the task counters are the broker's).
        await Until(async () => (await Scrape(workerMetrics)).Sum("conveyor_handler_duration_seconds_count", ("type", "noop"), ("outcome", "succeeded"))
            - before.Sum("conveyor_handler_duration_seconds_count", ("type", "noop"), ("outcome", "succeeded")) == 5, "five handler runs on the worker's endpoint");
        Assert.Equal("histogram", (await Scrape(workerMetrics)).Types["conveyor_handler_duration_seconds"]);
    }

    private static async Task<PrometheusText> Scrape(HttpClient http)
    {
        using var response = await http.GetAsync("metrics");
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType ?? "");
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"never happened: {what}");
    }

    public void Dispose() => _env.Dispose();
}
