using System.Diagnostics;
using System.Reflection;
using Conveyor.Sqlite;

namespace Conveyor.Stores.Tests;

/// <summary>
/// "A submission is acknowledged only once it is durable" (DESIGN §3): a child process enqueues one
/// task at a time and prints each id after the store acknowledged it; we kill it with SIGKILL mid-stream,
/// reopen the file, and every acknowledged id must be there.
/// </summary>
public sealed class SqliteDurabilityTests : IDisposable
{
    private const int Acknowledged = 300;
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-crash-");

    public void Dispose() => dir.Delete(recursive: true);

    private static string CrasherDll() =>
        typeof(SqliteDurabilityTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CrasherDll").Value!;

    [Fact]
    public async Task Every_acknowledged_enqueue_survives_kill_9()
    {
        var dbPath = Path.Combine(dir.FullName, "crash.db");
        var dll = CrasherDll();
        Assert.True(File.Exists(dll), $"the crasher was not built at {dll}");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add(dbPath);
        using var child = Process.Start(psi) ?? throw new InvalidOperationException("could not start the crasher");
        var ids = new List<string>();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while (ids.Count < Acknowledged)
            {
                var line = await child.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"the crasher exited early: {await child.StandardError.ReadToEndAsync()}");
                ids.Add(line.Trim());
            }
        }
        finally
        {
            child.Kill(entireProcessTree: true); // SIGKILL on Linux: no flush, no dispose, no checkpoint.
            await child.WaitForExitAsync();
        }
        Assert.NotEqual(0, child.ExitCode);

        await using var store = new SqliteTaskStore(new SqliteStoreOptions { Path = dbPath }, TimeProvider.System);
        var missing = new List<string>();
        foreach (var id in ids)
            if (await store.TaskGet(id) is null) missing.Add(id);
        Assert.Empty(missing);
        Assert.Equal(Acknowledged, ids.Distinct().Count());
    }
}
