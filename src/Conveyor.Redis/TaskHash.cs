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
    /// <summary>The 16 enqueue values per task, in TaskEnqueueMany.lua's order (the last: the index key's number, 0 for none).</summary>
    public static void AppendEnqueueArgs(List<RedisValue> args, TaskRecord t, int indexKey)
    {
        args.Add(t.Id);
        args.Add(t.Type);
        args.Add(t.Priority);
        args.Add(t.State.ToWire());
        args.Add(t.ScheduledFor.ToUnixTimeMilliseconds());
        args.Add(t.CreatedAt.ToUnixTimeMilliseconds());
        args.Add(t.MaxAttempts);
        args.Add(BackoffKindWire(t.Backoff.Kind));
        args.Add(Ms(t.Backoff.Base));
        args.Add(t.Backoff.Factor.ToString("R", CultureInfo.InvariantCulture));
        args.Add(Ms(t.Backoff.Cap));
        args.Add(Ms(t.Timeout));
        args.Add(t.IdempotencyKey ?? "");
        args.Add(t.Metadata.Count == 0 ? "{}" : JsonSerializer.Serialize(t.Metadata, ConveyorJson.Options));
        args.Add(t.Args.GetRawText());
        args.Add(indexKey);
    }

    public static long Ms(TimeSpan t) => (long)Math.Round(t.TotalMilliseconds);

    public static TaskRecord Read(RedisResult hash) => Read((RedisValue[])hash!);

    /// <summary>The values of one task in TaskLease.lua's answer: the fields it reads (LEASE_READ in Lib.lua), then the id.</summary>
    public static readonly string[] LeaseRead =
        ["ty", "ar", "pr", "at", "ma", "bk", "bb", "bf", "bc", "to", "ik", "md", "er", "pg", "hi", "cr", "sf",
         "id"];

    /// <summary>What TaskLease.lua wrote, the same for every task of one call (the attempt and token are per task), and the queue.</summary>
    public readonly record struct LeaseWrite(long NowMs, long DeadlineMs, string WorkerId, string TokenPrefix, string Queue);

    // A lease answer's values followed by what the call knows: st, at, tk, dl, wk, sa as written, and q.
    // "at" is in both; the written value comes later and wins. "re" is not there: a leased task has none.
    private static readonly string[] LeaseFields = [.. LeaseRead, "st", "at", "tk", "dl", "wk", "sa", "q"];
    private static readonly int ReadAttemptAt = Array.IndexOf(LeaseRead, "at");

    // Field -> position in a lease answer; a field listed twice ("at") maps to its later, written value.
    private static readonly Dictionary<string, int> LeasePosition = LeaseFields
        .Select((name, i) => (name, i)).GroupBy(x => x.name).ToDictionary(g => g.Key, g => g.Max(x => x.i), StringComparer.Ordinal);

    /// <summary>
    /// The <paramref name="n"/>-th task (from 1) of a lease answer, and its lease token (read in place:
    /// no per-task dictionary).
    /// </summary>
    public static (TaskRecord Task, string Token) ReadLeased(RedisValue[] read, in LeaseWrite written, int n)
    {
        if (read.Length != LeaseRead.Length) throw new InvalidDataException($"TaskLease returned {read.Length} fields; expected {LeaseRead.Length}");
        var values = new RedisValue[LeaseFields.Length];
        read.CopyTo(values, 0);
        var token = written.TokenPrefix + n.ToString(CultureInfo.InvariantCulture);
        var i = read.Length;
        values[i++] = "running";
        values[i++] = (read[ReadAttemptAt].TryParse(out long at) ? at : 0) + 1;
        values[i++] = token;
        values[i++] = written.DeadlineMs;
        values[i++] = written.WorkerId;
        values[i++] = written.NowMs;
        values[i] = written.Queue;
        return (Read(new LeaseValues(values)), token);
    }

    public static TaskRecord Read(RedisValue[] flat)
    {
        var f = new Dictionary<string, RedisValue>(flat.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2) f[(string)flat[i]!] = flat[i + 1];
        return Read(new HashFields(f));
    }

    /// <summary>The task's fields by name, from an HGETALL answer or from a lease answer.</summary>
    private interface IFields
    {
        bool TryGetValue(string field, out RedisValue value);
    }

    private readonly struct HashFields(Dictionary<string, RedisValue> fields) : IFields
    {
        public bool TryGetValue(string field, out RedisValue value) => fields.TryGetValue(field, out value);
    }

    private readonly struct LeaseValues(RedisValue[] values) : IFields
    {
        public bool TryGetValue(string field, out RedisValue value)
        {
            if (LeasePosition.TryGetValue(field, out var i)) { value = values[i]; return true; }
            value = RedisValue.Null;
            return false;
        }
    }

    private static TaskRecord Read<TF>(TF f) where TF : struct, IFields
    {
        var state = TaskStates.TryParse(Str(f, "st"), out var s) ? s : throw new InvalidDataException($"task hash has no valid state: '{Str(f, "st")}'");
        var attempt = (int)Long(f, "at");
        var attempts = ReadAttempts(Str(f, "hi"));
        if (state == TaskState.Running)
            attempts.Add(new AttemptRecord(attempt, Str(f, "wk"), Time(f, "sa") ?? DateTimeOffset.UnixEpoch, null, AttemptOutcome.Running));
        // The succeeding attempt is not written into "hi" (TaskCompleteMany.lua): it is the attempt the
        // fields describe. Hashes completed by older versions have it there already, as the last entry.
        else if (state == TaskState.Succeeded && attempts is not [.., { Outcome: AttemptOutcome.Succeeded }])
            attempts.Add(new AttemptRecord(attempt, Str(f, "wk") is { Length: > 0 } wk ? wk : null,
                Time(f, "sa") ?? DateTimeOffset.UnixEpoch, Time(f, "fa"), AttemptOutcome.Succeeded));
        return new TaskRecord
        {
            Id = Str(f, "id") ?? throw new InvalidDataException("task hash has no id"),
            Type = Str(f, "ty") ?? "",
            Queue = Str(f, "q") ?? "",
            Args = Json(Str(f, "ar")) ?? NullJson,
            Priority = (int)Long(f, "pr"),
            State = state,
            Attempt = attempt,
            MaxAttempts = (int)Long(f, "ma"),
            Backoff = new BackoffPolicy(ParseBackoffKind(Str(f, "bk")), TimeSpan.FromMilliseconds(Long(f, "bb")),
                double.Parse(Str(f, "bf") ?? "2", CultureInfo.InvariantCulture), TimeSpan.FromMilliseconds(Long(f, "bc"))),
            Timeout = TimeSpan.FromMilliseconds(Long(f, "to")),
            IdempotencyKey = Str(f, "ik") is { Length: > 0 } ik ? ik : null,
            Metadata = Str(f, "md") is { Length: > 2 } md
                ? JsonSerializer.Deserialize<Dictionary<string, string>>(md, ConveyorJson.Options) ?? TaskRecord.EmptyMetadata
                : TaskRecord.EmptyMetadata,
            Result = Json(Str(f, "re")),
            Error = Str(f, "er") is { Length: > 0 } er ? JsonSerializer.Deserialize<TaskError>(er, ConveyorJson.Options) : null,
            Progress = Str(f, "pg") is { Length: > 0 } pg ? JsonSerializer.Deserialize<TaskProgress>(pg, ConveyorJson.Options) : null,
            Attempts = attempts,
            CreatedAt = Time(f, "cr") ?? DateTimeOffset.UnixEpoch,
            ScheduledFor = Time(f, "sf") ?? DateTimeOffset.UnixEpoch,
            StartedAt = Time(f, "sa"),
            FinishedAt = state.IsTerminal() ? Time(f, "fa") : null,
            WorkerId = state == TaskState.Running ? Str(f, "wk") : null,
            LeaseDeadline = state == TaskState.Running ? Time(f, "dl") : null,
        };
    }

    public static string BackoffKindWire(BackoffKind kind) => kind switch
    {
        BackoffKind.Fixed => "fixed",
        BackoffKind.None => "none",
        _ => "exponential",
    };

    private static BackoffKind ParseBackoffKind(string? s) => s switch
    {
        "fixed" => BackoffKind.Fixed,
        "none" => BackoffKind.None,
        _ => BackoffKind.Exponential,
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

    private static JsonElement? Json(string? raw)
    {
        if (string.IsNullOrEmpty(raw)) return null;
        using var doc = JsonDocument.Parse(raw);
        return doc.RootElement.Clone();
    }

    private static string? Str<TF>(TF f, string k) where TF : struct, IFields => f.TryGetValue(k, out var v) && !v.IsNull ? (string?)v : null;

    private static long Long<TF>(TF f, string k) where TF : struct, IFields =>
        f.TryGetValue(k, out var v) && !v.IsNullOrEmpty && long.TryParse((string?)v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l
        : f.TryGetValue(k, out v) && !v.IsNullOrEmpty && double.TryParse((string?)v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (long)d
        : 0;

    private static DateTimeOffset? Time<TF>(TF f, string k) where TF : struct, IFields =>
        f.TryGetValue(k, out var v) && !v.IsNullOrEmpty ? DateTimeOffset.FromUnixTimeMilliseconds(Long(f, k)) : null;
}
