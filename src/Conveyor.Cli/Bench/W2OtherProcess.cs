using System.Diagnostics;
using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;

namespace Conveyor.Cli.Bench;

/// <summary>
/// W2 across processes (issue 15 item 7, the seeds' shape): this process submits to a SQLite file, one
/// task at a time, and a real <c>conveyor worker --store FILE</c> in another process runs it. Its lease
/// wait is set to 60 s, so each pickup is the other-process wake, never a wait running out. Pickup is
/// measured from before the submit to the lease (the task's <c>started_at</c>, written by the worker's
/// lease on the same machine's clock); the next task is submitted once this one is done.
/// </summary>
internal sealed class W2OtherProcess(TaskEngine engine, string file, int samples, BenchProgress progress)
{
    public async Task<W2Result> Run(CancellationToken ct)
    {
        var queue = $"bench-w2x-{Guid.NewGuid().ToString("N")[..8]}";
        progress.Phase($"W2 other process: a conveyor worker on {file}, {samples} tasks one at a time");
        using var worker = StartWorker(queue);
        try
        {
            var list = new List<double>(samples);
            // Unmeasured rounds first: the worker process starts, registers and warms up.
            for (var i = -10; i < samples; i++)
            {
                var before = DateTimeOffset.UtcNow;
                var submitted = await engine.Submit(new TaskSubmission { Type = "noop", Queue = queue, Args = NoArgs }, ct).ConfigureAwait(false);
                var done = await engine.Wait(submitted.Task.Id, TimeSpan.FromSeconds(i < 0 ? 60 : 30), ct).ConfigureAwait(false);
                if (worker.HasExited) throw new InvalidOperationException($"the worker process exited ({worker.ExitCode})");
                if (done is not { State: TaskState.Succeeded, StartedAt: { } started })
                    throw new InvalidOperationException($"W2 other process: task {submitted.Task.Id} did not run in time (state {done?.State})");
                if (i >= 0) list.Add((started - before).TotalMilliseconds);
                progress.Tick("W2 other process", Math.Max(0, i + 1), samples);
            }
            var stats = new LatencyStats(list);
            return new W2Result(stats.Count, stats.P50, stats.P99, stats.Max);
        }
        finally
        {
            try { worker.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await worker.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static readonly JsonElement NoArgs = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>This same conveyor (the apphost, or dotnet with conveyor.dll) as a direct worker.</summary>
    private Process StartWorker(string queue)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(W2OtherProcess).Assembly.Location);
        foreach (var a in (string[])["worker", "--store", file, "--queues", queue, "--concurrency", "1"]) psi.ArgumentList.Add(a);
        psi.Environment["CONVEYOR__Worker__LeaseWait"] = "60s";
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start a conveyor worker");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }
}
