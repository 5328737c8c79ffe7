using System.Globalization;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// A corrupted SQLite file (one flipped byte in the first page of the tasks table's b-tree): a real
/// <c>conveyor server</c> refuses it at open (exit code, one line naming the file, never "running"),
/// and the copy taken before the flip (the backup an operator restores) serves every acknowledged task.
/// </summary>
public sealed class SqliteCorruptionTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task A_flipped_byte_in_a_page_is_refused_at_open_with_one_line_naming_the_file_and_the_backup_serves_everything()
    {
        var (port, url) = FaultSupport.Loopback();
        var db = _env.DatabasePath;
        var executions = FaultSupport.ExecutionLog(_env);
        var log = new SubmissionLog();
        await using (var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port, "--store", db))
        {
            await server.WaitForOutput("Conveyor is running");
            var (client, http) = TestEnvironment.Client(url);
            using var disposeHttp = http;
            for (var i = 0; i < 10; i++) Assert.True(await log.SubmitMany(client, FaultSupport.Noops(50, 200)), log.LastProblem?.Message);
            server.Terminate(); // a clean stop checkpoints the WAL into the file
            Assert.Equal(0, await server.WaitForExit(TimeSpan.FromSeconds(30)));
        }
        Assert.False(File.Exists(db + "-wal") && new FileInfo(db + "-wal").Length > 0, "the WAL was not checkpointed at stop");
        var backup = db + ".backup";
        File.Copy(db, backup);

        var (offset, page) = FirstByteOfTasksRootPage(db);
        var bytes = File.ReadAllBytes(db);
        bytes[offset] ^= 0xFF;
        File.WriteAllBytes(db, bytes);
        output.WriteLine($"flipped the byte at offset {offset} (page {page}, the tasks table's root)");

        var (exit, text) = await ConveyorProcess.Run(_env.Directory, "server", "--port", port, "--store", db);
        output.WriteLine($"conveyor server on the corrupted file: exit {exit}: {text.Trim()}");
        Assert.NotEqual(0, exit);
        Assert.DoesNotContain("Conveyor is running", text, StringComparison.Ordinal);
        var line = Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains(Path.GetFullPath(db), line, StringComparison.Ordinal);
        Assert.Contains("corrupt", line, StringComparison.Ordinal);
        // Refused before anything was written: the file is byte for byte what was corrupted.
        Assert.Equal(bytes, File.ReadAllBytes(db));

        // The operator restores the backup: every acknowledged task is there and runs.
        File.Move(backup, db, overwrite: true);
        await using var restored = await FaultSupport.StartBroker(_env, port, db);
        await using var worker = FaultSupport.StartWorker(_env, executions, "--broker", url, "--concurrency", "8");
        var (client2, http2) = TestEnvironment.Client(url);
        using var disposeHttp2 = http2;
        await FaultSupport.WaitAllDone(client2, TimeSpan.FromSeconds(60));
        var report = await Histories.Check(client2, log, executions);
        output.WriteLine($"sqlite corrupted file (refused), backup restored: {report}");
        report.AssertSafe();
        Assert.Equal(500, report.Acknowledged);
    }

    /// <summary>The file offset of the page-type byte of the tasks table's root page (its b-tree header).</summary>
    private static (long Offset, long Page) FirstByteOfTasksRootPage(string db)
    {
        long page, pageSize;
        using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = 'tasks'";
            page = Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
            cmd.CommandText = "PRAGMA page_size";
            pageSize = Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        Assert.True(page > 1, "the tasks table has a root page");
        return ((page - 1) * pageSize, page);
    }

    public void Dispose() => _env.Dispose();
}
