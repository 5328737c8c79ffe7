using System.Globalization;
using System.Net;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// What the fault tests share: a loopback port, the broker and workers they start (each worker writing
/// its execution log for the loss checker), the waits (readiness, "all done", "a worker holds tasks"),
/// padded tasks, and the processes' output when a test fails. Each test class keeps its own xunit
/// collection, ports and folders, so they still run side by side.
/// </summary>
internal static class FaultSupport
{
    /// <summary>A free loopback port and the broker URL on it.</summary>
    public static (string Port, string Url) Loopback()
    {
        var port = TestEnvironment.FreePort().ToString(CultureInfo.InvariantCulture);
        return (port, $"http://127.0.0.1:{port}");
    }

    /// <summary>Starts <c>conveyor server --port port --store store</c> (and <paramref name="more"/>) and waits until it runs; disposed if it never does.</summary>
    public static async Task<ConveyorProcess> StartBroker(TestEnvironment env, string port, string store, IDictionary<string, string>? variables = null, params string[] more)
    {
        var server = ConveyorProcess.Start(env.Directory, variables, ["server", "--port", port, "--store", store, .. more]);
        try
        {
            await server.WaitForOutput("Conveyor is running");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts <c>conveyor worker args</c> writing every execution to <paramref name="executionLog"/> (what the loss checker reads).</summary>
    public static ConveyorProcess StartWorker(TestEnvironment env, string executionLog, params string[] args) =>
        ConveyorProcess.Start(env.Directory, Histories.ExecutionLogEnv(executionLog), ["worker", .. args]);

    /// <summary>The execution log of a worker: <c>executions.log</c>, or <c>executions-name.log</c> where there are several.</summary>
    public static string ExecutionLog(TestEnvironment env, string? name = null) =>
        Path.Combine(env.Directory, name is null ? "executions.log" : $"executions-{name}.log");

    /// <summary>
    /// Freezes <paramref name="worker"/> (SIGSTOP) at a moment it runs at least <paramref name="atLeast"/> tasks, and
    /// returns their ids: tasks leased under its id (running in the store) whose handlers it has started (in its
    /// execution log). Leased alone is not enough: the store marks a task running before the lease's answer reaches
    /// the worker (or while it waits prefetched), and a worker killed or cut off then never ran it, so it would run
    /// once, elsewhere, and not twice. Frozen before the look, so none of them finishes between the look and the
    /// fault the caller brings (kill -9, a partition, the freeze itself). Bounded; the caller resumes or kills it.
    /// </summary>
    public static async Task<List<string>> PauseRunning(ConveyorClient client, ConveyorProcess worker, string executionLog, int atLeast = 1)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            // Looked at running first, then frozen and looked at again: a worker frozen at every poll would crawl.
            if ((await Running(client, worker.Pid, executionLog)).Count >= atLeast)
            {
                worker.Pause();
                var held = await Running(client, worker.Pid, executionLog);
                if (held.Count >= atLeast) return held;
                worker.Resume();
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"worker {worker.Pid} never ran {atLeast} tasks at once");
    }

    /// <summary>The tasks worker <paramref name="pid"/> holds (running in the store under its id) and has started (in its execution log).</summary>
    private static async Task<List<string>> Running(ConveyorClient client, int pid, string executionLog)
    {
        var started = Histories.ReadExecutions(executionLog).Select(e => e.TaskId).ToHashSet(StringComparer.Ordinal);
        var running = await client.List(new TaskListParams(State: TaskState.Running, Limit: 1000));
        return [.. running.Items.Where(t => t.WorkerId?.Contains($":{pid}:", StringComparison.Ordinal) == true && started.Contains(t.Id)).Select(t => t.Id)];
    }

    /// <summary>Writes each process's output under its name (a failing test's evidence).</summary>
    public static void Dump(ITestOutputHelper output, params (string Name, ConveyorProcess? Process)[] processes)
    {
        foreach (var (name, process) in processes) output.WriteLine($"--- {name} ---\n{process?.Output}");
    }

    /// <summary>Polls <c>/readyz</c> until it answers 200 (ready) or 503 (not); returns the last body. Bounded.</summary>
    public static async Task<string> WaitForReadyz(HttpClient http, bool ready, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync("readyz");
                last = await response.Content.ReadAsStringAsync();
                if ((response.StatusCode == HttpStatusCode.OK) == ready) return last;
                last = $"{(int)response.StatusCode} {last}";
            }
            catch (HttpRequestException e) { last = e.Message; }
            await Task.Delay(200);
        }
        Assert.Fail($"{http.BaseAddress}readyz never answered {(ready ? "200" : "503")}; last: {last}");
        return last;
    }

    /// <summary><paramref name="n"/> <c>noop</c> tasks whose args carry <paramref name="padBytes"/> of filler (to fill a store).</summary>
    public static List<TaskSubmission> Noops(int n, int padBytes = 0)
    {
        var args = JsonDocument.Parse(JsonSerializer.Serialize(new { pad = new string('x', padBytes) })).RootElement.Clone();
        return [.. Enumerable.Range(0, n).Select(_ => new TaskSubmission { Type = "noop", Args = args })];
    }

    /// <summary>Waits until nothing in <c>default</c> is pending, scheduled or running. Bounded.</summary>
    public static Task WaitAllDone(ConveyorClient client, TimeSpan timeout) =>
        CrashRecoveryTests.WaitUntil(async () => (await client.Queues()).Where(q => q.Name == "default").Sum(q => q.Pending + q.Scheduled + q.Running) == 0,
            timeout, "every task is finished");

    /// <summary>
    /// Waits (bounded) until <paramref name="process"/> has said <paramref name="text"/>, then asserts it said it
    /// once. Its lines come through its console logger's queue and a pipe, after what they report has been seen
    /// here (a 507 answered, /readyz changed), so a count taken at once can still find none on a busy machine.
    /// </summary>
    public static async Task AssertSaidOnce(ConveyorProcess process, string text)
    {
        await process.WaitForOutput(text, TimeSpan.FromSeconds(30));
        Assert.Equal(1, Occurrences(process.Output, text));
    }

    /// <summary>How many times <paramref name="text"/> occurs in <paramref name="output"/>.</summary>
    public static int Occurrences(string output, string text)
    {
        var n = 0;
        for (var i = output.IndexOf(text, StringComparison.Ordinal); i >= 0; i = output.IndexOf(text, i + text.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
