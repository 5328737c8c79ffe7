namespace Conveyor.Redis.Scripts;

/// <summary>The embedded <c>Lua/*.lua</c> files, one per store operation, loaded once per process.</summary>
internal static partial class ScriptCatalog
{
    /// <summary>Lib.lua, split into its helpers (each script gets those it uses). First: the scripts below are built from it.</summary>
    public static readonly LuaPrelude Prelude = new(ReadResource("Lib"));

    public static readonly StoreScript TaskEnqueueMany = Load(nameof(TaskEnqueueMany));
    public static readonly StoreScript TaskLease = Load(nameof(TaskLease));
    public static readonly StoreScript TaskCompleteMany = Load(nameof(TaskCompleteMany));
    public static readonly StoreScript TaskFailMany = Load(nameof(TaskFailMany));
    public static readonly StoreScript LeaseExtendMany = Load(nameof(LeaseExtendMany));
    public static readonly StoreScript TaskReleaseMany = Load(nameof(TaskReleaseMany));
    public static readonly StoreScript TaskCancel = Load(nameof(TaskCancel));
    public static readonly StoreScript TaskList = Load(nameof(TaskList));
    public static readonly StoreScript DeadLetterRedrive = Load(nameof(DeadLetterRedrive));
    public static readonly StoreScript DeadLetterPurge = Load(nameof(DeadLetterPurge));
    public static readonly StoreScript QueuePause = Load(nameof(QueuePause));
    public static readonly StoreScript QueueResume = Load(nameof(QueueResume));
    public static readonly StoreScript QueueCounts = Load(nameof(QueueCounts));
    public static readonly StoreScript MaintenanceRun = Load(nameof(MaintenanceRun));
    public static readonly StoreScript WorkerHeartbeat = Load(nameof(WorkerHeartbeat));
    public static readonly StoreScript WorkerRemove = Load(nameof(WorkerRemove));
    public static readonly StoreScript WorkerList = Load(nameof(WorkerList));
    public static readonly StoreScript WorkerHeartbeatCancels = Load(nameof(WorkerHeartbeatCancels));
    public static readonly StoreScript WorkerCommand = Load(nameof(WorkerCommand));
    public static readonly StoreScript HistoryList = Load(nameof(HistoryList));
    // cron: recurring tasks (ScheduleClaim runs TaskEnqueueMany's body after its compare-and-set).
    public static readonly StoreScript ScheduleUpsert = Load(nameof(ScheduleUpsert));
    public static readonly StoreScript SchedulePause = Load(nameof(SchedulePause));
    public static readonly StoreScript ScheduleDelete = Load(nameof(ScheduleDelete));
    public static readonly StoreScript ScheduleDue = Load(nameof(ScheduleDue));
    public static readonly StoreScript ScheduleClaim = new(nameof(ScheduleClaim), Prelude.Prepend(ReadResource(nameof(ScheduleClaim)) + "\n" + ReadResource(nameof(TaskEnqueueMany))));
    public static readonly StoreScript QueueLimitSet = Load(nameof(QueueLimitSet)); // limits
    public static readonly StoreScript QueueLimitDelete = Load(nameof(QueueLimitDelete));
    public static readonly StoreScript QueueLimitList = Load(nameof(QueueLimitList));

    public static IReadOnlyList<StoreScript> All { get; } =
    [
        TaskEnqueueMany, TaskLease, TaskCompleteMany, TaskFailMany, LeaseExtendMany, TaskReleaseMany, TaskCancel,
        TaskList, DeadLetterRedrive, DeadLetterPurge, QueuePause, QueueResume, QueueCounts, MaintenanceRun,
        WorkerHeartbeat, WorkerRemove, WorkerList, WorkerHeartbeatCancels, WorkerCommand,
        .. Search,
        .. Outbox, // rabbit: records for a delivery kept outside Redis
        HistoryList,
        ScheduleUpsert, SchedulePause, ScheduleDelete, ScheduleDue, ScheduleClaim, // cron
        LayoutUpgrade, LayoutUpgrade3, // redis-index; memory: layout 3
        .. Workflows,
        QueueLimitSet, QueueLimitDelete, QueueLimitList, // limits
        TaskExpire, // expiry
        TaskUnpark, // parked
    ];

    /// <summary>The raw text of an embedded file (tests read it too).</summary>
    public static string ReadResource(string name)
    {
        var asm = typeof(ScriptCatalog).Assembly;
        using var stream = asm.GetManifestResourceStream($"Conveyor.Redis.Lua.{name}.lua")
            ?? throw new InvalidOperationException($"embedded script Lua/{name}.lua is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static StoreScript Load(string name) => new(name, Prelude.Prepend(ReadResource(name)));
}
