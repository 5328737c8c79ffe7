using System.Globalization;
using System.Text.Json;
using Conveyor.Json;
using Conveyor.Model;
using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// The task hash's fields (see the scripts) and the mapping between a hash and a <see cref="TaskRecord"/>.
/// Times are ms since the Unix epoch; JSON values (args, result, metadata, error, progress) are
/// stored as their raw text.
/// </summary>
internal static class TaskHash
{
    /// <summary>The 8 enqueue values per task, in TaskEnqueueMany.lua's order.</summary>
    public static void AppendEnqueueArgs(List<RedisValue> args, TaskRecord t)
    {
        args.Add(t.Id);
        args.Add(t.Type);
        args.Add(t.Priority);
        args.Add(t.State.ToWire());
        // memory: a pending task's scheduled_for equal to its created time is not stored (layout 3; see scheduled_sf in Lib.lua).
        args.Add(t.State == TaskState.Pending && t.ScheduledFor == t.CreatedAt ? RedisValue.EmptyString : t.ScheduledFor.ToUnixTimeMilliseconds());
        args.Add(Spec(t));
        args.Add(t.IdempotencyKey ?? "");
        args.Add(t.Args.GetRawText());
    }

    public static long Ms(TimeSpan t) => (long)Math.Round(t.TotalMilliseconds);

    /// <summary>
    /// The task's packed spec, field "sp": what a task is born with and never changes, in one value
    /// (the layout is described in Lib.lua). One value instead of nine is what keeps a lease cheap.
    /// </summary>
    public static string Spec(TaskRecord t)
    {
        var md = t.Metadata.Count == 0 ? "" : MetadataJson.Write(t.Metadata); // limits: no serializer for a plain map
        var spec = string.Create(CultureInfo.InvariantCulture,
            $"{t.MaxAttempts}|{BackoffLetter(t.Backoff.Kind)}|{Ms(t.Backoff.Base)}|{t.Backoff.Factor:R}|{Ms(t.Backoff.Cap)}|{Ms(t.Timeout)}|{t.CreatedAt.ToUnixTimeMilliseconds()}|{md}");
        return t.IdempotencyKey is { } ik ? spec + "\n" + ik : spec;
    }

    /// <summary>The fields of a spec, parsed.</summary>
    private readonly record struct TaskSpec(int MaxAttempts, BackoffPolicy Backoff, TimeSpan Timeout, DateTimeOffset CreatedAt,
        string? IdempotencyKey, IReadOnlyDictionary<string, string> Metadata);

    private static TaskSpec ParseSpec(string sp, MetadataJson.Batch? metadata = null)
    {
        var rest = sp.AsSpan();
        Span<long> numbers = stackalloc long[7];
        var kind = BackoffKind.Exponential;
        var factor = 2.0;
        for (var i = 0; i < 7; i++)
        {
            var bar = rest.IndexOf('|');
            if (bar < 0) throw new InvalidDataException($"task spec has {i} of its 7 leading fields: '{sp}'");
            var part = rest[..bar];
            if (i == 1) kind = part switch { "f" => BackoffKind.Fixed, "n" => BackoffKind.None, _ => BackoffKind.Exponential };
            else if (i == 3) factor = double.Parse(part, NumberStyles.Float, CultureInfo.InvariantCulture);
            else numbers[i] = long.Parse(part, NumberStyles.Integer, CultureInfo.InvariantCulture);
            rest = rest[(bar + 1)..];
        }
        var newline = rest.IndexOf('\n');
        var md = newline < 0 ? rest : rest[..newline];
        return new TaskSpec(
            (int)numbers[0],
            new BackoffPolicy(kind, TimeSpan.FromMilliseconds(numbers[2]), factor, TimeSpan.FromMilliseconds(numbers[4])),
            TimeSpan.FromMilliseconds(numbers[5]),
            DateTimeOffset.FromUnixTimeMilliseconds(numbers[6]),
            newline < 0 ? null : rest[(newline + 1)..].ToString(),
            metadata is not null ? metadata.Parse(md) : MetadataJson.Parse(md)); // limits: read from the spec's own characters, no string in between
    }

    /// <summary>A task from a script's answer (task_fields in Lib.lua: the fields, then its id) in <paramref name="queue"/>.</summary>
    public static TaskRecord Read(RedisResult hash, string queue) => Read((RedisValue[])hash!, queue);

    /// <summary>
    /// The values of one task in TaskLease.lua's answer: the fields it reads (LEASE_READ in Lib.lua),
    /// then er (false unless hi is there), then the id. A leased task has no progress yet: the lease
    /// deletes it.
    /// </summary>
    public static readonly string[] LeaseRead = ["ty", "pr", "at", "sp", "ar", "sf", "hi", "er", "id"];

    /// <summary>What TaskLease.lua wrote, the same for every task of one call (the attempt and token are per task), and the queue.</summary>
    public readonly record struct LeaseWrite(long NowMs, long DeadlineMs, string WorkerId, string TokenPrefix, string Queue);

    /// <summary>
    /// The <paramref name="n"/>-th task (from 1) of a lease answer, and its lease token, built from the
    /// values read and what the lease wrote (st running, at + 1, tk, dl, wk, sa), which .NET knows.
    /// <paramref name="metadata"/>: the answer's metadata reader (tasks with equal metadata share one map).
    /// </summary>
    public static (TaskRecord Task, string Token) ReadLeased(RedisValue[] read, in LeaseWrite written, int n, MetadataJson.Batch? metadata = null)
    {
        if (read.Length != LeaseRead.Length) throw new InvalidDataException($"TaskLease returned {read.Length} fields; expected {LeaseRead.Length}");
        var spec = ParseSpec((string?)read[3] ?? throw new InvalidDataException("a leased task has no spec"), metadata);
        var attempt = (int)((read[2].TryParse(out long at) ? at : 0) + 1);
        var attempts = ReadAttempts((string?)read[6]);
        var started = DateTimeOffset.FromUnixTimeMilliseconds(written.NowMs);
        attempts.Add(new AttemptRecord(attempt, written.WorkerId, started, null, AttemptOutcome.Running));
        var token = written.TokenPrefix + n.ToString(CultureInfo.InvariantCulture);
        var task = new TaskRecord
        {
            Id = (string?)read[8] ?? throw new InvalidDataException("a leased task has no id"),
            Type = (string?)read[0] ?? "",
            Queue = written.Queue,
            Args = Json(read[4]) ?? NullJson,
            Priority = read[1].TryParse(out long pr) ? (int)pr : 0,
            State = TaskState.Running,
            Attempt = attempt,
            MaxAttempts = spec.MaxAttempts,
            Backoff = spec.Backoff,
            Timeout = spec.Timeout,
            IdempotencyKey = spec.IdempotencyKey,
            Metadata = spec.Metadata,
            Error = ErrorOf((string?)read[7]),
            Attempts = attempts,
            CreatedAt = spec.CreatedAt,
            ScheduledFor = !read[5].IsNullOrEmpty && read[5].TryParse(out long sf) ? DateTimeOffset.FromUnixTimeMilliseconds(sf) : spec.CreatedAt, // memory: absent is the created time
            StartedAt = started,
            WorkerId = written.WorkerId,
            LeaseDeadline = DateTimeOffset.FromUnixTimeMilliseconds(written.DeadlineMs),
        };
        return (task, token);
    }

    /// <summary>
    /// A task from its fields (an HGETALL answer) in <paramref name="queue"/>. memory: since layout 3 the
    /// hash holds neither its id nor its queue (the key says both): the id comes from the answer
    /// (task_fields in Lib.lua appends it) or <paramref name="id"/>, the queue from the caller, which
    /// knows whose keys it read. A hash the upgrade has not reached yet still has both, the same values.
    /// </summary>
    public static TaskRecord Read(RedisValue[] flat, string queue, string? id = null)
    {
        var f = new Dictionary<string, RedisValue>(flat.Length / 2 + 1, StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2) f[(string)flat[i]!] = flat[i + 1];
        return Read(f, queue, id);
    }

    /// <summary>A task from its fields by name.</summary>
    private static TaskRecord Read(Dictionary<string, RedisValue> f, string queue, string? id)
    {
        var state = TaskStates.TryParse(Str(f, "st"), out var s) ? s : throw new InvalidDataException($"task hash has no valid state: '{Str(f, "st")}'");
        var spec = ParseSpec(Str(f, "sp") ?? throw new InvalidDataException("task hash has no spec"));
        var attempt = (int)Long(f, "at");
        var attempts = ReadAttempts(Str(f, "hi"));
        if (state == TaskState.Running)
            attempts.Add(new AttemptRecord(attempt, Str(f, "wk"), Time(f, "sa") ?? DateTimeOffset.UnixEpoch, null, AttemptOutcome.Running));
        // The succeeding attempt is not written into "hi" (TaskCompleteMany.lua): it is the attempt the fields describe.
        else if (state == TaskState.Succeeded)
            attempts.Add(new AttemptRecord(attempt, Str(f, "wk") is { Length: > 0 } wk ? wk : null,
                Time(f, "sa") ?? DateTimeOffset.UnixEpoch, Time(f, "fa"), AttemptOutcome.Succeeded));
        return new TaskRecord
        {
            Id = Str(f, "id") ?? id ?? throw new InvalidDataException("task hash has no id"),
            Type = Str(f, "ty") ?? "",
            Queue = queue,
            Args = (f.TryGetValue("ar", out var ar) ? Json(ar) : null) ?? NullJson,
            Priority = (int)Long(f, "pr"),
            State = state,
            Attempt = attempt,
            MaxAttempts = spec.MaxAttempts,
            Backoff = spec.Backoff,
            Timeout = spec.Timeout,
            IdempotencyKey = spec.IdempotencyKey,
            UniqueKey = Str(f, "uk"), // limits: unique while active
            Metadata = spec.Metadata,
            Result = f.TryGetValue("re", out var re) ? Json(re) : null,
            Error = ErrorOf(Str(f, "er")),
            Progress = ProgressOf(Str(f, "pg")),
            Attempts = attempts,
            CreatedAt = spec.CreatedAt,
            ScheduledFor = Time(f, "sf") ?? spec.CreatedAt, // memory: absent is the created time (layout 3)
            ExpiresAt = Time(f, "ex"), // expiry
            StartedAt = Time(f, "sa"),
            FinishedAt = state.IsTerminal() ? Time(f, "fa") : null,
            WorkerId = state == TaskState.Running ? Str(f, "wk") : null,
            LeaseDeadline = state == TaskState.Running ? Time(f, "dl") : null,
        };
    }

    private static TaskError? ErrorOf(string? er) =>
        er is { Length: > 0 } ? JsonSerializer.Deserialize<TaskError>(er, ConveyorJson.Options) : null;

    private static TaskProgress? ProgressOf(string? pg) =>
        pg is { Length: > 0 } ? JsonSerializer.Deserialize<TaskProgress>(pg, ConveyorJson.Options) : null;

    private static char BackoffLetter(BackoffKind kind) => kind switch
    {
        BackoffKind.Fixed => 'f',
        BackoffKind.None => 'n',
        _ => 'e',
    };

    private static List<AttemptRecord> ReadAttempts(string? history)
    {
        var list = new List<AttemptRecord>();
        if (string.IsNullOrEmpty(history)) return list;
        using var doc = JsonDocument.Parse("[" + history + "]");
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            TaskError? error = null;
            if (e.TryGetProperty("e", out var err) && err.ValueKind == JsonValueKind.Object)
                error = new TaskError(err.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "",
                    err.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "");
            var worker = e.GetProperty("w").GetString();
            list.Add(new AttemptRecord(
                e.GetProperty("n").GetInt32(),
                string.IsNullOrEmpty(worker) ? null : worker,
                DateTimeOffset.FromUnixTimeMilliseconds(e.GetProperty("s").GetInt64()),
                DateTimeOffset.FromUnixTimeMilliseconds(e.GetProperty("f").GetInt64()),
                ParseOutcome(e.GetProperty("o").GetString()),
                error));
        }
        return list;
    }

    private static AttemptOutcome ParseOutcome(string? s) => s switch
    {
        "succeeded" => AttemptOutcome.Succeeded,
        "failed" => AttemptOutcome.Failed,
        "lease_expired" => AttemptOutcome.LeaseExpired,
        "released" => AttemptOutcome.Released,
        "cancelled" => AttemptOutcome.Cancelled,
        _ => AttemptOutcome.Running,
    };

    private static readonly JsonElement NullJson = JsonDocument.Parse("null").RootElement.Clone();

    /// <summary>A stored JSON value, parsed from its UTF-8 bytes as Redis sent them (no string in between).</summary>
    private static JsonElement? Json(RedisValue raw)
    {
        if (raw.IsNullOrEmpty) return null;
        using var doc = JsonDocument.Parse((ReadOnlyMemory<byte>)raw);
        return doc.RootElement.Clone();
    }

    private static string? Str(Dictionary<string, RedisValue> f, string k) => f.TryGetValue(k, out var v) && !v.IsNull ? (string?)v : null;

    private static long Long(Dictionary<string, RedisValue> f, string k) =>
        f.TryGetValue(k, out var v) && !v.IsNullOrEmpty && long.TryParse((string?)v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l
        : f.TryGetValue(k, out v) && !v.IsNullOrEmpty && double.TryParse((string?)v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (long)d
        : 0;

    private static DateTimeOffset? Time(Dictionary<string, RedisValue> f, string k) =>
        f.TryGetValue(k, out var v) && !v.IsNullOrEmpty ? DateTimeOffset.FromUnixTimeMilliseconds(Long(f, k)) : null;
}
