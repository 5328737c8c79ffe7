using System.Text.Json;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Engine;

// Search filters, retry now, delete, bulk actions with their audit record, dead letters by error type.
public sealed partial class TaskEngine
{
    /// <summary>How many tasks a bulk action reads and changes per store call: a million matches never load at once.</summary>
    public const int BulkBatch = 500;

    public const int MaxErrorSearchLength = 200;

    private const int BulkKept = Conveyor.Store.BulkActionRecord.Kept;

    /// <summary>"retry now": see <see cref="ITaskStore.TaskRetryMany"/>. An id that is not a task id is not found.</summary>
    public async ValueTask<RetryResult> TaskRetry(string id, CancellationToken ct = default) =>
        TaskIds.IsValid(id) ? (await Records.TaskRetryMany([id], ct).ConfigureAwait(false))[0] : new RetryResult(id, RetryOutcome.NotFound);

    /// <summary>Delete a task that is not running: see <see cref="ITaskStore.TaskDeleteMany"/>.</summary>
    public async ValueTask<DeleteResult> TaskDelete(string id, CancellationToken ct = default) =>
        TaskIds.IsValid(id) ? (await Records.TaskDeleteMany([id], ct).ConfigureAwait(false))[0] : new DeleteResult(id, DeleteOutcome.NotFound);

    public ValueTask<IReadOnlyList<BulkActionRecord>> BulkActionList(int limit, CancellationToken ct = default)
    {
        if (limit < 1 || limit > BulkKept)
            throw new ConveyorValidationException("limit", $"limit must be between 1 and {BulkKept}; got {limit}");
        return Records.BulkActionList(limit, ct);
    }

    public ValueTask<DeadLetterGroups> DeadLetterGroups(string? queue, CancellationToken ct = default)
    {
        if (queue is not null && Names.CheckQueue(queue) is { } e) throw new ConveyorValidationException("queue", e);
        return Records.DeadLetterGroups(queue, ct);
    }

    /// <summary>
    /// Applies a bulk action, walking the matches <see cref="BulkBatch"/> at a time (a filter is paged
    /// with TaskList's cursor, so tasks the action moves are never met twice), then records it in the
    /// audit log unless it is a dry run. <paramref name="actor"/>: who asked (a token's name).
    /// </summary>
    public async ValueTask<BulkActionResult> BulkAction(BulkActionRequest request, string actor, CancellationToken ct = default)
    {
        var (kind, filter) = ValidateBulk(request);
        long matched = 0, changed = 0;
        if (request.Ids is { } ids)
        {
            foreach (var chunk in ids.Distinct(StringComparer.Ordinal).Chunk(BulkBatch))
            {
                var (m, c) = await ApplyBulk(kind, chunk, request.DryRun, knownToExist: false, ct).ConfigureAwait(false);
                matched += m;
                changed += c;
            }
        }
        else
        {
            var query = filter! with { Limit = BulkBatch };
            while (true)
            {
                var page = await Records.TaskList(query, ct).ConfigureAwait(false);
                if (page.Items.Count > 0)
                {
                    var (m, c) = await ApplyBulk(kind, [.. page.Items.Select(t => t.Id)], request.DryRun, knownToExist: true, ct).ConfigureAwait(false);
                    matched += m;
                    changed += c;
                }
                if (page.NextCursor is null) break;
                query = query with { Cursor = page.NextCursor };
            }
        }
        if (request.DryRun) return new BulkActionResult(matched, 0, null);
        var record = new BulkActionRecord(TaskIds.New(Time), Time.GetUtcNow(), actor, kind.ToWire(),
            request.Filter is { } f ? JsonSerializer.SerializeToElement(f, ConveyorJson.Options) : null,
            request.Ids?.Count ?? 0, matched, changed);
        await Records.BulkActionRecord(record, ct).ConfigureAwait(false);
        return new BulkActionResult(matched, changed, record.Id);
    }

    private async ValueTask<(long Matched, long Changed)> ApplyBulk(BulkActionKind kind, string[] ids, bool dryRun, bool knownToExist, CancellationToken ct)
    {
        if (dryRun)
        {
            if (knownToExist) return (ids.Length, 0);
            var found = await Task.WhenAll(ids.Select(id => Records.TaskGet(id, ct).AsTask())).ConfigureAwait(false);
            return (found.Count(t => t is not null), 0);
        }
        switch (kind)
        {
            case BulkActionKind.Retry:
                var retried = await Records.TaskRetryMany(ids, ct).ConfigureAwait(false);
                return (retried.Count(r => r.Outcome != RetryOutcome.NotFound), retried.Count(r => r.Outcome == RetryOutcome.Retried));
            case BulkActionKind.Delete:
                var deleted = await Records.TaskDeleteMany(ids, ct).ConfigureAwait(false);
                return (deleted.Count(r => r.Outcome != DeleteOutcome.NotFound), deleted.Count(r => r.Outcome == DeleteOutcome.Deleted));
            default:
                // One TaskCancel per task, all of a page at once: SQLite's writer commits them together,
                // Redis pipelines them on the one connection.
                var cancelled = await Task.WhenAll(ids.Select(id => Records.TaskCancel(id, ct).AsTask())).ConfigureAwait(false);
                return (cancelled.Count(r => r.Outcome != CancelOutcome.NotFound),
                    cancelled.Count(r => r.Outcome is CancelOutcome.Cancelled or CancelOutcome.CancelledWhileRunning));
        }
    }

    private static (BulkActionKind Kind, TaskListParams? Filter) ValidateBulk(BulkActionRequest request)
    {
        var errors = new List<ValidationError>();
        if (!BulkActionKinds.TryParse(request.Action, out var kind))
            errors.Add(new("action", $"action must be one of retry, cancel, delete; got '{Show(request.Action)}'"));
        if ((request.Ids is null) == (request.Filter is null))
            errors.Add(new(request.Ids is null ? "ids" : "filter", "give either ids or filter, not both and not neither"));
        if (request.Ids is { } ids)
        {
            if (ids.Count == 0 || ids.Count > BulkActionRequest.MaxIds)
                errors.Add(new("ids", $"ids must hold 1 to {BulkActionRequest.MaxIds} task ids; got {ids.Count}"));
            for (var i = 0; i < ids.Count && i < BulkActionRequest.MaxIds; i++)
                if (!TaskIds.IsValid(ids[i])) errors.Add(new($"ids[{i}]", $"'{Show(ids[i])}' is not a task id"));
        }
        TaskListParams? filter = null;
        if (request.Filter is { } f)
        {
            TaskState? state = null;
            if (f.State is not null)
            {
                if (TaskStates.TryParse(f.State, out var s)) state = s;
                else errors.Add(new("filter.state", $"state must be one of {string.Join(", ", TaskStates.All.Select(x => x.ToWire()))}; got '{Show(f.State)}'"));
            }
            string? tagKey = null, tagValue = null;
            if (f.Tag is not null && TryParseTag(f.Tag, "filter.tag", errors) is { } tag) (tagKey, tagValue) = tag;
            filter = new TaskListParams(state, f.Queue, f.Type)
            {
                IdempotencyKey = f.IdempotencyKey, TagKey = tagKey, TagValue = tagValue, Error = f.Error, ErrorType = f.ErrorType,
            };
            var found = new List<ValidationError>();
            ListErrors(filter, found);
            errors.AddRange(found.Select(e => e with { Field = "filter." + e.Field }));
            filter = Normalized(filter);
        }
        if (errors.Count > 0) throw new ConveyorValidationException(errors);
        return (kind, filter);
    }

    /// <summary>Parses a metadata filter <c>key=value</c> (the key 1..64 characters, the value up to 1024; the first '=' splits).</summary>
    public static (string Key, string Value) ParseTag(string tag, string field = "tag")
    {
        var errors = new List<ValidationError>();
        return TryParseTag(tag, field, errors) is { } parsed ? parsed : throw new ConveyorValidationException(errors);
    }

    private static (string Key, string Value)? TryParseTag(string tag, string field, List<ValidationError> errors)
    {
        var eq = tag.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            errors.Add(new(field, $"{field} must be key=value (a metadata entry); got '{Show(tag)}'"));
            return null;
        }
        var (key, value) = (tag[..eq], tag[(eq + 1)..]);
        if (key.Length > TaskDefaults.MaxMetadataKeyLength)
            errors.Add(new(field, $"a metadata key is at most {TaskDefaults.MaxMetadataKeyLength} characters; got {key.Length}"));
        if (value.Length > TaskDefaults.MaxMetadataValueLength)
            errors.Add(new(field, $"a metadata value is at most {TaskDefaults.MaxMetadataValueLength} characters; got {value.Length}"));
        return errors.Count == 0 ? (key, value) : null;
    }

    /// <summary>The search filters' checks (the state/queue/type/limit/cursor checks are <see cref="List"/>'s).</summary>
    private static void SearchErrors(TaskListParams q, List<ValidationError> errors)
    {
        if (q.IdempotencyKey is { } key && (key.Length == 0 || key.Length > TaskDefaults.MaxIdempotencyKeyLength))
            errors.Add(new("idempotency_key", $"idempotency_key must be 1 to {TaskDefaults.MaxIdempotencyKeyLength} characters; got {key.Length}"));
        if ((q.TagKey is null) != (q.TagValue is null))
            errors.Add(new("tag", "a tag filter needs both a key and a value (key=value)"));
        if (q.TagKey is { } tk && (tk.Length == 0 || tk.Length > TaskDefaults.MaxMetadataKeyLength))
            errors.Add(new("tag", $"a metadata key is 1 to {TaskDefaults.MaxMetadataKeyLength} characters; got {tk.Length}"));
        if (q.TagValue is { Length: > TaskDefaults.MaxMetadataValueLength } tv)
            errors.Add(new("tag", $"a metadata value is at most {TaskDefaults.MaxMetadataValueLength} characters; got {tv.Length}"));
        if (q.Error is { } err && (err.Length == 0 || err.Length > MaxErrorSearchLength))
            errors.Add(new("error", $"error must be 1 to {MaxErrorSearchLength} characters; got {err.Length}"));
        if (q.ErrorType is { } et && (et.Length == 0 || et.Length > TaskError.MaxTypeLength))
            errors.Add(new("error_type", $"error_type must be 1 to {TaskError.MaxTypeLength} characters; got {et.Length}"));
    }

    /// <summary>
    /// The error text lower-cased in ASCII only: both stores lower-case the stored text the same way
    /// (SQLite's lower(), Lua's string.lower), so "case-insensitive" means one thing everywhere.
    /// </summary>
    private static TaskListParams Normalized(TaskListParams q) =>
        q.Error is { } e ? q with { Error = string.Create(e.Length, e, static (span, s) => { for (var i = 0; i < s.Length; i++) span[i] = s[i] is >= 'A' and <= 'Z' ? (char)(s[i] + 32) : s[i]; }) } : q;

    /// <summary>Redrive's new args, checked as a submission's: a JSON value within the size limit, for one named task.</summary>
    private void RedriveArgsErrors(DeadLetterRedriveParams request)
    {
        if (request.Args is not { } args) return;
        if (request.TaskId is null) throw new ConveyorValidationException("args", "new args can only be given when redriving one task by id");
        if (args.ValueKind == JsonValueKind.Undefined) throw new ConveyorValidationException("args", "args must be a JSON value");
        var size = System.Text.Encoding.UTF8.GetByteCount(args.GetRawText());
        if (size > Limits.MaxArgsBytes)
            throw new ConveyorValidationException("args", $"args are {size} bytes of JSON; the limit is {Limits.MaxArgsBytes}") { IsTooLarge = true };
    }

    private static string Show(string? s) => s is null ? "" : s.Length > 60 ? s[..60] + "…" : s;
}
