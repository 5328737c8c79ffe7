using System.Diagnostics;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Examples;

/// <summary>Skipped, with the reason, only where python3 is not installed.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        if (PythonWorkerTests.FindPython() is null) Skip = "python3 is not on PATH: the Python example worker cannot run here";
    }
}

public sealed class PythonWorkerTests
{
    internal static string? FindPython() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "python3")).FirstOrDefault(File.Exists);

    [PythonFact]
    public async Task The_python_example_worker_processes_tasks_against_a_real_broker()
    {
        await using var broker = await Broker.Start(o => o.Tokens.Add(Conveyor.Server.Auth.ApiToken.FromSecret("py-token", ["work"])));
        var admin = broker.Engine;
        var fib = (await admin.Submit(new() { Type = "fib", Args = System.Text.Json.JsonSerializer.SerializeToElement(new { n = 20 }) })).Task.Id;
        var unknown = (await admin.Submit(new() { Type = "mystery" })).Task.Id;

        var script = Path.Combine(AppContext.BaseDirectory, "python_worker.py");
        var psi = new ProcessStartInfo(FindPython()!, [script, "--url", broker.BaseUrl.ToString(), "--token", "py-token", "--wait", "2", "--max-tasks", "2"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        finally { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        var log = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, log);

        var done = await admin.Get(fib);
        Assert.Equal(Conveyor.Model.TaskState.Succeeded, done!.State);
        Assert.Equal(6765, done.Result!.Value.GetInt32());
        var failed = await admin.Get(unknown);
        Assert.Equal(Conveyor.Model.TaskState.Failed, failed!.State);
        Assert.Equal("unknown_type", failed.Error!.Type);
    }
}
