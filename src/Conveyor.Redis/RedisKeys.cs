using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// Every key and channel name of the store, built here and nowhere else. All keys of one queue
/// carry the hash tag <c>{q:&lt;queue&gt;}</c>, so every script touches one cluster slot:
/// <code>
/// conveyor:{q:default}:t:&lt;id&gt;    HASH  one task
/// conveyor:{q:default}:ready       ZSET  pending, by (9 - priority) * 2^40 + seq
/// conveyor:{q:default}:scheduled   ZSET  by due ms
/// conveyor:{q:default}:running     ZSET  by lease deadline ms
/// conveyor:{q:default}:dead        ZSET  failed (dead-letter queue), by finished ms
/// conveyor:{q:default}:done        ZSET  every terminal task, by finished ms (retention)
/// conveyor:{q:default}:fin         LIST  the finish log: (id, finished ms) pairs as tasks end; fin:succeeded, fin:failed,
///                                  fin:cancelled: the same per state, moved there by retention (MaintenanceRun)
/// conveyor:{q:default}:exp         ZSET  expiry: id -> expires_at ms of tasks submitted with one (stale ids of started tasks drop out once past)
/// conveyor:{q:default}:fin:expired LIST  expiry: (id, finished ms) of expired tasks, for retention (TaskExpire)
/// conveyor:{q:default}:ix          ZSET  the state index: state letter + id, score 0 (lexical = creation order
///                                  within a state); what TaskList reads (IX in Lua/Lib.lua, StateIndexLetters)
/// conveyor:{q:default}:all         ZSET  layout 1 only: every task id, score 0; LayoutUpgrade turns it into ix
/// conveyor:{q:default}:meta        HASH  seq, paused, succeeded, cancelled; ob (outbox watermark, RabbitMQ delivery)
/// conveyor:{q:default}:hist:&lt;day&gt;  HASH  outcomes per minute of one UTC day (days since the epoch):
///                                  "s&lt;minute of day&gt;" succeeded, "f&lt;minute of day&gt;" failed; expires 8 days after the day
/// conveyor:{q:default}:idem        HASH  idempotency key -> id;  …:idem:exp ZSET key -> expiry ms
/// conveyor:{q:default}:wake / :ev  channels: work became ready / state changes
/// conveyor:{q:default}:pk          ZSET  parked: park member -> lapse ms (leasers an enqueue leases to directly);
///                                  …:pk:&lt;park id&gt; STRING the task handed to that park; …:pk:&lt;process&gt; channel: its hand-offs
///                                  …:pl:&lt;park id&gt; LIST  parklist: the hand-off to that park, for its leaser's BLPOP
/// conveyor:{tq:0..f}               HASH  layout 2 only: task id -> queue, 16 buckets (the upgrade to 3 deletes them)
/// conveyor:{g}:queues              SET   known queues (for maintenance, QueueList, and a bare id's probe: TaskIndex)
/// conveyor:{g}:workers / :hb       HASH  worker id -> json / ZSET worker id -> last heartbeat ms
/// conveyor:{g}:workers:cmd         HASH  worker id -> "quiet" | "stop" (WorkerCommand)
/// conveyor:{g}:bulk                LIST  the bulk-action audit log (newest first, bounded)
/// conveyor:{g}:retention           STRING the retention policy set through RetentionSet (JSON)
/// conveyor:{g}:schedules           HASH  schedule name -> its queue (where its keys live)
/// conveyor:{q:default}:sch:&lt;name&gt;  HASH  one schedule of this queue: d definition json, p paused, n next run ms
///                                  ("" none), l last run ms, lt last task id, c created ms, u updated ms
/// conveyor:{q:default}:sch:due     ZSET  schedule name -> next run ms (unpaused schedules only)
/// conveyor:{g}:layout              STRING the key layout version (RedisLayout.Current); absent: layout 1
/// conveyor:{wf:&lt;id&gt;}              HASH  one workflow: d its record (JSON), v its version (own slot)
/// conveyor:{g}:workflows           ZSET  unsettled workflow ids -> when maintenance next looks (ms)
/// </code>
/// </summary>
internal sealed class RedisKeys(string prefix, bool shardedPubSub = false)
{
    public string Prefix { get; } = prefix;

    /// <summary>
    /// Layout 2 only: the id -> queue index, 16 hashes (<c>{tq:0}</c> … <c>{tq:f}</c>) by a stable hash of
    /// the id. Layout 3 finds a bare id's queue by probing the known queues (TaskIndex); the upgrade
    /// (RedisTaskStore.Memory.cs) deletes these, and tests write them to build layout-2 keys.
    /// </summary>
    public IReadOnlyList<RedisKey> LegacyTaskIndexBuckets { get; } = [.. Enumerable.Range(0, 16).Select(i => (RedisKey)(prefix + ":{tq:" + i.ToString("x") + "}"))];

    /// <summary>The bucket of <paramref name="id"/> in <see cref="LegacyTaskIndexBuckets"/> (layout 2's hash of the id).</summary>
    public RedisKey LegacyTaskIndexFor(string id)
    {
        var h = 2166136261u;
        foreach (var c in id) h = (h ^ c) * 16777619u;
        return LegacyTaskIndexBuckets[(int)(h & 15)];
    }

    public RedisKey Queues { get; } = prefix + ":{g}:queues";
    public RedisKey Workers { get; } = prefix + ":{g}:workers";
    public RedisKey WorkerHeartbeats { get; } = prefix + ":{g}:workers:hb";
    public RedisKey WorkerCommands { get; } = prefix + ":{g}:workers:cmd";
    /// <summary>LIST: the bulk-action audit log, newest first, the last <c>BulkActionRecord.Kept</c> records as JSON.</summary>
    public RedisKey BulkActions { get; } = prefix + ":{g}:bulk";
    /// <summary>STRING: the retention policy (RetentionPolicy.ToJson) every broker and worker applies; absent: none set.</summary>
    public RedisKey Retention { get; } = prefix + ":{g}:retention";
    /// <summary>STRING: the layout version of the keys under this prefix (RedisLayout); absent: layout 1, the layout before the state index.</summary>
    public RedisKey Layout { get; } = prefix + ":{g}:layout";

    /// <summary>HASH: schedule name -> the queue whose slot holds it (cron; RedisTaskStore.Schedules.cs).</summary>
    public RedisKey Schedules { get; } = prefix + ":{g}:schedules";
    /// <summary>HASH: one workflow's record; its own hash tag, so it sits in one slot whatever queues its steps use.</summary>
    public RedisKey Workflow(string id) => Prefix + ":{wf:" + id + "}";
    /// <summary>ZSET: unsettled workflows by when maintenance's WorkflowSweep next looks at them (ms).</summary>
    public RedisKey WorkflowsUnsettled { get; } = prefix + ":{g}:workflows";

    /// <summary>Pattern matching every queue's events channel.</summary>
    public RedisChannel EventsPattern { get; } = RedisChannel.Pattern(prefix + ":{q:*}:ev");

    /// <summary>Wake-ups go over sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7+) instead of classic pub/sub.</summary>
    public bool ShardedPubSub { get; } = shardedPubSub;

    public QueueKeys Queue(string queue) => new(Prefix + ":{q:" + queue + "}:", queue, ShardedPubSub);
}

/// <summary>The keys of one queue (one hash tag, one slot).</summary>
internal sealed class QueueKeys(string tagPrefix, string queue, bool shardedPubSub)
{
    public string Name { get; } = queue;
    public string TaskPrefix { get; } = tagPrefix + "t:";
    public RedisKey Task(string id) => TaskPrefix + id;
    public RedisKey Ready { get; } = tagPrefix + "ready";
    public RedisKey Scheduled { get; } = tagPrefix + "scheduled";
    public RedisKey Running { get; } = tagPrefix + "running";
    public RedisKey Dead { get; } = tagPrefix + "dead";
    /// <summary>Terminal tasks by finish time, as versions before <see cref="Finished"/> kept them: retention still drains it.</summary>
    public RedisKey Done { get; } = tagPrefix + "done";
    /// <summary>The finish log: a list of (id, finished ms) pairs in the order tasks ended; what retention walks.</summary>
    public RedisKey Finished { get; } = tagPrefix + "fin";
    /// <summary>One terminal state's finish log (same pairs), filled from <see cref="Finished"/> by MaintenanceRun's retention.</summary>
    public RedisKey FinishedSucceeded { get; } = tagPrefix + "fin:succeeded";
    public RedisKey FinishedFailed { get; } = tagPrefix + "fin:failed";
    public RedisKey FinishedCancelled { get; } = tagPrefix + "fin:cancelled";
    /// <summary>expiry: ZSET id -> expires_at ms of the queue's tasks submitted with an expiry (checked by TaskLease and TaskExpire only when not empty).</summary>
    public RedisKey Expiring { get; } = tagPrefix + "exp";
    /// <summary>expiry: the expired tasks' finish log ((id, finished ms) pairs), written by expire_due and drained by TaskExpire's retention.</summary>
    public RedisKey FinishedExpired { get; } = tagPrefix + "fin:expired";
    /// <summary>Layout 1's id index (every id, score 0): only LayoutUpgrade reads it, and deletes it as it goes.</summary>
    public RedisKey All { get; } = tagPrefix + "all";
    /// <summary>The state index: ZSET, score 0, member = the state's letter + the id (IX in Lua/Lib.lua): what TaskList reads.</summary>
    public RedisKey StateIndex { get; } = tagPrefix + "ix";
    public RedisKey Meta { get; } = tagPrefix + "meta";
    public RedisKey Idem { get; } = tagPrefix + "idem";
    public RedisKey IdemExpiry { get; } = tagPrefix + "idem:exp";
    private readonly string historyPrefix = tagPrefix + "hist:";
    /// <summary>Key prefix of this queue's schedules (a schedule lives in the slot of the queue it submits to).</summary>
    public string SchedulePrefix { get; } = tagPrefix + "sch:";
    public RedisKey Schedule(string name) => SchedulePrefix + name;
    /// <summary>ZSET: this queue's unpaused schedules by next run ms (ScheduleDue).</summary>
    public RedisKey SchedulesDue { get; } = tagPrefix + "sch:due";

    /// <summary>The outcome counts of one UTC day (<paramref name="day"/>: days since the Unix epoch), per minute.</summary>
    public RedisKey History(long day) => historyPrefix + day.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The history key of the day holding <paramref name="nowMs"/>: what a script that counts outcomes at "now" writes.</summary>
    public RedisKey HistoryAt(long nowMs) => History(Math.DivRem(nowMs, 86_400_000, out var rem) - (rem < 0 ? 1 : 0));
    public string WakeChannel { get; } = tagPrefix + "wake";

    /// <summary>What the scripts run to wake leasers: "PUBLISH &lt;channel&gt;" or "SPUBLISH &lt;channel&gt;".</summary>
    public string WakeSpec { get; } = (shardedPubSub ? "SPUBLISH " : "PUBLISH ") + tagPrefix + "wake";

    public RedisChannel WakeSubscription { get; } = shardedPubSub ? RedisChannel.Sharded(tagPrefix + "wake") : RedisChannel.Literal(tagPrefix + "wake");
    public string EventsChannel { get; } = tagPrefix + "ev";

    // parked: the one-step lease (RedisTaskStore.Parked.cs, park_handoff in Lua/Lib.lua).
    /// <summary>ZSET: park member -> the ms it lapses; the leasers waiting on this queue that an enqueue may lease a task to.</summary>
    public RedisKey Parked { get; } = tagPrefix + "pk";
    /// <summary>STRING: the id of the task handed to park <paramref name="parkId"/> (for TaskUnpark), expiring after the park lapses.</summary>
    public RedisKey ParkHandoff(string parkId) => tagPrefix + "pk:" + parkId;
    /// <summary>The channel one process's parked leasers of this queue hear their hand-offs on, and the script's publish spec for it.</summary>
    public RedisChannel ParkSubscription(string instance) => shardedPubSub ? RedisChannel.Sharded(tagPrefix + "pk:" + instance) : RedisChannel.Literal(tagPrefix + "pk:" + instance);
    /// <summary>parklist: LIST the hand-off to park <paramref name="parkId"/>, for its leaser's BLPOP (Signals/ParkLines.cs).</summary>
    public RedisKey ParkList(string parkId) => tagPrefix + "pl:" + parkId;
    public string ParkSpec(string instance) => (shardedPubSub ? "SPUBLISH " : "PUBLISH ") + tagPrefix + "pk:" + instance;

    /// <summary>Every key of the queue except task hashes (for the one-slot test).</summary>
    public IEnumerable<RedisKey> Fixed => [Ready, Scheduled, Running, Dead, Done, Finished, FinishedSucceeded, FinishedFailed, FinishedCancelled, Expiring, FinishedExpired, All, StateIndex, Meta, Idem, IdemExpiry];
}
