namespace Conveyor.Store;

// The worker registry's announcements and commands (the dashboard's workers page, issue 10).

/// <summary>What a worker announces beyond its identity: the task types it runs and what it runs now.</summary>
public sealed partial record WorkerInfo
{
    /// <summary>The handler types (task <c>type</c> names) the worker runs.</summary>
    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>The tasks its slots run now, with their type and start time.</summary>
    public IReadOnlyList<RunningTask> Running { get; init; } = [];
}

/// <summary>A task a worker runs now. The queue lets the store find the task's cancel flag in one slot (Redis Cluster).</summary>
public sealed record RunningTask(string TaskId, string Type, DateTimeOffset StartedAt, string Queue);

/// <summary>The values of <see cref="WorkerInfo.Status"/>: Faktory's three-state life.</summary>
public static class WorkerStatus
{
    /// <summary>Leasing and running.</summary>
    public const string Running = "running";
    /// <summary>Told to be quiet: leases nothing more, finishes what it holds.</summary>
    public const string Quiet = "quiet";
    /// <summary>Stopping: leases nothing more, drains, then leaves the registry.</summary>
    public const string Draining = "draining";

    public static bool IsKnown(string? status) => status is Running or Quiet or Draining;
}

/// <summary>What the broker tells a worker in the answer to its heartbeat. Stop outranks quiet.</summary>
public enum WorkerCommandKind
{
    None = 0,
    /// <summary>Stop leasing; finish what is held.</summary>
    Quiet,
    /// <summary>Drain and exit the process.</summary>
    Stop,
}

/// <summary>Set a command for one worker (WorkerCommand). It stays set until the worker leaves the registry.</summary>
public sealed record WorkerCommandParams(string WorkerId, WorkerCommandKind Command);

public enum WorkerCommandOutcome
{
    /// <summary>Recorded: the worker gets it in the answer to its next heartbeat.</summary>
    Ok,
    /// <summary>No such worker in the registry (never heard from, removed, or forgotten after <see cref="WorkerRegistry.KeepSilent"/>).</summary>
    NotFound,
}

/// <summary>The answer to a worker's heartbeat.</summary>
/// <param name="Command">The command set for this worker (None when there is none).</param>
/// <param name="Cancel">Ids among the worker's running tasks that were cancelled while running: fire their handlers' tokens.</param>
public sealed record WorkerHeartbeatResult(WorkerCommandKind Command, IReadOnlyList<string> Cancel)
{
    public static WorkerHeartbeatResult None { get; } = new(WorkerCommandKind.None, []);
}

/// <summary>The registry: live workers, and those that went silent (heard from within <see cref="WorkerRegistry.KeepSilent"/>).</summary>
public sealed record WorkerListResult(IReadOnlyList<WorkerInfo> Live, IReadOnlyList<WorkerInfo> Silent);

/// <summary>A task type live workers announce, with how many of them run it.</summary>
public sealed record TaskTypeInfo(string Name, int Workers);

public static class WorkerRegistry
{
    /// <summary>A silent worker is listed (as silent) this long after its last heartbeat, then forgotten.</summary>
    public static readonly TimeSpan KeepSilent = TimeSpan.FromHours(1);

    /// <summary>At most this many entries in an announcement's types and running lists.</summary>
    public const int MaxAnnounced = 10_000;
}
