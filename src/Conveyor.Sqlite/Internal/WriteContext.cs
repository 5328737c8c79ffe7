using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite.Internal;

/// <summary>
/// What a write operation sees while it runs inside the writer's batch transaction: the writer
/// connection with its prepared commands, the clock, the FIFO sequence, and the effects (events,
/// queue wake-ups) that are published only after the batch commits.
/// </summary>
internal sealed class WriteContext(SqliteConnection connection, TimeProvider time, SqliteStoreOptions options) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> commands = new(StringComparer.Ordinal);
    private long seq;
    private long seqAtBegin;

    public SqliteConnection Connection { get; } = connection;
    public TimeProvider Time { get; } = time;
    public SqliteStoreOptions Options { get; } = options;
    public List<TaskEvent> Events { get; } = [];
    public List<string> WakeQueues { get; } = [];

    public DateTimeOffset Now() => Time.GetUtcNow();

    /// <summary>A prepared command for the named query of <c>Sql/</c>, created once and reused.</summary>
    public SqliteCommand Command(string name)
    {
        if (!commands.TryGetValue(name, out var cmd))
        {
            cmd = Connection.CreateCommand();
            cmd.CommandText = SqlText.Get(name);
            commands[name] = cmd;
        }
        return cmd;
    }

    /// <summary>The next FIFO position: handed out whenever a task becomes ready (pending).</summary>
    public long NextSeq() => ++seq;

    /// <summary>Reserves <paramref name="count"/> positions; returns the one before the first.</summary>
    public long ReserveSeq(long count)
    {
        var before = seq;
        seq += count;
        return before;
    }

    public void Event(TaskRecord t, TaskState state, DateTimeOffset at) => Events.Add(new TaskEvent(t.Id, t.Queue, t.Type, state, at));

    public void Event(string id, string queue, string type, TaskState state, DateTimeOffset at) => Events.Add(new TaskEvent(id, queue, type, state, at));

    public void Wake(string queue) => WakeQueues.Add(queue);

    /// <summary>
    /// limits: when a running task that held limit slots leaves running (the schema trigger
    /// limits_release of migration 15 gives the slots back), this connection's TEMP triggers call
    /// conveyor_limit_freed(queue): the queue's blocked leasers are woken after the commit, as for new work.
    /// </summary>
    internal WriteContext HookLimits()
    {
        Connection.CreateFunction<string, long>("conveyor_limit_freed", q => { Wake(q); return 1; });
        Connections.Exec(Connection, SqlText.Get("TaskLease.WakeTriggers"));
        return this;
    }

    /// <summary>
    /// Runs a statement that makes tasks pending with fresh FIFO positions from <c>$seq</c> (promote due,
    /// redrive) and returns <c>id, queue, type</c> of each: records an event per task, wakes its queue's
    /// leasers when asked, and reserves the positions used. Returns how many tasks moved.
    /// </summary>
    public int MakePending(SqliteCommand cmd, DateTimeOffset now, bool wake)
    {
        cmd.Set("$seq", ReserveSeq(0));
        var moved = 0;
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                moved++;
                var queue = reader.GetString(1);
                Event(reader.GetString(0), queue, reader.GetString(2), TaskState.Pending, now);
                if (wake) Wake(queue);
            }
        }
        ReserveSeq(moved);
        return moved;
    }

    internal (int Events, int Wakes) Mark() => (Events.Count, WakeQueues.Count);

    internal void Undo((int Events, int Wakes) mark)
    {
        Events.RemoveRange(mark.Events, Events.Count - mark.Events);
        WakeQueues.RemoveRange(mark.Wakes, WakeQueues.Count - mark.Wakes);
    }

    /// <summary>Opens the batch transaction; the sequence is read from the file so several processes agree on it.</summary>
    internal void Begin()
    {
        Exec("WriterBatch.Begin");
        seq = seqAtBegin = Convert.ToInt64(Command("WriterBatch.SeqRead").ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    internal void Commit()
    {
        if (seq != seqAtBegin)
        {
            var cmd = Command("WriterBatch.SeqWrite");
            cmd.Set("$seq", seq);
            cmd.ExecuteNonQuery();
        }
        Exec("WriterBatch.Commit");
    }

    internal void Exec(string name) => Command(name).ExecuteNonQuery();

    public void Dispose()
    {
        foreach (var c in commands.Values) c.Dispose();
        commands.Clear();
    }
}
