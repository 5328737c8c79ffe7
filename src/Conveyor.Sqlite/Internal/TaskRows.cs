using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Conveyor.Json;
using Conveyor.Model;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite.Internal;

/// <summary>Maps rows of <c>tasks</c> to <see cref="TaskRecord"/>s and values to columns, in one place.</summary>
internal static class TaskRows
{
    private static readonly ConcurrentDictionary<string, BackoffPolicy> BackoffCache = new(StringComparer.Ordinal);

    public static long Ticks(DateTimeOffset t) => t.UtcTicks;

    public static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    /// <summary>A time as it appears inside the JSON columns (the attempts history).</summary>
    public static string JsonTime(DateTimeOffset t) => t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    public static string State(TaskState s) => s.ToWire();

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, ConveyorJson.Options);

    public static string? JsonOrNull(JsonElement? value) => value is { } v ? v.GetRawText() : null;

    public static string BackoffJson(BackoffPolicy b) => ToJson(b);

    public static BackoffPolicy Backoff(string json)
    {
        if (BackoffCache.TryGetValue(json, out var hit)) return hit;
        var parsed = JsonSerializer.Deserialize<BackoffPolicy>(json, ConveyorJson.Options) ?? BackoffPolicy.Default;
        if (BackoffCache.Count < 1024) BackoffCache[json] = parsed;
        return parsed;
    }

    /// <summary>Reads every row of <paramref name="reader"/> (columns by name, e.g. <c>SELECT *</c> / <c>RETURNING *</c>).</summary>
    public static List<TaskRow> ReadAll(SqliteDataReader reader)
    {
        var list = new List<TaskRow>();
        if (!reader.HasRows) return list;
        var o = new Ordinals(reader);
        var metadata = new MetadataJson.Batch(); // limits: rows with equal metadata share one map
        while (reader.Read()) list.Add(Read(reader, o, metadata));
        return list;
    }

    private static TaskRow Read(SqliteDataReader r, Ordinals o, MetadataJson.Batch? metadata = null)
    {
        var state = ParseState(r.GetString(o.State));
        var attempts = AttemptsJson.Read(r.GetString(o.Attempts));
        // The running attempt lives in the columns until it ends (then it is appended to the JSON).
        if (state == TaskState.Running && !r.IsDBNull(o.StartedAt))
            attempts.Add(new AttemptRecord(r.GetInt32(o.Attempt), r.IsDBNull(o.WorkerId) ? null : r.GetString(o.WorkerId),
                Time(r.GetInt64(o.StartedAt)), null, AttemptOutcome.Running));
        var record = new TaskRecord
        {
            Id = r.GetString(o.Id),
            Type = r.GetString(o.Type),
            Queue = r.GetString(o.Queue),
            Args = JsonSerializer.Deserialize<JsonElement>(r.GetString(o.Args)),
            Priority = r.GetInt32(o.Priority),
            State = state,
            Attempt = r.GetInt32(o.Attempt),
            MaxAttempts = r.GetInt32(o.MaxAttempts),
            Backoff = Backoff(r.GetString(o.Backoff)),
            Timeout = TimeSpan.FromTicks(r.GetInt64(o.Timeout)),
            IdempotencyKey = r.IsDBNull(o.IdempotencyKey) ? null : r.GetString(o.IdempotencyKey),
            UniqueKey = o.UniqueKey < 0 || r.IsDBNull(o.UniqueKey) ? null : r.GetString(o.UniqueKey),
            Metadata = r.IsDBNull(o.Metadata) ? TaskRecord.EmptyMetadata : metadata is not null ? metadata.Parse(r.GetString(o.Metadata)) : MetadataJson.Parse(r.GetString(o.Metadata)),
            Result = r.IsDBNull(o.Result) ? null : JsonSerializer.Deserialize<JsonElement>(r.GetString(o.Result)),
            Error = r.IsDBNull(o.Error) ? null : JsonSerializer.Deserialize<TaskError>(r.GetString(o.Error), ConveyorJson.Options),
            Progress = r.IsDBNull(o.Progress) ? null : JsonSerializer.Deserialize<TaskProgress>(r.GetString(o.Progress), ConveyorJson.Options),
            Attempts = attempts,
            CreatedAt = Time(r.GetInt64(o.CreatedAt)),
            ScheduledFor = Time(r.GetInt64(o.ScheduledFor)),
            ExpiresAt = o.ExpiresAt < 0 || r.IsDBNull(o.ExpiresAt) ? null : Time(r.GetInt64(o.ExpiresAt)),
            StartedAt = r.IsDBNull(o.StartedAt) ? null : Time(r.GetInt64(o.StartedAt)),
            FinishedAt = r.IsDBNull(o.FinishedAt) ? null : Time(r.GetInt64(o.FinishedAt)),
            WorkerId = r.IsDBNull(o.WorkerId) ? null : r.GetString(o.WorkerId),
            LeaseDeadline = r.IsDBNull(o.LeaseDeadline) ? null : Time(r.GetInt64(o.LeaseDeadline)),
        };
        var token = r.IsDBNull(o.LeaseToken) ? null : r.GetString(o.LeaseToken);
        return new TaskRow(record, r.GetInt64(o.Seq), token);
    }

    public static TaskState ParseState(string s) =>
        TaskStates.TryParse(s, out var state) ? state : throw new InvalidDataException($"unknown task state '{s}' in the database");

    /// <summary>Binds a parameter by name on a cached command (added on first use).</summary>
    public static void Set(this SqliteCommand cmd, string name, object? value)
    {
        var i = cmd.Parameters.IndexOf(name);
        if (i < 0) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        else cmd.Parameters[i].Value = value ?? DBNull.Value;
    }

    private sealed class Ordinals(SqliteDataReader r)
    {
        public readonly int Id = r.GetOrdinal("id"), Seq = r.GetOrdinal("seq"), Type = r.GetOrdinal("type"), Queue = r.GetOrdinal("queue"),
            State = r.GetOrdinal("state"), Priority = r.GetOrdinal("priority"), Args = r.GetOrdinal("args"), Attempt = r.GetOrdinal("attempt"),
            MaxAttempts = r.GetOrdinal("max_attempts"), Backoff = r.GetOrdinal("backoff"), Timeout = r.GetOrdinal("timeout"),
            IdempotencyKey = r.GetOrdinal("idempotency_key"), Metadata = r.GetOrdinal("metadata"), Result = r.GetOrdinal("result"),
            Error = r.GetOrdinal("error"), Progress = r.GetOrdinal("progress"), Attempts = r.GetOrdinal("attempts"),
            CreatedAt = r.GetOrdinal("created_at"), ScheduledFor = r.GetOrdinal("scheduled_for"), StartedAt = r.GetOrdinal("started_at"),
            FinishedAt = r.GetOrdinal("finished_at"), WorkerId = r.GetOrdinal("worker_id"), LeaseToken = r.GetOrdinal("lease_token"),
            LeaseDeadline = r.GetOrdinal("lease_deadline");

        // limits: a statement that lists its columns may leave unique_key out.
        public readonly int UniqueKey = Optional(r, "unique_key");
        // expiry (migration 17): absent from a read that names its columns.
        public readonly int ExpiresAt = Optional(r, "expires_at");

        private static int Optional(SqliteDataReader r, string name)
        {
            for (var i = 0; i < r.FieldCount; i++)
                if (string.Equals(r.GetName(i), name, StringComparison.OrdinalIgnoreCase)) return i;
            return -1;
        }
    }
}

/// <summary>A task as read from the database, with the columns that never leave the store.</summary>
internal sealed record TaskRow(TaskRecord Record, long Seq, string? LeaseToken);
