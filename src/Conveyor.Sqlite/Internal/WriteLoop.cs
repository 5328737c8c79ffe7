using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Conveyor.Sqlite.Internal;

/// <summary>One queued write: runs inside the batch transaction, answered only after the commit.</summary>
internal abstract class WriteOp
{
    public abstract void Execute(WriteContext ctx);
    public abstract void Succeed();
    public abstract void Fail(Exception error);
}

internal sealed class WriteOp<T>(Func<WriteContext, T> body) : WriteOp
{
    private readonly TaskCompletionSource<T> done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? result;

    public Task<T> Task => done.Task;
    public override void Execute(WriteContext ctx) => result = body(ctx);
    public override void Succeed() => done.TrySetResult(result!);
    public override void Fail(Exception error) => done.TrySetException(error);
}

/// <summary>
/// The single writer (DESIGN §4): every change goes through this loop, on one connection. It drains
/// whatever is queued, runs it all in ONE transaction (one fsync with synchronous=FULL), and only then
/// answers each operation: a caller is told "done" once its change is durable (group commit). One
/// writer also means two leasers can never take the same task.
/// </summary>
internal sealed class WriteLoop : IAsyncDisposable
{
    private readonly Channel<WriteOp> channel = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly WriteContext ctx;
    private readonly Signals signals;
    private readonly int maxBatch;
    private readonly Lock? memoryGate;
    private readonly DiskFull diskFull;
    private readonly Task loop;
    private long batches;

    /// <summary>How many transactions the writer has committed (one per group of operations).</summary>
    public long Batches => Interlocked.Read(ref batches);

    /// <param name="memoryGate">An in-memory database's read/write gate (<see cref="Connections.MemoryGate"/>), held for each transaction.</param>
    public WriteLoop(WriteContext ctx, Signals signals, DiskFull diskFull, Lock? memoryGate = null)
    {
        this.ctx = ctx;
        this.diskFull = diskFull;
        this.signals = signals;
        this.memoryGate = memoryGate;
        maxBatch = ctx.Options.MaxBatchOperations;
        loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public Task<T> Enqueue<T>(Func<WriteContext, T> body)
    {
        var op = new WriteOp<T>(body);
        if (!channel.Writer.TryWrite(op)) throw new ObjectDisposedException(nameof(SqliteTaskStore));
        return op.Task;
    }

    private async Task Run()
    {
        var done = new List<WriteOp>(maxBatch);
        var reader = channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            RunBatch(reader, done);
            done.Clear();
        }
    }

    private void RunBatch(ChannelReader<WriteOp> reader, List<WriteOp> done)
    {
        bool committed;
        lock (connectionGate) // sqlperf: OthersDataVersion reads this connection between batches
        {
            if (memoryGate is null) committed = Transact(reader, done);
            else lock (memoryGate) committed = Transact(reader, done);
        }
        if (!committed) return;
        // Durable now: wake leasers and waiters, broadcast, then answer the callers.
        var wake = new HashSet<string>(ctx.WakeQueues, StringComparer.Ordinal);
        var events = new List<Conveyor.Store.TaskEvent>(ctx.Events);
        ctx.Undo((0, 0));
        signals.Publish(events, wake);
        foreach (var op in done) op.Succeed();
    }

    /// <summary>One transaction: as many queued operations as fit, each in its savepoint. False when nothing committed.</summary>
    private bool Transact(ChannelReader<WriteOp> reader, List<WriteOp> done)
    {
        if (failed is not null)
        {
            // Failed closed (a sync failed): refuse before touching the file, so nothing is acknowledged past it.
            var refused = new Conveyor.Store.StoreFailedException($"{failed} Nothing of this request was stored.", outcomeUnknown: false);
            for (var n = 0; n < maxBatch && reader.TryRead(out var op); n++) op.Fail(refused);
            return false;
        }
        try
        {
            ctx.Begin();
        }
        catch (Exception ex)
        {
            // Fail what is queued now; later arrivals get a fresh attempt at the next batch.
            var error = LockedElsewhere(ex) ?? diskFull.Translate(ex);
            for (var n = 0; n < maxBatch && reader.TryRead(out var op); n++) op.Fail(error);
            return false;
        }
        // Late joiners: keep taking operations until the channel is empty (or the batch is full), and only
        // then commit. Whatever arrives while earlier operations run still makes this fsync. This is what
        // puts a worker's CompleteMany and its next TaskLease, sent a few microseconds apart, into ONE
        // commit instead of two (measured on W1: 1.2–1.6 operations per commit before, 1.8–1.95 after).
        // No timer and no wait: an operation that arrives alone is committed at once.
        var changesBefore = diskFull.IsOpen ? SQLitePCL.raw.sqlite3_total_changes(ctx.Connection.Handle) : 0;
        var taken = 0;
        while (taken < maxBatch && reader.TryRead(out var op))
        {
            taken++;
            var mark = ctx.Mark();
            try
            {
                ctx.Exec("WriterBatch.Savepoint");
                op.Execute(ctx);
                ctx.Exec("WriterBatch.Release");
                done.Add(op);
            }
            catch (Exception ex)
            {
                // Only this operation is undone; the rest of the batch still commits.
                try { ctx.Exec("WriterBatch.Undo"); ctx.Exec("WriterBatch.Release"); }
                catch (SqliteException) { /* the commit below reports a broken transaction */ }
                ctx.Undo(mark);
                op.Fail(diskFull.Translate(ex));
            }
        }
        try
        {
            ctx.Commit();
        }
        catch (Exception ex)
        {
            try { ctx.Exec("WriterBatch.Rollback"); } catch (SqliteException) { /* already rolled back */ }
            ctx.Undo((0, 0));
            var error = FailClosedOnIoError(ex) ?? diskFull.Translate(ex);
            foreach (var op in done) op.Fail(error);
            return false;
        }
        Interlocked.Increment(ref batches);
        // Only a commit that wrote rows proves there is room again (an empty one writes no page).
        if (diskFull.IsOpen && SQLitePCL.raw.sqlite3_total_changes(ctx.Connection.Handle) > changesBefore) diskFull.LeaveIfRoom();
        return true;
    }

    // debt: another process holding the write lock past the busy timeout is the store not answering
    // (nothing of the batch was begun, so nothing stored: 503, retried by workers and maintenance).
    private Conveyor.Store.StoreUnreachableException? LockedElsewhere(Exception ex) =>
        ex is SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED }
            ? new(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the SQLite file {ctx.Options.Path} is locked by another process past the busy timeout ({ctx.Options.BusyTimeout.TotalSeconds:0.###} s)"), outcomeUnknown: false, ex)
            : null;

    // sqlperf: the other-process watch's filter (OtherProcessWatch).
    private readonly Lock connectionGate = new();

    /// <summary>
    /// <c>PRAGMA data_version</c> on the writer's own connection, read between batches: it moves only
    /// when ANOTHER connection committed, never for this writer's commits, so the other-process watch
    /// wakes nobody for this process's own writes.
    /// </summary>
    public long OthersDataVersion()
    {
        lock (connectionGate) return Convert.ToInt64(Connections.Scalar(ctx.Connection, "PRAGMA data_version;"), System.Globalization.CultureInfo.InvariantCulture);
    }

    private volatile string? failed;

    /// <summary>Set once a commit met an I/O error (a failed fsync): why the store refuses every write since.</summary>
    public string? Failed => failed;

    /// <summary>
    /// SQLITE_IOERR at commit (a failed fsync or write): after a failed fsync the kernel may have dropped
    /// the dirty pages and a later fsync may "succeed" without them, so nothing after it can be promised
    /// durable. The store fails closed: one error line, the batch answered "outcome unknown", every later
    /// write refused until a restart (which recovers the file from what reached the disk).
    /// </summary>
    private Exception? FailClosedOnIoError(Exception ex)
    {
        if (ex is not SqliteException { SqliteErrorCode: 10 } io) return null;
        if (failed is null)
        {
            failed = $"the SQLite store {ctx.Options.Path} failed closed: a commit's sync to disk failed ({io.Message}, extended code {io.SqliteExtendedErrorCode}); it acknowledges no write until Conveyor is restarted.";
            ctx.Options.LoggerFactory?.CreateLogger("Conveyor.Sqlite").LogError("{Failed}", failed);
        }
        return new Conveyor.Store.StoreFailedException($"{failed} This request may or may not have been stored.", outcomeUnknown: true, ex);
    }

    public async ValueTask DisposeAsync()
    {
        channel.Writer.TryComplete();
        await loop.ConfigureAwait(false);
        ctx.Dispose();
    }
}
