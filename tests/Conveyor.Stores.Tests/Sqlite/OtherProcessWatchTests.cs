using Conveyor.Sqlite.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Stores.Tests.Sqlite;

/// <summary>
/// The other-process watch alone, on a real -wal file and real inotify events, with data_version played
/// by a counter: the gap behind the flaky <c>SqliteOtherProcessTests</c> wait. Another process's commit
/// writes its -wal frames while nobody here waits (its events are let go), a TaskWait registers and reads
/// before that commit is visible, then the commit becomes visible: the waiter must be woken then, not
/// after the 15 s safety interval.
/// </summary>
public sealed class OtherProcessWatchTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-sqlite-watch-");

    public void Dispose() => dir.Delete(recursive: true);

    [Fact]
    public async Task A_task_wait_registered_after_a_commits_events_is_woken_when_that_commit_becomes_visible()
    {
        var path = Path.Combine(dir.FullName, "watch.db");
        long version = 1;
        var signals = new Signals();
        using var watch = new OtherProcessWatch(() => Interlocked.Read(ref version), path, signals, TimeProvider.System, NullLogger.Instance);

        // The other process's frames: -wal events while nobody waits here. Half a second lets inotify
        // deliver them first (were they late, the waiter below would be there for them: no false failure).
        await File.WriteAllBytesAsync(path + "-wal", new byte[4096]);
        await Task.Delay(500);
        Assert.Equal(0, watch.Wakes);

        // A TaskWait registers and reads (nothing yet), then the commit becomes visible (data_version moves).
        var finished = signals.TaskFinished("t1");
        Interlocked.Increment(ref version);

        await finished.WaitAsync(TimeSpan.FromSeconds(10)); // the watched safety interval is 15 s
        Assert.Equal(1, watch.Wakes);
        signals.ReleaseTask("t1", finished);
    }
}
