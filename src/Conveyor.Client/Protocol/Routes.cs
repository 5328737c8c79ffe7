namespace Conveyor.Client.Protocol;

/// <summary>The HTTP routes of the Conveyor API (DESIGN §5), shared by the server, the client and the CLI.</summary>
public static class Routes
{
    public const string Prefix = "/api/v1";

    public const string Tasks = Prefix + "/tasks";
    public const string TasksBatch = Prefix + "/tasks/batch";
    public static string Task(string id) => $"{Tasks}/{Uri.EscapeDataString(id)}";
    public static string TaskWait(string id) => Task(id) + "/wait";
    public static string TaskCancel(string id) => Task(id) + "/cancel";
    public static string TaskComplete(string id) => Task(id) + "/complete";
    public static string TaskFail(string id) => Task(id) + "/fail";
    public static string TaskHeartbeat(string id) => Task(id) + "/heartbeat";

    public const string Leases = Prefix + "/leases";
    /// <summary>Batch worker routes (beyond DESIGN §5): many acknowledgements in one request.</summary>
    public const string LeasesComplete = Leases + "/complete";
    public const string LeasesFail = Leases + "/fail";
    public const string LeasesHeartbeat = Leases + "/heartbeat";
    public const string LeasesRelease = Leases + "/release";

    public const string Queues = Prefix + "/queues";
    public static string QueuePause(string name) => $"{Queues}/{Uri.EscapeDataString(name)}/pause";
    public static string QueueResume(string name) => $"{Queues}/{Uri.EscapeDataString(name)}/resume";

    public const string DeadLetters = Prefix + "/dead-letters";
    public const string DeadLettersRetry = DeadLetters + "/retry";
    public static string DeadLetter(string id) => $"{DeadLetters}/{Uri.EscapeDataString(id)}";
    public static string DeadLetterRetry(string id) => DeadLetter(id) + "/retry";

    public const string Workers = Prefix + "/workers";
    public const string WorkersHeartbeat = Workers + "/heartbeat";
    public static string Worker(string id) => $"{Workers}/{Uri.EscapeDataString(id)}";

    public const string Events = Prefix + "/events";
    public const string Metrics = "/metrics";
    public const string Healthz = "/healthz";
    public const string Readyz = "/readyz";
    public const string OpenApi = "/openapi/v1.json";
    public const string Docs = "/docs";

    /// <summary>The dashboard's sign-in: GET the session, POST a token to sign in, DELETE to sign out.</summary>
    public const string Session = Prefix + "/session";
    // Worker commands carried in the heartbeat's answer, and the task types workers announce.
    public static string WorkerQuiet(string id) => Worker(id) + "/quiet";
    public static string WorkerStop(string id) => Worker(id) + "/stop";
    public const string TaskTypes = Prefix + "/task-types";
    // Task actions, bulk actions and their audit log, dead letters by error type.
    public static string TaskRetry(string id) => Task(id) + "/retry";
    public const string TasksBulk = Tasks + "/bulk";
    public const string BulkActions = Prefix + "/bulk-actions";
    public const string DeadLettersGroups = DeadLetters + "/groups";
    /// <summary><c>GET ?queue=&amp;minutes=</c>: succeeded/failed per minute (HistoryList).</summary>
    public const string History = Prefix + "/history";
    /// <summary><c>GET</c>: the retention policy in force; <c>PUT</c> (admin): store one; <c>DELETE</c> (admin): back to each process's configuration.</summary>
    public const string Retention = Prefix + "/retention";
    // cron: recurring tasks. GET (any token): the list / one; PUT/POST/DELETE and the actions: admin.
    public const string Schedules = Prefix + "/schedules";
    public static string Schedule(string name) => $"{Schedules}/{Uri.EscapeDataString(name)}";
    public static string SchedulePause(string name) => Schedule(name) + "/pause";
    public static string ScheduleResume(string name) => Schedule(name) + "/resume";
    public static string ScheduleRunNow(string name) => Schedule(name) + "/run";
    // Workflows: POST submits one (WorkflowSubmit), GET reads it with its steps (WorkflowGet), /cancel (WorkflowCancel).
    public const string Workflows = Prefix + "/workflows";
    public static string Workflow(string id) => $"{Workflows}/{Uri.EscapeDataString(id)}";
    public static string WorkflowCancel(string id) => Workflow(id) + "/cancel";
    // limits: a queue's rate and concurrency limits (QueueLimitList; QueueLimitSet / QueueLimitDelete on one).
    public static string QueueLimits(string name) => $"{Queues}/{Uri.EscapeDataString(name)}/limits";
    public static string QueueLimit(string name, string limit) => $"{QueueLimits(name)}/{Uri.EscapeDataString(limit)}";
}
