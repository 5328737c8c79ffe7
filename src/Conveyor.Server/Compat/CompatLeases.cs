using System.Collections.Concurrent;

namespace Conveyor.Server.Compat;

/// <summary>
/// Seed 003's <c>/ack</c> names only a task id, but Conveyor's complete/fail need the lease's fencing
/// token. <c>/get</c> remembers the token here, keyed by task id, until the lease deadline; <c>/ack</c>
/// takes it. The map lives in this process only: after a restart (or behind a load balancer with
/// several servers) an <c>/ack</c> without <c>lease_token</c> finds nothing and answers 409, and the
/// task is leased again once its lease expires (at-least-once, as seed 003's own visibility timeout).
/// Workers that echo the <c>lease_token</c> field <c>/get</c> also returns are immune to both.
/// </summary>
internal sealed class CompatLeases(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Until)> leases = new(StringComparer.Ordinal);

    public void Remember(string taskId, string token, DateTimeOffset until)
    {
        if (leases.Count > 10_000) Sweep();
        leases[taskId] = (token, until);
    }

    public string? Take(string taskId) =>
        leases.TryRemove(taskId, out var lease) && lease.Until > time.GetUtcNow() ? lease.Token : null;

    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (id, lease) in leases)
            if (lease.Until <= now) leases.TryRemove(id, out _);
    }
}
