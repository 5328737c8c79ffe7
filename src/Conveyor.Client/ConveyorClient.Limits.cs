using Conveyor.Client.Protocol;
using Conveyor.Limits;

namespace Conveyor.Client;

// QueueLimitList, QueueLimitSet and QueueLimitDelete (GET /api/v1/queues/{name}/limits, PUT/DELETE …/{limit}).
public sealed partial class ConveyorClient
{
    /// <summary>The queue's limits, each with its usage now.</summary>
    public Task<QueueLimitListResponse> QueueLimitList(string queue, CancellationToken ct = default) =>
        api.Call<QueueLimitListResponse>(HttpMethod.Get, Routes.QueueLimits(queue), null, ct);

    /// <summary>Adds or replaces a limit of the queue (admin). Throws (400) for a bad limit, which changes nothing.</summary>
    public Task<QueueLimitListResponse> QueueLimitSet(string queue, QueueLimit limit, CancellationToken ct = default) =>
        api.Call<QueueLimitListResponse>(HttpMethod.Put, Routes.QueueLimit(queue, limit.Name),
            new QueueLimitBody(limit.Key, limit.Concurrency, limit.Rate, limit.Interval), ct);

    /// <summary>Removes a limit (admin); its waiting tasks go back in line. Throws (404) when there is none.</summary>
    public Task<QueueLimitListResponse> QueueLimitDelete(string queue, string name, CancellationToken ct = default) =>
        api.Call<QueueLimitListResponse>(HttpMethod.Delete, Routes.QueueLimit(queue, name), null, ct);
}
