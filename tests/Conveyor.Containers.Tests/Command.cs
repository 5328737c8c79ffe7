using System.Diagnostics;
using System.Text;

namespace Conveyor.Containers.Tests;

/// <summary>The outcome of a finished command.</summary>
public sealed record CommandResult(string Line, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public string Output => Stdout + Stderr;

    /// <summary>Throws, with everything the command printed, unless it exited 0.</summary>
    public CommandResult Ok()
    {
        if (ExitCode != 0)
            throw new InvalidOperationException($"`{Line}` exited {ExitCode} after {Elapsed.TotalSeconds:F1}s:\n{Tail(Output, 6000)}");
        return this;
    }

    public static string Tail(string s, int chars) => s.Length <= chars ? s : "…" + s[^chars..];
}

/// <summary>Runs a real program (docker, docker-compose, dotnet, bash) to completion, always with a deadline.</summary>
public static class Command
{
    public static async Task<CommandResult> Run(string file, IEnumerable<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var line = file + " " + string.Join(' ', psi.ArgumentList);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        var clock = Stopwatch.StartNew();
        p.Start();
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit();
            throw new TimeoutException($"`{line}` did not finish within {timeout.TotalSeconds:F0}s:\n{CommandResult.Tail(stdout.ToString() + stderr, 6000)}");
        }
        p.WaitForExit(); // flush the asynchronous readers
        lock (stdout) lock (stderr) return new CommandResult(line, p.ExitCode, stdout.ToString(), stderr.ToString(), clock.Elapsed);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes (then fails with <paramref name="what"/>).</summary>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<Task<string>>? describe = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await condition()) return;
            await Task.Delay(250);
        }
        var state = describe is null ? "" : "\n" + await describe();
        throw new TimeoutException($"{what}: not within {timeout.TotalSeconds:F0}s{state}");
    }
}
