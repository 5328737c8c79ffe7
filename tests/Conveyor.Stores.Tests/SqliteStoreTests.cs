using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

/// <summary>What only the SQLite store promises: the file, its pragmas, its schema version, its writer.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-sqlite-");
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    private string DbPath => Path.Combine(dir.FullName, "store.db");

    public void Dispose() => dir.Delete(recursive: true);

    private SqliteTaskStore Open(SqliteSynchronous sync = SqliteSynchronous.Full) =>
        new(new SqliteStoreOptions { Path = DbPath, Synchronous = sync }, time);

    private TaskRecord NewTask(string? key = null) =>
        TaskValidator.Build(new TaskSubmission { Type = "sqlite.test", IdempotencyKey = key }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);

    [Fact]
    public async Task Data_survives_close_and_reopen()
    {
        TaskRecord pending, done;
        await using (var store = Open())
        {
            var results = await store.TaskEnqueueMany([NewTask(), NewTask(key: "k")]);
            (done, pending) = (results[0].Task, results[1].Task);
            var l = Assert.Single(await store.TaskLease(new TaskLeaseParams("w", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
            Assert.Equal(done.Id, l.Task.Id);
            await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)]);
            await store.QueuePause("default");
        }
        await using (var reopened = Open())
        {
            Assert.Equal(TaskState.Succeeded, (await reopened.TaskGet(done.Id))!.State);
            Assert.Equal(TaskState.Pending, (await reopened.TaskGet(pending.Id))!.State);
            Assert.True(Assert.Single(await reopened.QueueList()).Paused);
            // The idempotency key and the FIFO sequence live in the file too.
            var again = await reopened.TaskEnqueueMany([NewTask(key: "k")]);
            Assert.False(again[0].Created);
            await reopened.QueueResume("default");
            await reopened.TaskEnqueueMany([NewTask()]);
            var next = Assert.Single(await reopened.TaskLease(new TaskLeaseParams("w", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
            Assert.Equal(pending.Id, next.Task.Id);
        }
    }

    [Fact]
    public async Task File_runs_in_wal_mode_with_synchronous_full_by_default()
    {
        await using (var store = Open())
        {
            Assert.Equal("wal", await store.WriterPragma("journal_mode"));
            Assert.Equal(2L, await store.WriterPragma("synchronous"));
        }
        await using (var normal = Open(SqliteSynchronous.Normal))
            Assert.Equal(1L, await normal.WriterPragma("synchronous"));
        Assert.Equal(SqliteSynchronous.Full, new SqliteStoreOptions().Synchronous);
    }

    [Fact]
    public async Task Migration_2_moves_a_running_attempt_out_of_the_history_and_it_is_written_once_when_it_ends()
    {
        // A database as version 1 wrote it: a running task whose history ends with its "running" entry.
        var started = new DateTimeOffset(2030, 1, 2, 3, 0, 5, TimeSpan.Zero);
        using (var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString()))
        {
            raw.Open();
            void Exec(string sql)
            {
                using var cmd = raw.CreateCommand();
                cmd.CommandText = sql;
                cmd.ExecuteNonQuery();
            }
            Exec(Conveyor.Sqlite.Internal.SqlText.Migrations()[0].Sql);
            Exec("PRAGMA user_version = 1;");
            using var insert = raw.CreateCommand();
            insert.CommandText = """
                INSERT INTO tasks (id, seq, type, queue, state, priority, args, attempt, max_attempts, backoff, timeout, attempts,
                                   created_at, scheduled_for, started_at, worker_id, lease_token, lease_deadline)
                VALUES ('t1', 1, 'sqlite.test', 'default', 'running', 0, '{}', 2, 5, $backoff, $timeout, $attempts,
                        $started, $started, $started, 'w2', 'tok', $deadline);
                """;
            insert.Parameters.AddWithValue("$backoff", """{"kind":"exponential","base":1,"factor":2,"cap":3600}""");
            insert.Parameters.AddWithValue("$timeout", TimeSpan.FromMinutes(1).Ticks);
            insert.Parameters.AddWithValue("$attempts", """
                [{"number":1,"worker_id":"w1","started_at":"2030-01-02T03:00:00.0000000+00:00","outcome":"failed","finished_at":"2030-01-02T03:00:01.0000000+00:00"},
                 {"number":2,"worker_id":"w2","started_at":"2030-01-02T03:00:05.0000000+00:00","outcome":"running"}]
                """);
            insert.Parameters.AddWithValue("$started", started.UtcTicks);
            insert.Parameters.AddWithValue("$deadline", started.AddMinutes(5).UtcTicks);
            insert.ExecuteNonQuery();
        }
        await using var store = Open();
        Assert.Equal(LatestSchema, await store.WriterPragma("user_version")); // migrated on, past 2
        var running = (await store.TaskGet("t1"))!;
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Running], running.Attempts.Select(a => a.Outcome));
        // Migration 3 counted the tasks already there into queue_counts.
        Assert.Equal(1, Assert.Single(await store.QueueList()).Running);
        Assert.Equal((2, "w2", started), (running.Attempts[1].Number, running.Attempts[1].WorkerId, running.Attempts[1].StartedAt));

        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new("t1", "tok", null)])).Outcome);
        var done = (await store.TaskGet("t1"))!;
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Succeeded], done.Attempts.Select(a => a.Outcome));
        Assert.Equal((0L, 1L), (await store.QueueList()) is [var q] ? (q.Running, q.Succeeded) : default);
        Assert.Equal((2, "w2", started, time.GetUtcNow()),
            (done.Attempts[1].Number, done.Attempts[1].WorkerId, done.Attempts[1].StartedAt, done.Attempts[1].FinishedAt));
    }

    /// <summary>The newest embedded migration's number (the schema version a fresh or upgraded file has).</summary>
    private static long LatestSchema => Conveyor.Sqlite.Internal.SqlText.Migrations()[^1].Version;

    [Fact]
    public async Task Schema_version_is_recorded_in_user_version()
    {
        await using (var store = Open()) Assert.Equal(LatestSchema, await store.WriterPragma("user_version"));
        using var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        raw.Open();
        using (var cmd = raw.CreateCommand())
        {
            cmd.CommandText = "PRAGMA user_version = 99;";
            cmd.ExecuteNonQuery();
        }
        raw.Close();
        var ex = Assert.Throws<InvalidOperationException>(() => Open());
        Assert.Contains("99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Memory_stores_are_private_to_each_instance()
    {
        await using var a = new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, time);
        await using var b = new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, time);
        var task = (await a.TaskEnqueueMany([NewTask()]))[0].Task;
        Assert.NotNull(await a.TaskGet(task.Id));
        Assert.Null(await b.TaskGet(task.Id));
    }

    [Fact]
    public async Task Memory_store_reads_see_only_committed_states_while_the_writer_is_busy()
    {
        // In memory, readers share the writer's cache and read uncommitted pages; without the gate a
        // queue count read mid-transaction saw half-moved index entries (a NULL queue name).
        await using var store = new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, time);
        const int n = 3000;
        await store.TaskEnqueueMany(Enumerable.Range(0, n).Select(_ => NewTask()).ToList());
        using var stop = new CancellationTokenSource();
        var work = Task.Run(async () =>
        {
            while (true)
            {
                var leased = await store.TaskLease(new TaskLeaseParams("w", ["default"], 50, TimeSpan.FromSeconds(30), TimeSpan.Zero));
                if (leased.Count == 0) return;
                await store.TaskCompleteMany(leased.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null)).ToList());
            }
        });
        var reads = 0;
        while (!work.IsCompleted)
        {
            var q = Assert.Single(await store.QueueList());
            Assert.Equal("default", q.Name);
            Assert.Equal(n, q.Pending + q.Running + q.Succeeded); // every task in exactly one state
            reads++;
        }
        await work;
        Assert.True(reads > 10, $"only {reads} reads overlapped the writes");
        Assert.Equal(n, Assert.Single(await store.QueueList()).Succeeded);
    }

    [Fact]
    public async Task A_failing_operation_is_rolled_back_alone_and_stores_nothing()
    {
        await using var store = Open();
        var existing = NewTask();
        await store.TaskEnqueueMany([existing]);
        var fresh = NewTask();
        // The same id twice violates the schema: that whole call fails, concurrent calls still commit.
        var bad = store.TaskEnqueueMany([fresh, existing]).AsTask();
        var good = store.TaskEnqueueMany([NewTask()]).AsTask();
        await Assert.ThrowsAsync<SqliteException>(() => bad);
        var stored = Assert.Single(await good).Task;
        Assert.Null(await store.TaskGet(fresh.Id));
        Assert.NotNull(await store.TaskGet(stored.Id));
        Assert.Equal(2, (await store.TaskList(new TaskListParams())).Items.Count);
    }

    [Fact]
    public async Task Writes_queued_while_the_writer_is_busy_commit_together_in_one_batch()
    {
        await using var store = Open();
        using var hold = new ManualResetEventSlim();
        var busy = store.RunOnWriter(() => hold.Wait(TimeSpan.FromSeconds(30)));
        var before = store.WriterBatches;
        var writes = Enumerable.Range(0, 50).Select(_ => store.TaskEnqueueMany([NewTask()]).AsTask()).ToArray();
        await Task.Delay(100);
        Assert.All(writes, w => Assert.False(w.IsCompleted));
        hold.Set();
        Assert.True(await busy);
        var results = await Task.WhenAll(writes);
        // The held batch, then the 50 enqueues in one more transaction (one fsync).
        Assert.InRange(store.WriterBatches - before, 1, 2);
        foreach (var r in results) Assert.NotNull(await store.TaskGet(r[0].Task.Id));
        Assert.Equal(50, Assert.Single(await store.QueueList()).Pending);
    }

    [Fact]
    public async Task Dispose_ends_blocked_leases_with_nothing()
    {
        var store = Open();
        var waiting = store.TaskLease(new TaskLeaseParams("w", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30))).AsTask();
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        await store.DisposeAsync();
        Assert.Empty(await waiting.WaitAsync(TimeSpan.FromSeconds(15)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.TaskEnqueueMany([NewTask()]).AsTask());
    }

    [Fact]
    public async Task MaintenanceRun_forgets_idempotency_keys_past_the_window()
    {
        await using (var store = Open())
        {
            await store.TaskEnqueueMany([NewTask(key: "old")]);
            time.Advance(TimeSpan.FromHours(23));
            await store.TaskEnqueueMany([NewTask(key: "young")]);
            time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
            await store.MaintenanceRun(TimeSpan.FromDays(7));
        }
        using var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        raw.Open();
        using var cmd = raw.CreateCommand();
        cmd.CommandText = "SELECT key FROM idempotency_keys;";
        Assert.Equal("young", cmd.ExecuteScalar());
        cmd.CommandText = "SELECT COUNT(*) FROM idempotency_keys;";
        Assert.Equal(1L, cmd.ExecuteScalar());
    }
}
