using System.Text.Json;
using Conveyor.Model;

namespace Conveyor.Engine;

/// <summary>Limits that deployments may tighten or loosen. Validated at start.</summary>
public sealed record TaskLimits
{
    public int MaxArgsBytes { get; init; } = TaskDefaults.MaxArgsBytes;
    public int MaxResultBytes { get; init; } = TaskDefaults.MaxResultBytes;

    public static TaskLimits Default { get; } = new();
}

/// <summary>
/// Turns a <see cref="TaskSubmission"/> into a stored <see cref="TaskRecord"/>, or refuses it with every
/// problem listed. Pure: the caller supplies the id and the time. Nothing reaches a store unvalidated.
/// </summary>
public static class TaskValidator
{
    public static IReadOnlyList<ValidationError> Validate(TaskSubmission s, TaskLimits limits, string prefix = "", DateTimeOffset? now = null)
    {
        // enqueue: no list and no closure unless something is wrong (this runs once per submitted task).
        List<ValidationError>? errors = null;
        void Add(string field, string message) => (errors ??= []).Add(new ValidationError(prefix + field, message));

        if (Names.CheckType(s.Type) is { } typeError) Add("type", typeError);
        if (s.Queue is not null && Names.CheckQueue(s.Queue) is { } queueError) Add("queue", queueError);
        if (s.Priority is { } p && (p < TaskDefaults.MinPriority || p > TaskDefaults.MaxPriority))
            Add("priority", $"priority must be between {TaskDefaults.MinPriority} and {TaskDefaults.MaxPriority} (higher runs first); got {p}");
        if (s.Delay is { } d && (d < TimeSpan.Zero || d > TaskDefaults.MaxDelay))
            Add("delay", $"delay must be between 0 and {TaskDefaults.MaxDelay.TotalSeconds} seconds; got {d.TotalSeconds}");
        if (s.Delay is not null && s.RunAt is not null)
            Add("run_at", "give either run_at or delay, not both");
        if (s.ExpiresAt is not null || s.Ttl is not null) ValidateExpiry(s, now, prefix, ref errors);
        if (s.MaxAttempts is { } m && (m < 1 || m > TaskDefaults.MaxAttemptsLimit))
            Add("max_attempts", $"max_attempts must be between 1 and {TaskDefaults.MaxAttemptsLimit}; got {m}");
        if (s.Timeout is { } t && (t <= TimeSpan.Zero || t > TaskDefaults.MaxTimeout))
            Add("timeout", $"timeout must be more than 0 and at most {TaskDefaults.MaxTimeout.TotalSeconds} seconds; got {t.TotalSeconds}");
        if (s.Backoff?.Validate() is { } backoffError) Add("backoff", backoffError);
        if (s.IdempotencyKey is { } key && (key.Length == 0 || key.Length > TaskDefaults.MaxIdempotencyKeyLength))
            Add("idempotency_key", $"idempotency_key must be 1 to {TaskDefaults.MaxIdempotencyKeyLength} characters");
        if (s.UniqueKey is { } unique && (unique.Length == 0 || unique.Length > TaskDefaults.MaxIdempotencyKeyLength)) // limits: unique while active
            Add("unique_key", $"unique_key must be 1 to {TaskDefaults.MaxIdempotencyKeyLength} characters");
        if (s.Metadata is { } meta)
        {
            if (meta.Count > TaskDefaults.MaxMetadataEntries)
                Add("metadata", $"metadata may hold at most {TaskDefaults.MaxMetadataEntries} entries; got {meta.Count}");
            foreach (var (k, v) in meta)
            {
                if (string.IsNullOrEmpty(k) || k.Length > TaskDefaults.MaxMetadataKeyLength)
                    Add("metadata", $"metadata keys must be 1 to {TaskDefaults.MaxMetadataKeyLength} characters");
                if (v is null || v.Length > TaskDefaults.MaxMetadataValueLength)
                    Add("metadata", $"metadata value of '{k}' must be a string of at most {TaskDefaults.MaxMetadataValueLength} characters");
            }
        }
        if (s.Args is { } args)
        {
            if (args.ValueKind == JsonValueKind.Undefined)
                Add("args", "args must be a JSON value");
            else if (ArgsSize(args) is var size && size > limits.MaxArgsBytes)
                Add("args", $"args are {size} bytes of JSON; the limit is {limits.MaxArgsBytes}");
        }
        return errors ?? (IReadOnlyList<ValidationError>)[];
    }

    /// <summary>Validates and builds the record to store. Throws <see cref="ConveyorValidationException"/> on any problem.</summary>
    public static TaskRecord Build(TaskSubmission s, string id, DateTimeOffset now, TaskLimits limits)
    {
        var errors = Validate(s, limits);
        if (errors.Count > 0)
            throw new ConveyorValidationException(errors) { IsTooLarge = OnlySizeErrors(errors) };
        return BuildValidated(s, id, now);
    }

    internal static TaskRecord BuildValidated(TaskSubmission s, string id, DateTimeOffset now)
    {
        var due = s.RunAt ?? (s.Delay is { } d ? now + d : now);
        var scheduled = due > now;
        return new TaskRecord
        {
            Id = id,
            Type = s.Type,
            Queue = s.Queue ?? TaskDefaults.Queue,
            Args = s.Args is { ValueKind: not JsonValueKind.Undefined } a ? a.Clone() : NullArgs,
            Priority = s.Priority ?? TaskDefaults.DefaultPriority,
            State = scheduled ? TaskState.Scheduled : TaskState.Pending,
            MaxAttempts = s.MaxAttempts ?? TaskDefaults.MaxAttempts,
            Backoff = s.Backoff ?? BackoffPolicy.Default,
            Timeout = s.Timeout ?? TaskDefaults.Timeout,
            IdempotencyKey = s.IdempotencyKey,
            UniqueKey = s.UniqueKey,
            Metadata = s.Metadata is null ? TaskRecord.EmptyMetadata : new Dictionary<string, string>(s.Metadata),
            CreatedAt = now,
            ScheduledFor = scheduled ? due : now,
            ExpiresAt = s.ExpiresAt ?? (s.Ttl is { } ttl ? now + ttl : null),
        };
    }

    /// <summary>
    /// expires_at / ttl (issue 14 item 4): one of them, a ttl above zero and at most a year, an instant
    /// not more than <see cref="TaskDefaults.ExpiryPastTolerance"/> in the past (clocks differ a little;
    /// a task submitted just expired ends expired at its first lease, which is the contract).
    /// </summary>
    private static void ValidateExpiry(TaskSubmission s, DateTimeOffset? now, string prefix, ref List<ValidationError>? errors)
    {
        var found = errors;
        void add(string field, string message) => (found ??= []).Add(new ValidationError(prefix + field, message));
        if (s.ExpiresAt is not null && s.Ttl is not null)
            add("expires_at", "give either expires_at or ttl, not both");
        if (s.Ttl is { } ttl && (ttl <= TimeSpan.Zero || ttl > TaskDefaults.MaxDelay))
            add("ttl", $"ttl must be more than 0 and at most {TaskDefaults.MaxDelay.TotalSeconds} seconds; got {ttl.TotalSeconds}");
        if (s.ExpiresAt is { } at && now is { } n && at < n - TaskDefaults.ExpiryPastTolerance)
            add("expires_at", $"expires_at {at:O} is in the past (now {n:O}); a task that expired before it was submitted would never run");
        errors = found;
    }

    /// <summary>True when every problem is a size limit (the HTTP layer answers 413 rather than 400).</summary>
    internal static bool OnlySizeErrors(IReadOnlyList<ValidationError> errors) =>
        errors.All(e => e.Message.Contains(SizeLimitMarker, StringComparison.Ordinal));

    // Every size message says "...; the limit is N" (args and result alike): one marker, one check.
    private const string SizeLimitMarker = "the limit is";

    /// <summary>Checks a result against the size limit; null when fine.</summary>
    public static string? CheckResult(JsonElement? result, TaskLimits limits) =>
        result is { } r && ArgsSize(r) is var size && size > limits.MaxResultBytes
            ? $"result is {size} bytes of JSON; the limit is {limits.MaxResultBytes}"
            : null;

    private static readonly JsonElement NullArgs = JsonDocument.Parse("null").RootElement.Clone();

    // enqueue: the raw UTF-8 JSON's length, read in place (GetRawText made a string of it for each task).
    private static int ArgsSize(JsonElement e) => System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(e).Length;
}
