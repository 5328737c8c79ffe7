using Conveyor.Retention;
using Conveyor.Store;

namespace Conveyor.Engine;

// RetentionGet / RetentionSet, and which policy a maintenance run applies.
public sealed partial class TaskEngine
{
    /// <summary>The policy stored by <see cref="RetentionSet"/>, or null when none was set.</summary>
    public async ValueTask<RetentionPolicy?> RetentionGet(CancellationToken ct = default)
    {
        var started = Time.GetTimestamp();
        var policy = await Records.RetentionGet(ct).ConfigureAwait(false);
        StoreTook(StoreOperations.RetentionGet, started);
        return policy;
    }

    /// <summary>Stores <paramref name="policy"/> (validated first: a refused policy changes nothing), or removes the stored one (null).</summary>
    public async ValueTask RetentionSet(RetentionPolicy? policy, CancellationToken ct = default)
    {
        policy?.Validated();
        var started = Time.GetTimestamp();
        await Records.RetentionSet(policy, ct).ConfigureAwait(false);
        StoreTook(StoreOperations.RetentionSet, started);
    }

    /// <summary>One maintenance run keeping every terminal task <paramref name="retention"/> (unless a policy is stored).</summary>
    public ValueTask<MaintenanceResult> MaintenanceRun(TimeSpan retention, CancellationToken ct = default) =>
        MaintenanceRun(RetentionPolicy.Uniform(retention), ct);

    /// <summary>
    /// One maintenance run with the policy in force: the stored one when there is one (set through the API
    /// or the CLI, so every process applies the same), else <paramref name="configured"/>.
    /// </summary>
    public async ValueTask<MaintenanceResult> MaintenanceRun(RetentionPolicy configured, CancellationToken ct = default) =>
        await MaintenanceRun(new MaintenanceRunParams(await RetentionGet(ct).ConfigureAwait(false) ?? configured), ct).ConfigureAwait(false);
}
