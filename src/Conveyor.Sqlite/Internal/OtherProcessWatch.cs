using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Conveyor.Sqlite.Internal;

/// <summary>
/// Wakes this process's blocked leasers and waiters when ANOTHER process commits to the same file (a
/// <c>conveyor server</c> and a <c>conveyor worker --store conveyor.db</c> beside it: the seeds' shape),
/// where the in-process <see cref="Signals"/> cannot reach. Every commit appends frames to the
/// <c>-wal</c> file, which the kernel reports at once (inotify, through <see cref="FileSystemWatcher"/>);
/// the watch then asks <c>PRAGMA data_version</c> on its own connection (it changes when any other
/// connection committed) and, when it moved, wakes everyone blocked here. Nothing runs while nobody is
/// blocked, and nothing polls fast: where the file cannot be watched (no inotify) data_version is read
/// every <see cref="SafetyInterval"/> instead, and where it can, every <see cref="WatchedSafetyInterval"/>
/// in case an event was lost (an overflowing inotify queue). data_version is read on the writer's own
/// connection (<see cref="WriteLoop.OthersDataVersion"/>), where this process's own commits do not move
/// it: a busy broker's commits fire events, but wake none of its blocked leasers or waiters.
/// </summary>
internal sealed class OtherProcessWatch : IDisposable
{
    /// <summary>How often data_version is read anyway: where the file cannot be watched, and (rarely) where it can, in case an event was lost.</summary>
    public static readonly TimeSpan SafetyInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan WatchedSafetyInterval = TimeSpan.FromSeconds(15);

    private readonly Signals signals;
    private readonly Func<long> othersVersion;
    private readonly FileSystemWatcher? watcher;
    private readonly ITimer timer;
    private readonly Lock gate = new();
    private long lastVersion;
    private readonly TimeProvider time;
    private int checkQueued;
    private int eventSeen;
    private int missed;
    private volatile bool disposed;
    private long wakes;

    /// <summary>How many times another process's commit woke everyone blocked here: what the tests count.</summary>
    public long Wakes => Interlocked.Read(ref wakes);

    /// <param name="othersVersion">data_version as moved by other connections only (<see cref="WriteLoop.OthersDataVersion"/>).</param>
    public OtherProcessWatch(Func<long> othersVersion, string path, Signals signals, TimeProvider time, ILogger logger)
    {
        this.signals = signals;
        this.othersVersion = othersVersion;
        lastVersion = othersVersion();
        signals.TaskWaitArmed = OnTaskWaitArmed;
        var full = System.IO.Path.GetFullPath(path);
        try
        {
            watcher = new FileSystemWatcher(System.IO.Path.GetDirectoryName(full)!, System.IO.Path.GetFileName(full) + "-wal")
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName,
                IncludeSubdirectories = false,
            };
            watcher.Changed += OnFileEvent;
            watcher.Created += OnFileEvent;
            watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            watcher?.Dispose();
            watcher = null;
            logger.LogInformation("SQLite {Path}: cannot watch the -wal file ({Reason}); other processes' work is noticed within {Seconds} s", path, e.Message, SafetyInterval.TotalSeconds);
        }
        this.time = time;
        var every = watcher is null ? SafetyInterval : WatchedSafetyInterval;
        timer = time.CreateTimer(_ => Check(), null, every, every);
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        if (NobodyWaits()) return;
        Kick();
    }

    /// <summary>
    /// Events come in bursts (a few per commit): one chain of checks at a time covers them all, and an
    /// event during a chain makes it run once more (eventSeen is set before the chain is claimed, and
    /// looked at again after it is released, so no event falls between the two).
    /// </summary>
    private void Kick()
    {
        Volatile.Write(ref eventSeen, 1);
        if (Interlocked.CompareExchange(ref checkQueued, 1, 0) == 0) _ = Task.Run(CheckChain);
    }

    /// <summary>
    /// True when nobody is blocked here, so an event is let go; it is remembered (<see cref="missed"/>) for
    /// the next <c>TaskWait</c>. A waiter registers, then reads the task on a reader connection, which does
    /// not wait for a commit under way: when that commit's -wal events came while nobody waited (before
    /// the first registration, or in the gap after a wake while the woken waiter registers again), the
    /// read misses it and nothing would wake the waiter until <see cref="WatchedSafetyInterval"/> (the
    /// flaky <c>SqliteOtherProcessTests</c> wait: the lease's commit woke it, the completion's events fell
    /// in the gap). The mark is set before the second look at the waiters, so either that look sees the
    /// new waiter or the waiter sees the mark.
    /// </summary>
    private bool NobodyWaits()
    {
        if (signals.HasWaiters) return false;
        Volatile.Write(ref missed, 1);
        return !signals.HasWaiters;
    }

    /// <summary>A TaskWait registered (before its read): checks for the commits let go while nobody waited, a chain as for an event.</summary>
    private void OnTaskWaitArmed()
    {
        if (Volatile.Read(ref missed) == 1 && Interlocked.Exchange(ref missed, 0) == 1 && !disposed) Kick();
    }

    /// <summary>
    /// A commit's frames reach the -wal (the event) before its fsync and the wal-index update that moves
    /// data_version, so a check that finds no change looks again every millisecond for 10 ms (an fsync's
    /// usual time), then less and less often for about 2 s in all (a slow disk under load): a commit is
    /// seen within a millisecond or two of its end.
    /// </summary>
    private async Task CheckChain()
    {
        while (true)
        {
            do
            {
                Volatile.Write(ref eventSeen, 0);
                foreach (var ms in RecheckDelays)
                {
                    if (ms > 0) await Task.Delay(TimeSpan.FromMilliseconds(ms), time).ConfigureAwait(false);
                    if (Check()) break;
                }
            }
            while (Volatile.Read(ref eventSeen) == 1 && !disposed);
            Volatile.Write(ref checkQueued, 0);
            if (disposed || Volatile.Read(ref eventSeen) == 0 || Interlocked.CompareExchange(ref checkQueued, 1, 0) != 0) return;
        }
    }

    private static readonly int[] RecheckDelays = [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000];

    /// <summary>True when there is nothing more to look for (a change was seen and woken, or nobody waits).</summary>
    private bool Check()
    {
        if (disposed || NobodyWaits()) return true;
        long version;
        lock (gate)
        {
            if (disposed) return true;
            try { version = othersVersion(); }
            catch (SqliteException) { return false; } // busy or closing: look again
            catch (ObjectDisposedException) { return true; } // the store is closing
            if (version == lastVersion) return false;
            lastVersion = version;
        }
        Interlocked.Increment(ref wakes);
        signals.WakeAll();
        return true;
    }

    public void Dispose()
    {
        disposed = true;
        signals.TaskWaitArmed = null;
        timer.Dispose();
        watcher?.Dispose();
        lock (gate) { } // a check under way ends before the writer (whose connection it reads) is disposed
    }
}
