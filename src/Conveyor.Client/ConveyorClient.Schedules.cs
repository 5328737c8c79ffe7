using Conveyor.Client.Protocol;
using Conveyor.Model;
using Conveyor.Schedules;

namespace Conveyor.Client;

// ScheduleList, ScheduleGet, ScheduleUpsert, ScheduleDelete, SchedulePause, ScheduleResume, ScheduleRunNow (/api/v1/schedules).
public sealed partial class ConveyorClient
{
    public async Task<IReadOnlyList<ScheduleView>> ScheduleList(CancellationToken ct = default) =>
        (await api.Call<ScheduleListResponse>(HttpMethod.Get, Routes.Schedules, null, ct).ConfigureAwait(false)).Schedules;

    /// <summary>One schedule; throws (404) when there is none of that name.</summary>
    public Task<ScheduleView> ScheduleGet(string name, CancellationToken ct = default) =>
        api.Call<ScheduleView>(HttpMethod.Get, Routes.Schedule(name), null, ct);

    /// <summary>Creates or replaces a schedule (admin). Throws (400) for a bad definition; nothing is stored then.</summary>
    public Task<ScheduleView> ScheduleUpsert(ScheduleDefinition definition, CancellationToken ct = default) =>
        api.Call<ScheduleView>(HttpMethod.Put, Routes.Schedule(definition.Name), ScheduleRequest.From(definition), ct);

    /// <summary>Removes a schedule (admin); false when there was none. The tasks it submitted stay.</summary>
    public async Task<bool> ScheduleDelete(string name, CancellationToken ct = default)
    {
        using var response = await api.Send(HttpMethod.Delete, Routes.Schedule(name), null, ct).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return false;
        await ApiConnection.EnsureSuccess(response, ct).ConfigureAwait(false);
        return true;
    }

    public Task<ScheduleView> SchedulePause(string name, CancellationToken ct = default) =>
        api.Call<ScheduleView>(HttpMethod.Post, Routes.SchedulePause(name), null, ct);

    public Task<ScheduleView> ScheduleResume(string name, CancellationToken ct = default) =>
        api.Call<ScheduleView>(HttpMethod.Post, Routes.ScheduleResume(name), null, ct);

    /// <summary>Submits the schedule's task now (admin), beside its ticks; answers the task.</summary>
    public Task<TaskRecord> ScheduleRunNow(string name, CancellationToken ct = default) =>
        api.Call<TaskRecord>(HttpMethod.Post, Routes.ScheduleRunNow(name), null, ct);
}
