using System.Globalization;
using System.Net;
using System.Text.Json;
using Conveyor.Json;
using Conveyor.Client.Protocol;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Client;

/// <summary>
/// Typed producer client for a Conveyor broker. <paramref name="http"/> needs a BaseAddress (the
/// broker's URL) and, for <see cref="Wait"/>, a Timeout above the wait. Errors throw
/// <see cref="ConveyorApiException"/> with the problem details; "not found" is a null, not an error.
/// </summary>
public sealed partial class ConveyorClient(HttpClient http, string? token = null)
{
    private readonly ApiConnection api = new(http, token);

    /// <summary>Submit one task. <see cref="EnqueueResult.Created"/> is false for an idempotency-key repeat.</summary>
    public async Task<EnqueueResult> Submit(TaskSubmission submission, CancellationToken ct = default) =>
        (await Traced([submission], SubmitOne, ct).ConfigureAwait(false))[0];

    private async ValueTask<IReadOnlyList<EnqueueResult>> SubmitOne(IReadOnlyList<TaskSubmission> submissions, CancellationToken ct)
    {
        if (submissions.Count != 1) return await SubmitBatch(submissions, ct).ConfigureAwait(false);
        var submission = submissions[0];
        using var response = await api.Send(HttpMethod.Post, Routes.Tasks, submission, ct).ConfigureAwait(false);
        await ApiConnection.EnsureSuccess(response, ct).ConfigureAwait(false);
        var task = await ApiConnection.Read<TaskRecord>(response, ct).ConfigureAwait(false);
        return [new EnqueueResult(task, response.StatusCode == HttpStatusCode.Created)];
    }

    /// <summary>Submit a task of <paramref name="type"/> whose args are <paramref name="args"/> serialised as plain JSON.</summary>
    public Task<EnqueueResult> Submit(string type, object? args = null, string? queue = null, CancellationToken ct = default) =>
        Submit(new TaskSubmission
        {
            Type = type,
            Args = args is null ? null : JsonSerializer.SerializeToElement(args, args.GetType(), ConveyorJson.Options),
            Queue = queue,
        }, ct);

    /// <summary>Submit many tasks, all or nothing.</summary>
    public async Task<IReadOnlyList<EnqueueResult>> SubmitMany(IReadOnlyList<TaskSubmission> submissions, CancellationToken ct = default) =>
        await Traced(submissions, SubmitBatch, ct).ConfigureAwait(false);

    private async ValueTask<IReadOnlyList<EnqueueResult>> SubmitBatch(IReadOnlyList<TaskSubmission> submissions, CancellationToken ct) =>
        (await api.Call<SubmitBatchResponse>(HttpMethod.Post, Routes.TasksBatch, new SubmitBatchRequest(submissions), ct).ConfigureAwait(false)).Results;

    public Task<TaskRecord?> Get(string id, CancellationToken ct = default) => OrNull<TaskRecord>(HttpMethod.Get, Routes.Task(id), ct);

    /// <summary>Long-poll until the task is terminal or <paramref name="timeout"/> passes; the task either way (null: no such task).</summary>
    public Task<TaskRecord?> Wait(string id, TimeSpan timeout, CancellationToken ct = default) =>
        OrNull<TaskRecord>(HttpMethod.Get, $"{Routes.TaskWait(id)}?timeout={timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}", ct);

    public async Task<CancelResult> Cancel(string id, CancellationToken ct = default) =>
        await OrNull<CancelResult>(HttpMethod.Post, Routes.TaskCancel(id), ct).ConfigureAwait(false) ?? new CancelResult(CancelOutcome.NotFound, null);

    public Task<TaskPage> List(TaskListParams query, CancellationToken ct = default) =>
        api.Call<TaskPage>(HttpMethod.Get, Routes.Tasks + WithSearch(Query(query.State?.ToWire(), query.Queue, query.Type, query.Limit, query.Cursor), query), null, ct);

    public async Task<IReadOnlyList<QueueView>> Queues(CancellationToken ct = default) =>
        (await api.Call<QueueListResponse>(HttpMethod.Get, Routes.Queues, null, ct).ConfigureAwait(false)).Queues;

    /// <summary>Succeeded and failed attempts per minute over the last <paramref name="minutes"/> minutes (1..10080), of one queue or of all; oldest first.</summary>
    public async Task<IReadOnlyList<HistoryBucket>> HistoryList(string? queue = null, int minutes = 60, CancellationToken ct = default)
    {
        var query = $"?minutes={minutes.ToString(System.Globalization.CultureInfo.InvariantCulture)}" + (queue is null ? "" : $"&queue={Uri.EscapeDataString(queue)}");
        return (await api.Call<HistoryListResponse>(HttpMethod.Get, Routes.History + query, null, ct).ConfigureAwait(false)).Buckets;
    }

    public Task<QueueInfo> PauseQueue(string name, CancellationToken ct = default) => api.Call<QueueInfo>(HttpMethod.Post, Routes.QueuePause(name), null, ct);

    public Task<QueueInfo> ResumeQueue(string name, CancellationToken ct = default) => api.Call<QueueInfo>(HttpMethod.Post, Routes.QueueResume(name), null, ct);

    public Task<TaskPage> DeadLetters(string? queue = null, int limit = 50, string? cursor = null, CancellationToken ct = default) =>
        api.Call<TaskPage>(HttpMethod.Get, Routes.DeadLetters + Query(null, queue, null, limit, cursor), null, ct);

    /// <summary>Redrive one dead task; false when it is not (or no longer) dead.</summary>
    public async Task<bool> RetryDeadLetter(string id, CancellationToken ct = default) =>
        await OrNull<CountResponse>(HttpMethod.Post, Routes.DeadLetterRetry(id), ct).ConfigureAwait(false) is { Count: > 0 };

    /// <summary>Redrive every dead task (of one queue when given); how many moved.</summary>
    public async Task<int> RetryDeadLetters(string? queue = null, CancellationToken ct = default) =>
        (await api.Call<CountResponse>(HttpMethod.Post, Routes.DeadLettersRetry + Query(null, queue, null, null, null), null, ct).ConfigureAwait(false)).Count;

    /// <summary>Delete one dead task; false when there was none.</summary>
    public async Task<bool> PurgeDeadLetter(string id, CancellationToken ct = default) =>
        await OrNull<CountResponse>(HttpMethod.Delete, Routes.DeadLetter(id), ct).ConfigureAwait(false) is { Count: > 0 };

    public async Task<IReadOnlyList<WorkerInfo>> Workers(CancellationToken ct = default) =>
        (await WorkerList(ct).ConfigureAwait(false)).Workers;

    private async Task<T?> OrNull<T>(HttpMethod method, string path, CancellationToken ct) where T : class
    {
        using var response = await api.Send(method, path, null, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            var problem = await ApiConnection.ReadProblem(response, ct).ConfigureAwait(false);
            return problem.Type == ProblemTypes.NotFound ? null : throw new ConveyorApiException(problem);
        }
        await ApiConnection.EnsureSuccess(response, ct).ConfigureAwait(false);
        return await ApiConnection.Read<T>(response, ct).ConfigureAwait(false);
    }

    private static string Query(string? state, string? queue, string? type, int? limit, string? cursor)
    {
        var parts = new List<string>();
        void Add(string k, string? v) { if (v is not null) parts.Add($"{k}={Uri.EscapeDataString(v)}"); }
        Add("state", state);
        Add("queue", queue);
        Add("type", type);
        Add("limit", limit?.ToString(CultureInfo.InvariantCulture));
        Add("cursor", cursor);
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }
}
