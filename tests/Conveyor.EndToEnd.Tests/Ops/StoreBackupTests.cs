using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Conveyor.EndToEnd.Tests.Ops;

/// <summary>
/// <c>conveyor store backup</c> copies a SQLite file while a real <c>conveyor server</c> keeps writing
/// to it: submitters run before, during and after the backup, and the copy (opened on its own, as a
/// restore would) holds every task acknowledged before the backup started, and passes SQLite's
/// integrity check. A Redis store gets one line pointing to RDB/AOF and a non-zero exit. About 10 s.
/// </summary>
[Collection(nameof(StoreBackupTests))]
public sealed class StoreBackupTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public async Task A_backup_taken_while_the_server_writes_holds_every_task_acknowledged_before_it()
    {
        var port = TestEnvironment.FreePort();
        await using var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath);
        await server.WaitForOutput("Conveyor is running", TimeSpan.FromSeconds(60));
        var (_, http) = TestEnvironment.Client($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var acknowledged = new ConcurrentQueue<(DateTime At, string Id)>();
        using var stop = new CancellationTokenSource();
        var submitters = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            // Bounded: at most 3000 submissions per submitter, or until told to stop.
            for (var i = 0; i < 3000 && !stop.IsCancellationRequested; i++)
            {
                var response = await http.PostAsJsonAsync("api/v1/tasks", new { type = "noop", queue = "backup" });
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                acknowledged.Enqueue((DateTime.UtcNow, doc.RootElement.GetProperty("id").GetString()!));
            }
        })).ToList();
        using (http)
        {
            while (acknowledged.Count < 300) await Task.Delay(20);
            var copy = Path.Combine(_env.Directory, "backup.db");
            var backupStarted = DateTime.UtcNow;
            var (code, output) = await ConveyorProcess.Run(_env.Directory, "store", "backup", "--store", _env.DatabasePath, "--to", copy);
            Assert.True(code == 0, output);
            Assert.Contains("backed up", output, StringComparison.Ordinal);
            // Writes went on during the backup, and after it.
            var countAfterBackup = acknowledged.Count;
            while (acknowledged.Count < countAfterBackup + 100) await Task.Delay(20);
            await stop.CancelAsync();
            await Task.WhenAll(submitters);

            var before = acknowledged.Where(a => a.At < backupStarted).Select(a => a.Id).ToList();
            Assert.True(before.Count >= 300);
            var inCopy = new HashSet<string>(StringComparer.Ordinal);
            using (var db = new SqliteConnection($"Data Source={copy};Mode=ReadOnly;Pooling=False"))
            {
                db.Open();
                using (var check = db.CreateCommand())
                {
                    check.CommandText = "PRAGMA integrity_check;";
                    Assert.Equal("ok", check.ExecuteScalar() as string);
                }
                using var cmd = db.CreateCommand();
                cmd.CommandText = "SELECT id FROM tasks;";
                using var reader = cmd.ExecuteReader();
                while (reader.Read()) inCopy.Add(reader.GetString(0));
            }
            var missing = before.Where(id => !inCopy.Contains(id)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} of {before.Count} acknowledged tasks are missing from the backup");
            Assert.False(File.Exists(copy + "-wal"));

            // The copy is a store conveyor opens as it is (a restore): it answers for the tasks.
            var restoredPort = TestEnvironment.FreePort();
            await using var restored = ConveyorProcess.Start(_env.Directory, "server", "--port", restoredPort.ToString(CultureInfo.InvariantCulture), "--store", copy);
            await restored.WaitForOutput("Conveyor is running", TimeSpan.FromSeconds(60));
            var (_, http2) = TestEnvironment.Client($"http://127.0.0.1:{restoredPort.ToString(CultureInfo.InvariantCulture)}");
            using (http2)
                Assert.Equal(HttpStatusCode.OK, (await http2.GetAsync($"api/v1/tasks/{before[^1]}")).StatusCode);
        }
    }

    [Fact]
    public async Task A_backup_never_overwrites_and_a_redis_store_is_pointed_to_rdb_and_aof()
    {
        var existing = Path.Combine(_env.Directory, "exists.db");
        await File.WriteAllTextAsync(existing, "keep me");
        await using (var up = ConveyorProcess.Start(_env.Directory, "server", "--port", TestEnvironment.FreePort().ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath))
            await up.WaitForOutput("Conveyor is running", TimeSpan.FromSeconds(60));
        var (code, output) = await ConveyorProcess.Run(_env.Directory, "store", "backup", "--store", _env.DatabasePath, "--to", existing);
        Assert.Equal(2, code);
        Assert.Contains("never overwrites", output, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing));

        (code, output) = await ConveyorProcess.Run(_env.Directory, "store", "backup", "--store", "redis://127.0.0.1:6379", "--to", Path.Combine(_env.Directory, "r.db"));
        Assert.Equal(2, code);
        Assert.Contains("RDB", output, StringComparison.Ordinal);
        Assert.Contains("AOF", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_env.Directory, "r.db")));
    }
}
