using System.Net;
using System.Text.Json;
using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Client;

// Search, retry now, delete, bulk actions, the bulk-action log, dead letters by error type, redrive with new args.
public sealed partial class ConveyorClient
{
    /// <summary>"Retry now" (admin): the task after the retry; null when there is no such task. A task in another state: a 409 problem.</summary>
    public Task<TaskRecord?> Retry(string id, CancellationToken ct = default) => OrNull<TaskRecord>(HttpMethod.Post, Routes.TaskRetry(id), ct);

    /// <summary>Delete a task that is not running (admin); false when there was none. A running task: a 409 problem.</summary>
    public async Task<bool> Delete(string id, CancellationToken ct = default)
    {
        using var response = await api.Send(HttpMethod.Delete, Routes.Task(id), null, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            var problem = await ApiConnection.ReadProblem(response, ct).ConfigureAwait(false);
            return problem.Type == ProblemTypes.NotFound ? false : throw new ConveyorApiException(problem);
        }
        await ApiConnection.EnsureSuccess(response, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>A bulk action (admin) on ids or on every task matching a filter; a dry run only counts.</summary>
    public Task<BulkActionResult> Bulk(BulkActionRequest request, CancellationToken ct = default) =>
        api.Call<BulkActionResult>(HttpMethod.Post, Routes.TasksBulk, request, ct);

    /// <summary>The bulk-action audit log, newest first (admin).</summary>
    public async Task<IReadOnlyList<BulkActionRecord>> BulkActions(int limit = 50, CancellationToken ct = default) =>
        (await api.Call<BulkActionListResponse>(HttpMethod.Get, Routes.BulkActions + $"?limit={limit}", null, ct).ConfigureAwait(false)).Items;

    /// <summary>Dead tasks counted by error type (admin), of one queue when given.</summary>
    public Task<DeadLetterGroups> DeadLetterGroups(string? queue = null, CancellationToken ct = default) =>
        api.Call<DeadLetterGroups>(HttpMethod.Get, Routes.DeadLettersGroups + (queue is null ? "" : "?queue=" + Uri.EscapeDataString(queue)), null, ct);

    /// <summary>Redrive one dead task with new args (admin); false when it is not (or no longer) dead.</summary>
    public async Task<bool> RetryDeadLetter(string id, JsonElement args, CancellationToken ct = default)
    {
        using var response = await api.Send(HttpMethod.Post, Routes.DeadLetterRetry(id), new RedriveRequest(args), ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            var problem = await ApiConnection.ReadProblem(response, ct).ConfigureAwait(false);
            return problem.Type == ProblemTypes.NotFound ? false : throw new ConveyorApiException(problem);
        }
        await ApiConnection.EnsureSuccess(response, ct).ConfigureAwait(false);
        return (await ApiConnection.Read<CountResponse>(response, ct).ConfigureAwait(false)).Count > 0;
    }

    /// <summary>The search filters as query parameters (the tag as key=value).</summary>
    private static string WithSearch(string query, TaskListParams p)
    {
        var parts = new List<string>();
        void Add(string k, string? v) { if (v is not null) parts.Add($"{k}={Uri.EscapeDataString(v)}"); }
        Add("idempotency_key", p.IdempotencyKey);
        Add("tag", p.TagKey is null ? null : p.TagKey + "=" + p.TagValue);
        Add("error", p.Error);
        Add("error_type", p.ErrorType);
        if (parts.Count == 0) return query;
        return (query.Length == 0 ? "?" : query + "&") + string.Join('&', parts);
    }
}
