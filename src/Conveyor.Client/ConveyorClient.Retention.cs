using Conveyor.Client.Protocol;
using Conveyor.Retention;

namespace Conveyor.Client;

// RetentionGet, RetentionSet and RetentionClear (GET/PUT/DELETE /api/v1/retention).
public sealed partial class ConveyorClient
{
    /// <summary>The retention policy in force on the broker, and whether the store or the broker's configuration gives it.</summary>
    public Task<RetentionResponse> RetentionGet(CancellationToken ct = default) =>
        api.Call<RetentionResponse>(HttpMethod.Get, Routes.Retention, null, ct);

    /// <summary>Stores <paramref name="policy"/> for every broker and worker on the store (admin). Throws (400) for a bad policy.</summary>
    public Task<RetentionResponse> RetentionSet(RetentionPolicy policy, CancellationToken ct = default) =>
        api.Call<RetentionResponse>(HttpMethod.Put, Routes.Retention, RetentionDocument.From(policy), ct);

    /// <summary>Removes the stored policy (admin): each process applies its configured one again.</summary>
    public Task<RetentionResponse> RetentionClear(CancellationToken ct = default) =>
        api.Call<RetentionResponse>(HttpMethod.Delete, Routes.Retention, null, ct);
}
