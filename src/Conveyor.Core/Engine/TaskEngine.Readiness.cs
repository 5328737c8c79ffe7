using Conveyor.Store;

namespace Conveyor.Engine;

public sealed partial class TaskEngine
{
    /// <summary>
    /// Whether the store can take work, and why not (<c>/readyz</c>). A store that throws is reported
    /// unreachable with the error's message, never as a 500.
    /// </summary>
    public async ValueTask<StoreReadiness> ReadinessCheck(CancellationToken ct = default)
    {
        try
        {
            return await Store.StoreReadinessCheck(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return StoreReadiness.Unreachable(e.Message);
        }
    }
}
