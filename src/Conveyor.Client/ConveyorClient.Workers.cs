using Conveyor.Client.Protocol;
using Conveyor.Store;

namespace Conveyor.Client;

// WorkerList (live and silent), WorkerCommand (quiet, stop) and TaskTypes.
public sealed partial class ConveyorClient
{
    /// <summary>Live workers, and those silent for longer than the live window (within an hour).</summary>
    public Task<WorkerListResponse> WorkerList(CancellationToken ct = default) =>
        api.Call<WorkerListResponse>(HttpMethod.Get, Routes.Workers, null, ct);

    /// <summary>Tell a worker to stop leasing and finish what it holds. Throws (404) for an unknown worker.</summary>
    public Task<WorkerCommandResponse> QuietWorker(string workerId, CancellationToken ct = default) =>
        api.Call<WorkerCommandResponse>(HttpMethod.Post, Routes.WorkerQuiet(workerId), null, ct);

    /// <summary>Tell a worker to drain and exit. Throws (404) for an unknown worker.</summary>
    public Task<WorkerCommandResponse> StopWorker(string workerId, CancellationToken ct = default) =>
        api.Call<WorkerCommandResponse>(HttpMethod.Post, Routes.WorkerStop(workerId), null, ct);

    /// <summary>The task types live workers announce, with how many workers run each.</summary>
    public async Task<IReadOnlyList<TaskTypeInfo>> TaskTypes(CancellationToken ct = default) =>
        (await api.Call<TaskTypeListResponse>(HttpMethod.Get, Routes.TaskTypes, null, ct).ConfigureAwait(false)).Types;
}
