using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// A real <c>conveyor</c> process (the built conveyor.dll run by <c>dotnet</c>), with its output kept
/// for assertions and diagnostics. <see cref="Kill9"/> is SIGKILL: no cleanup, no drain.
/// </summary>
public sealed class ConveyorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly object _gate = new();
    private int _disposed;

    private ConveyorProcess(Process process) => _process = process;

    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "conveyor.dll");

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output { get { lock (_gate) return _output.ToString(); } }

    public static ConveyorProcess Start(string workingDirectory, params string[] args) => Start(workingDirectory, null, args);

    public static ConveyorProcess Start(string workingDirectory, IDictionary<string, string>? env, params string[] args) =>
        StartWrapped([], workingDirectory, env, args);

    /// <summary>
    /// Starts conveyor under a wrapper that execs it (<c>ip netns exec NAME</c>, <c>faketime +30s</c>), so
    /// <see cref="Pid"/> is still conveyor's own once the wrapper has exec'd.
    /// </summary>
    public static ConveyorProcess StartWrapped(string[] wrapper, string workingDirectory, IDictionary<string, string>? env, params string[] args)
    {
        if (!File.Exists(DllPath)) throw new InvalidOperationException($"conveyor.dll is not next to the tests at {DllPath}");
        var psi = new ProcessStartInfo(wrapper.Length > 0 ? wrapper[0] : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (wrapper.Length > 0)
        {
            foreach (var w in wrapper.Skip(1)) psi.ArgumentList.Add(w);
            psi.ArgumentList.Add("dotnet");
        }
        psi.ArgumentList.Add(DllPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment.Remove("CONVEYOR_TOKENS");
        psi.Environment.Remove("CONVEYOR_TOKEN");
        psi.Environment.Remove("CONVEYOR_BROKER");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var cp = new ConveyorProcess(p);
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (cp._gate) cp._output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (cp._gate) cp._output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return cp;
    }

    /// <summary>Runs a command to completion; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> Run(string workingDirectory, params string[] args)
    {
        await using var p = Start(workingDirectory, args);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p._process.WaitForExitAsync(cts.Token);
        p._process.WaitForExit(); // flush the async output readers
        return (p.ExitCode, p.Output);
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; fails with the output when it does not.</summary>
    public async Task WaitForOutput(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Contains(text, StringComparison.Ordinal)) return;
            if (_process.HasExited)
                throw new InvalidOperationException($"conveyor exited ({_process.ExitCode}) before printing '{text}':\n{Output}");
            await Task.Delay(50);
        }
        throw new TimeoutException($"conveyor did not print '{text}' in time:\n{Output}");
    }

    public void Kill9()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: false); // SIGKILL on Unix
        _process.WaitForExit();
    }

    /// <summary>SIGTERM: the graceful stop a service manager sends.</summary>
    public void Terminate()
    {
        if (!_process.HasExited) _ = SysKill(_process.Id, 15);
    }

    /// <summary>SIGSTOP: the process freezes (as under a long GC pause, a VM stall or a debugger) until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        if (!_process.HasExited) _ = SysKill(_process.Id, 19);
    }

    /// <summary>SIGCONT: a paused process carries on where it stopped.</summary>
    public void Resume()
    {
        if (!_process.HasExited) _ = SysKill(_process.Id, 18);
    }

    public async Task<int> WaitForExit(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!_process.HasExited)
        {
            Resume(); // a paused process is still killable, but let it not linger stopped if the kill races
            Kill9();
        }
        await Task.CompletedTask;
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
}
