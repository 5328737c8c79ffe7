using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Conveyor.EndToEnd.Tests.Ops;

/// <summary>
/// The seeds' shape on one SQLite file: an API process and a separate worker process. A real
/// <c>conveyor worker --store FILE</c> whose lease wait is 60 s picks up every task a real
/// <c>conveyor server</c> on the same file accepts, each done within 8 s: only the other-process wake
/// (the -wal watch) can do that, since no lease wait runs out in time (and the watch's safety read of
/// data_version comes every 15 s). And four servers started at
/// the same moment on a new file all start (the schema is migrated once). About 15 s.
/// </summary>
[Collection(nameof(SqliteSeveralProcessesTests))]
public sealed class SqliteSeveralProcessesTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public async Task A_direct_worker_beside_a_server_picks_up_each_new_task_without_waiting_for_its_lease_wait()
    {
        var port = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        await using var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath);
        await server.WaitForOutput("Conveyor is running", TimeSpan.FromSeconds(60));
        await using var worker = ConveyorProcess.Start(_env.Directory, new Dictionary<string, string> { ["CONVEYOR__Worker__LeaseWait"] = "60s" },
            "worker", "--store", _env.DatabasePath);
        await worker.WaitForOutput("started", TimeSpan.FromSeconds(60));
        // Let its first lease call block (60 s) before the first task exists.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var (_, http) = TestEnvironment.Client(url);
        using (http)
        {
            for (var i = 0; i < 10; i++)
            {
                var submitted = await http.PostAsJsonAsync("api/v1/tasks", new { type = "noop" });
                Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
                string id;
                using (var task = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()))
                    id = task.RootElement.GetProperty("id").GetString()!;
                using var done = JsonDocument.Parse(await http.GetStringAsync($"api/v1/tasks/{id}/wait?timeout=8"));
                Assert.True(done.RootElement.GetProperty("state").GetString() == "succeeded",
                    $"task {i.ToString(CultureInfo.InvariantCulture)} was not run within 8 s: {done.RootElement}\nworker:\n{worker.Output}");
                Assert.Contains(worker.Pid.ToString(CultureInfo.InvariantCulture), done.RootElement.GetProperty("attempts")[0].GetProperty("worker_id").GetString(), StringComparison.Ordinal);
            }
        }
        Assert.False(worker.HasExited);
    }

    [Fact]
    public async Task Four_servers_opening_a_new_file_at_the_same_moment_all_start()
    {
        var ports = Enumerable.Range(0, 4).Select(_ => TestEnvironment.FreePort()).ToList();
        var servers = ports.Select(p => ConveyorProcess.Start(_env.Directory, "server", "--port", p.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath)).ToList();
        try
        {
            foreach (var s in servers) await s.WaitForOutput("Conveyor is running", TimeSpan.FromSeconds(90));
            foreach (var s in servers) Assert.False(s.HasExited, s.Output);
            foreach (var s in servers) Assert.DoesNotContain("already exists", s.Output, StringComparison.Ordinal);
            var (_, http) = TestEnvironment.Client($"http://127.0.0.1:{ports[3].ToString(CultureInfo.InvariantCulture)}");
            using (http)
                Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/v1/tasks", new { type = "noop" })).StatusCode);
        }
        finally
        {
            foreach (var s in servers) await s.DisposeAsync();
        }
    }
}

/// <summary><c>conveyor bench --workloads w2x</c> needs a SQLite file another process can open: anything else is refused in one line.</summary>
public sealed class BenchOtherProcessArgumentsTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    [Theory]
    [InlineData(":memory:", "give a SQLite file")]
    [InlineData("redis://127.0.0.1:1", "give a SQLite file")]
    public async Task W2x_on_a_store_no_other_process_can_open_is_refused(string store, string message)
    {
        var (code, output) = await ConveyorProcess.Run(_env.Directory, "bench", "--workloads", "w2x", "--store", store, "--quiet");
        Assert.True(code == 2, output);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }
}
