using Conveyor.Client.Protocol;
using Conveyor.Store;
using Conveyor.Gateway;

namespace Conveyor.Client;

/// <summary>
/// The worker transport over HTTP: a worker runtime runs against a broker exactly as it runs against a
/// store. Acknowledgements use the batch routes, so a stale lease comes back as
/// <see cref="AckOutcome.StaleLease"/> per item, never as an exception. The HttpClient's Timeout must
/// exceed the longest lease wait (60 s); refusals throw <see cref="ConveyorApiException"/>.
/// </summary>
public sealed class HttpWorkerGateway(HttpClient http, string? token = null) : IWorkerGateway
{
    private readonly ApiConnection api = new(http, token);

    /// <summary>
    /// How long a lease call in flight may still answer after <c>ct</c> fires (a draining worker)
    /// before the request is abandoned.
    /// </summary>
    public static readonly TimeSpan LeaseStopGrace = TimeSpan.FromSeconds(2);

    public async ValueTask<IReadOnlyList<LeasedTask>> Lease(TaskLeaseParams request, CancellationToken ct = default)
    {
        var body = new LeaseRequest { WorkerId = request.WorkerId, Queues = request.Queues, Max = request.Max, Wait = request.Wait, LeaseDuration = request.LeaseDuration };
        // Why ct does not cancel the request at once: a transport must return what it leased or throw
        // before leasing (LeaseLoop). Once the broker has leased, an abandoned request drops its answer,
        // and those tasks stay leased to nobody until the lease expires: a charged attempt for work no
        // one ran (seen under `docker-compose stop` with a busy queue). So a stop lets the call answer
        // for LeaseStopGrace (an answer with tasks comes in milliseconds; the executors hand them
        // back), and only a lease still waiting for work is abandoned; the broker releases, uncharged,
        // what it leases for a worker that has hung up.
        using var abandon = new CancellationTokenSource();
        using var onStop = ct.Register(static s => ((CancellationTokenSource)s!).CancelAfter(LeaseStopGrace), abandon);
        try
        {
            return (await api.Call<LeaseResponse>(HttpMethod.Post, Routes.Leases, body, abandon.Token).ConfigureAwait(false)).Tasks;
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested && ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
    }

    public async ValueTask<IReadOnlyList<AckResult>> CompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default) =>
        items.Count == 0 ? [] : (await api.Call<AckResultsResponse>(HttpMethod.Post, Routes.LeasesComplete, new CompleteManyRequest(items), ct).ConfigureAwait(false)).Results;

    public async ValueTask<IReadOnlyList<AckResult>> FailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default) =>
        items.Count == 0 ? [] : (await api.Call<AckResultsResponse>(HttpMethod.Post, Routes.LeasesFail, new FailManyRequest(items), ct).ConfigureAwait(false)).Results;

    public async ValueTask<IReadOnlyList<LeaseExtendResult>> ExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default) =>
        items.Count == 0 ? [] : (await api.Call<HeartbeatResultsResponse>(HttpMethod.Post, Routes.LeasesHeartbeat, new HeartbeatManyRequest(items), ct).ConfigureAwait(false)).Results;

    public async ValueTask<IReadOnlyList<AckResult>> ReleaseMany(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default) =>
        items.Count == 0 ? [] : (await api.Call<AckResultsResponse>(HttpMethod.Post, Routes.LeasesRelease, new ReleaseManyRequest(items), ct).ConfigureAwait(false)).Results;

    /// <summary>A broker from before commands answers 204 with no body: no command, no cancels.</summary>
    public async ValueTask<WorkerHeartbeatResult> WorkerHeartbeat(WorkerInfo worker, CancellationToken ct = default)
    {
        using var response = await api.Send(HttpMethod.Post, Routes.WorkersHeartbeat, worker, ct).ConfigureAwait(false);
        await ApiConnection.EnsureSuccess(response, ct).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NoContent) return WorkerHeartbeatResult.None;
        var answer = await ApiConnection.Read<WorkerHeartbeatResponse>(response, ct).ConfigureAwait(false);
        return new WorkerHeartbeatResult(answer.Command, answer.Cancel ?? []);
    }

    public async ValueTask WorkerRemove(string workerId, CancellationToken ct = default)
    {
        using var response = await api.Send(HttpMethod.Delete, Routes.Worker(workerId), null, ct).ConfigureAwait(false);
        await ApiConnection.EnsureSuccess(response, ct).ConfigureAwait(false);
    }
}
