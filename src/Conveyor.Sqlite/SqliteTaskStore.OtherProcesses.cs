using Conveyor.Sqlite.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Sqlite;

/// <summary>
/// Several processes on one file (issue 15 item 7): a blocked lease or <see cref="TaskWait"/> here is
/// woken within a millisecond or two when another process commits (<see cref="OtherProcessWatch"/>),
/// not when its wait runs out. A file only: <c>:memory:</c> belongs to one process. The watch runs on
/// real time whatever the store's clock: it follows the file system's events, not task time.
/// </summary>
public sealed partial class SqliteTaskStore
{
    private readonly OtherProcessWatch? otherProcesses;

    private OtherProcessWatch? WatchOtherProcesses(Connections connections) =>
        Options.IsInMemory ? null
            : new OtherProcessWatch(writer.OthersDataVersion, Options.Path, signals, TimeProvider.System,
                (Options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Conveyor.Sqlite"));

    /// <summary>Wake-ups caused by other processes' commits (tests: this process's own commits cause none).</summary>
    internal long OtherProcessWakes => otherProcesses?.Wakes ?? 0;
}
